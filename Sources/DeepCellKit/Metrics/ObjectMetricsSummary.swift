/// DeepCell's summary of object metrics over a stack (`Metrics.summarize_object_metrics_df`,
/// metrics.md §2.3): counts summed over frames, recall and precision pooled
/// (Σ correct / Σ n_true, Σ correct / Σ n_pred), Jaccard averaged per frame, rates rounded to
/// `digits` decimals as the reference does (4).
///
/// `seg` is the real CTC SEG pooled over every truth object of the stack (§4), not the
/// reference's per-frame mean of its broken value; that one is kept as `seg_deepcell`.
/// Extensions, after the reference's keys: `f1` (harmonic mean of the pooled precision and
/// recall), `seg_deepcell`, and for each IoU threshold τ the pooled `ap_τ` and `f1_τ`
/// (§2.5), with `mean_ap` their mean over the thresholds.
public struct ObjectMetricsSummary: Sendable {
  /// The summary in the reference's key order, then the extensions.
  public let record: [(String, StatValue)]

  /// Summarises per-frame results; `matching[f]` are frame f's threshold matchings (may be
  /// empty for no AP keys).
  public init(frames: [ObjectMetrics], matching: [[ThresholdMatching]] = [], digits: Int = 4) {
    func sum(_ key: KeyPath<ObjectMetrics, Int>) -> Int {
      frames.reduce(0) { $0 + $1[keyPath: key] }
    }
    let correct = sum(\.correctDetections)
    let nTrue = sum(\.nTrue)
    let nPred = sum(\.nPred)
    let recall = nTrue == 0 ? Double.nan : Double(correct) / Double(nTrue)
    let precision = nPred == 0 ? 0 : Double(correct) / Double(nPred)
    let segSum = frames.reduce(0.0) { $0 + $1.segSum }
    let seg = nTrue == 0 ? Double.nan : segSum / Double(nTrue)
    let jaccard = NumpySum.nanMean(frames.map(\.jaccard))
    let segDeepcell = NumpySum.nanMean(frames.map(\.segDeepcell))
    let errors: [(String, Int)] = [
      ("gained_detections", sum(\.gainedDetections)),
      ("missed_detections", sum(\.missedDetections)),
      ("split", sum(\.split)), ("merge", sum(\.merge)), ("catastrophe", sum(\.catastrophe)),
    ]
    let bad: [(String, Int)] = [
      ("gained_det_from_split", sum(\.gainedDetFromSplit)),
      ("missed_det_from_merge", sum(\.missedDetFromMerge)),
      ("true_det_in_catastrophe", sum(\.trueDetInCatastrophe)),
      ("pred_det_in_catastrophe", sum(\.predDetInCatastrophe)),
    ]
    func round(_ x: Double) -> StatValue { .rate(pythonRound(x, digits: digits)) }
    var record: [(String, StatValue)] = [
      ("correct_detections", .count(correct)), ("n_true", .count(nTrue)), ("n_pred", .count(nPred)),
      ("recall", round(recall)), ("precision", round(precision)), ("seg", round(seg)),
      ("jaccard", round(jaccard)), ("total_errors", .count(errors.reduce(0) { $0 + $1.1 })),
    ]
    record += bad.map { ($0.0, .count($0.1)) }
    record += errors.map { ($0.0, .count($0.1)) }
    let f1 = recall.isNaN ? Double.nan : harmonicMean(recall, precision)
    record.append(("f1", round(f1)))
    record.append(("seg_deepcell", round(segDeepcell)))
    if let first = matching.first, !first.isEmpty {
      var aps = [Double]()
      for k in first.indices {
        let pooled = ThresholdMatching.pooled(matching.map { $0[k] })
        aps.append(pooled.averagePrecision)
        record.append(
          ("ap_" + ThresholdMatching.key(pooled.threshold), round(pooled.averagePrecision)))
      }
      for k in first.indices {
        let pooled = ThresholdMatching.pooled(matching.map { $0[k] })
        record.append(("f1_" + ThresholdMatching.key(pooled.threshold), round(pooled.f1)))
      }
      record.append(("mean_ap", round(aps.reduce(0, +) / Double(aps.count))))
    }
    self.record = record
  }

  /// The value of `key`, if present.
  public subscript(key: String) -> StatValue? { record.first { $0.0 == key }?.1 }
}
