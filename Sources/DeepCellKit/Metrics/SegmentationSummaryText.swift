import Foundation

extension SegmentationEvaluation {
  /// The label stack at `path` (`-`: stdin) to evaluate: array `array` of an NPZ, else `y`,
  /// else the input's image array.
  public static func readLabels(_ path: String, array: String?) throws -> NDArray {
    let input = try InputFile(path: path)
    let name =
      try array
      ?? (input.arrayNames.contains(ArrayName.labels) ? ArrayName.labels : input.resolve(nil))
    return try input.readArray(name: name)
  }

  /// The few lines dc-metrics segment prints on stderr: counts, recall, precision, F1, the
  /// error classes, SEG, Jaccard and AP.
  public var summaryText: String {
    let s = summary
    func v(_ k: String) -> String { s[k].map { "\($0)" } ?? "-" }
    var text =
      "dc-metrics: \(frames.count) image(s): \(v("n_true")) true, \(v("n_pred")) predicted objects\n"
    text +=
      "  correct \(v("correct_detections"))  recall \(v("recall"))  precision \(v("precision"))  f1 \(v("f1"))\n"
    text +=
      "  missed \(v("missed_detections"))  gained \(v("gained_detections"))  split \(v("split"))"
    text +=
      "  merge \(v("merge"))  catastrophe \(v("catastrophe"))  total errors \(v("total_errors"))\n"
    text += "  SEG \(v("seg"))  jaccard \(v("jaccard"))"
    if s["mean_ap"] != nil {
      text += "  AP@0.50 \(v("ap_0.50"))  mean AP(0.50:0.95) \(v("mean_ap"))"
    }
    return text + "\n"
  }
}

extension ThresholdMatching {
  /// The IoU thresholds of `--thresholds`: nil gives ``standardThresholds``, `none` none,
  /// else a comma-separated list of IoUs in (0, 1].
  public static func thresholds(parsing text: String?) throws -> [Double] {
    guard let text else { return standardThresholds }
    if text.lowercased() == "none" { return [] }
    return try text.split(separator: ",").map {
      guard let v = Double($0.trimmingCharacters(in: .whitespaces)), v > 0, v <= 1 else {
        throw DeepCellError(.usage, "--thresholds", "'\($0)' is not an IoU in (0, 1]")
      }
      return v
    }
  }
}
