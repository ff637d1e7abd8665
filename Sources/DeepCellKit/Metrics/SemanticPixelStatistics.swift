/// DeepCell's pixel statistics of multi-channel semantic maps (`Metrics.calc_pixel_stats`,
/// metrics.md §1): each channel k of truth and prediction is binarised with
/// `value > threshold` and compared with ``PixelMetrics``; the confusion matrix counts
/// `argmax` over channels of truth (rows) against prediction (columns), over the classes that
/// occur in either (scikit-learn's `confusion_matrix`).
public struct SemanticPixelStatistics: Sendable {
  /// Per-channel binary statistics.
  public let channels: [PixelMetrics]
  /// The classes (channel indices) present in either argmax map, ascending.
  public let classes: [Int]
  /// `confusion[i][j]`: pixels of truth class `classes[i]` predicted as `classes[j]`.
  public let confusion: [[Int]]

  /// Compares maps of equal shape whose last axis is the channel axis.
  ///
  /// - Throws: ``DeepCellError`` `badData` when the shapes differ.
  public init(truth: NDArray, prediction: NDArray, threshold: Double = 0.5) throws {
    guard truth.shape == prediction.shape, let k = truth.shape.last, k > 0 else {
      throw DeepCellError(
        .badData, "prediction",
        "shape \(prediction.shape) does not match the truth's \(truth.shape)")
    }
    let t = truth.doubleValues()
    let p = prediction.doubleValues()
    let pixels = t.count / k
    var stats = [(Int, Int, Int)](repeating: (0, 0, 0), count: k)
    var counts = [Int](repeating: 0, count: k * k)
    for i in 0..<pixels {
      var bestT = 0
      var bestP = 0
      for c in 0..<k {
        let a = t[i * k + c] > threshold
        let b = p[i * k + c] > threshold
        if a { stats[c].0 += 1 }
        if b { stats[c].1 += 1 }
        if a && b { stats[c].2 += 1 }
        if t[i * k + c] > t[i * k + bestT] { bestT = c }
        if p[i * k + c] > p[i * k + bestP] { bestP = c }
      }
      counts[bestT * k + bestP] += 1
    }
    channels = stats.map {
      PixelMetrics(truthPixels: $0.0, predictedPixels: $0.1, intersection: $0.2)
    }
    var present = [Bool](repeating: false, count: k)
    for a in 0..<k {
      for b in 0..<k where counts[a * k + b] > 0 {
        present[a] = true
        present[b] = true
      }
    }
    let found = (0..<k).filter { present[$0] }
    classes = found
    confusion = found.map { a in found.map { b in counts[a * k + b] } }
  }
}
