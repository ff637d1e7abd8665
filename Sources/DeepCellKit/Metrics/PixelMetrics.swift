/// DeepCell's pixel-level statistics of a binary foreground comparison (`PixelMetrics`,
/// metrics.md §1): with `T` = truth ≠ 0, `P` = prediction ≠ 0, `I = |T ∧ P|`, `U = |T ∨ P|`.
public struct PixelMetrics: Sendable, Equatable {
  /// |T|.
  public var truthPixels: Int
  /// |P|.
  public var predictedPixels: Int
  /// |T ∧ P|.
  public var intersection: Int

  /// Statistics from the three pixel counts.
  public init(truthPixels: Int, predictedPixels: Int, intersection: Int) {
    self.truthPixels = truthPixels
    self.predictedPixels = predictedPixels
    self.intersection = intersection
  }

  /// Statistics of the foregrounds of two label images.
  public init(_ overlap: LabelOverlap) {
    self.init(
      truthPixels: overlap.truthForeground, predictedPixels: overlap.predictionForeground,
      intersection: overlap.foregroundIntersection)
  }

  /// Statistics of two equally long masks (nonzero = foreground).
  public init(truth: [Bool], prediction: [Bool]) {
    precondition(truth.count == prediction.count, "masks differ in size")
    var t = 0
    var p = 0
    var i = 0
    for k in truth.indices {
      if truth[k] { t += 1 }
      if prediction[k] { p += 1 }
      if truth[k] && prediction[k] { i += 1 }
    }
    self.init(truthPixels: t, predictedPixels: p, intersection: i)
  }

  /// |T ∨ P|.
  public var union: Int { truthPixels + predictedPixels - intersection }
  /// I / |T|; NaN when the truth is empty.
  public var recall: Double { truthPixels == 0 ? .nan : Double(intersection) / Double(truthPixels) }
  /// I / |P|; 0 when the prediction is empty.
  public var precision: Double {
    predictedPixels == 0 ? 0 : Double(intersection) / Double(predictedPixels)
  }
  /// Harmonic mean of recall and precision (scipy `hmean`); NaN when recall is NaN and
  /// precision 0, 0 when either is 0.
  public var f1: Double {
    let r = recall
    let p = precision
    if r.isNaN && p == 0 { return .nan }
    return harmonicMean(r, p)
  }
  /// 2I / (|T| + |P|); 1 when both are empty (the reference warns).
  public var dice: Double {
    let sum = truthPixels + predictedPixels
    return sum == 0 ? 1.0 : 2.0 * Double(intersection) / Double(sum)
  }
  /// I / U; NaN when both are empty.
  public var jaccard: Double { union == 0 ? .nan : Double(intersection) / Double(union) }

  /// The reference's `to_dict()` in its key order.
  public var record: [(String, Double)] {
    [
      ("jaccard", jaccard), ("recall", recall), ("precision", precision), ("f1", f1),
      ("dice", dice),
    ]
  }
}

/// scipy.stats.hmean of two non-negative values: `1 / mean(1/a, 1/b)`, 0 if either is 0.
@inline(__always)
func harmonicMean(_ a: Double, _ b: Double) -> Double {
  if a == 0 || b == 0 { return 0 }
  return 1.0 / ((1.0 / a + 1.0 / b) / 2.0)
}
