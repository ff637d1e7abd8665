import Foundation

/// A metrics result as text: JSON, YAML or CSV, with the reference's key names
/// (metrics.md §2.3–2.4). Segmentation reports hold a `summary` object and one record per
/// image (`per_image`); tracking reports are one flat record (`DET`, `SEG`, `TRA`, `LNK`, …).
public struct MetricsReport: Sendable {
  /// The output formats.
  public enum Format: String, Sendable, CaseIterable {
    case json, yaml, csv

    /// The format an output path's extension names (`.json`, `.yaml`/`.yml`, `.csv`).
    public static func fromExtension(_ path: String) -> Format? {
      let lower = path.lowercased()
      if lower.hasSuffix(".json") { return .json }
      if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") { return .yaml }
      if lower.hasSuffix(".csv") { return .csv }
      return nil
    }
  }

  /// Summary record (the whole record for a tracking report).
  public var summary: [(String, StatValue)]
  /// Per-image records; nil for a flat (tracking) report.
  public var perImage: [[(String, StatValue)]]?

  /// A report from its records.
  public init(summary: [(String, StatValue)], perImage: [[(String, StatValue)]]?) {
    self.summary = summary
    self.perImage = perImage
  }

  /// A segmentation report: the summary and, per image, its frame index, the object
  /// metrics record and its per-threshold `ap_τ` / `f1_τ`.
  public init(_ evaluation: SegmentationEvaluation) {
    summary = evaluation.summary.record
    perImage = evaluation.frames.indices.map { f in
      var record: [(String, StatValue)] = [("image", .count(f))] + evaluation.frames[f].record
      let matching = evaluation.matching[f]
      for m in matching {
        record.append(("ap_" + ThresholdMatching.key(m.threshold), .rate(m.averagePrecision)))
      }
      for m in matching { record.append(("f1_" + ThresholdMatching.key(m.threshold), .rate(m.f1))) }
      return record
    }
  }

  /// A tracking report (flat record).
  public init(_ evaluation: TrackingEvaluation) {
    summary = evaluation.record
    perImage = nil
  }

  /// The report as text in `format`, ending with a newline.
  public func render(_ format: Format) -> String {
    switch format {
    case .json: return json()
    case .yaml: return yaml()
    case .csv: return csv()
    }
  }

  private static func jsonValue(_ v: StatValue) -> String {
    switch v {
    case .count(let n): return String(n)
    case .rate(let x): return x.isFinite ? "\(x)" : "null"
    }
  }

  private static func jsonString(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
      switch ch {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default:
        if ch.value < 0x20 {
          out += String(format: "\\u%04x", ch.value)
        } else {
          out.unicodeScalars.append(ch)
        }
      }
    }
    return out + "\""
  }

  private static func jsonObject(_ record: [(String, StatValue)], indent: String) -> String {
    let inner = indent + "  "
    let lines = record.map { "\(inner)\(jsonString($0.0)): \(jsonValue($0.1))" }
    return "{\n" + lines.joined(separator: ",\n") + "\n\(indent)}"
  }

  private func json() -> String {
    guard let perImage else { return Self.jsonObject(summary, indent: "") + "\n" }
    var text =
      "{\n  \"summary\": " + Self.jsonObject(summary, indent: "  ") + ",\n  \"per_image\": ["
    text += perImage.map { "\n    " + Self.jsonObject($0, indent: "    ") }.joined(separator: ",")
    text += perImage.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
    return text
  }

  private static func yamlValue(_ v: StatValue) -> String {
    switch v {
    case .count(let n): return String(n)
    case .rate(let x):
      if x.isNaN { return ".nan" }
      if x.isInfinite { return x > 0 ? ".inf" : "-.inf" }
      return "\(x)"
    }
  }

  private static func yamlKey(_ key: String) -> String {
    key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) ? key : "'\(key)'"
  }

  private func yaml() -> String {
    guard let perImage else {
      return summary.map { "\(Self.yamlKey($0.0)): \(Self.yamlValue($0.1))\n" }.joined()
    }
    var text = "summary:\n"
    text += summary.map { "  \(Self.yamlKey($0.0)): \(Self.yamlValue($0.1))\n" }.joined()
    text += "per_image:\n"
    for record in perImage {
      for (k, (key, value)) in record.enumerated() {
        text += (k == 0 ? "- " : "  ") + "\(Self.yamlKey(key)): \(Self.yamlValue(value))\n"
      }
    }
    return text
  }

  private static func csvValue(_ v: StatValue?) -> String {
    guard let v else { return "" }
    switch v {
    case .count(let n): return String(n)
    case .rate(let x): return x.isNaN ? "nan" : "\(x)"
    }
  }

  private func csv() -> String {
    guard let perImage else {
      return summary.map(\.0).joined(separator: ",") + "\n"
        + summary.map { Self.csvValue($0.1) }.joined(separator: ",") + "\n"
    }
    // Columns: the per-image keys, then summary-only keys; the summary row's `image` is "summary".
    var columns = perImage.first?.map(\.0) ?? ["image"]
    for (key, _) in summary where !columns.contains(key) { columns.append(key) }
    var text = columns.joined(separator: ",") + "\n"
    for record in perImage {
      let values = Dictionary(record.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
      text += columns.map { Self.csvValue(values[$0]) }.joined(separator: ",") + "\n"
    }
    let values = Dictionary(summary.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
    text +=
      columns.map { $0 == "image" ? "summary" : Self.csvValue(values[$0]) }.joined(separator: ",")
      + "\n"
    return text
  }
}
