/// The contingency table of two equally shaped label images: how many pixels each
/// (truth object, predicted object) pair shares. Every overlap-based metric — DeepCell's
/// IoU matrix (metrics.md §2 step 1), the CTC matching rule (§4), average precision (§2.5) —
/// is a function of this table and the object areas.
public struct LabelOverlap: Sendable {
  /// The truth image, indexed.
  public let truth: IndexedLabels
  /// The predicted image, indexed.
  public let prediction: IndexedLabels
  /// Pairs of overlapping objects (0-based indices) with their shared pixel count, sorted by
  /// truth index then prediction index; only counts > 0.
  public let pairs: [(truth: Int, prediction: Int, intersection: Int)]
  /// Pixels where both images are foreground.
  public let foregroundIntersection: Int

  /// Counts the overlaps of `truth` and `prediction`; their shapes must be equal.
  public init(truth: IndexedLabels, prediction: IndexedLabels) {
    precondition(truth.shape == prediction.shape, "label images differ in shape")
    self.truth = truth
    self.prediction = prediction
    let nt = truth.count
    let np = prediction.count
    let n = truth.index.count
    var pairs: [(truth: Int, prediction: Int, intersection: Int)] = []
    var both = 0
    if (nt + 1) * (np + 1) <= 1 << 23 {
      // Dense table (row = truth index, column = prediction index; 0 = background).
      let stride = np + 1
      var table = [Int32](repeating: 0, count: (nt + 1) * stride)
      truth.index.withUnsafeBufferPointer { t in
        prediction.index.withUnsafeBufferPointer { p in
          table.withUnsafeMutableBufferPointer { cm in
            for i in 0..<n { cm[Int(t[i]) * stride + Int(p[i])] += 1 }
          }
        }
      }
      for ti in 0..<nt {
        let base = (ti + 1) * stride + 1
        for pj in 0..<np {
          let c = Int(table[base + pj])
          if c > 0 {
            pairs.append((ti, pj, c))
            both += c
          }
        }
      }
    } else {
      var counts = [Int: Int]()
      truth.index.withUnsafeBufferPointer { t in
        prediction.index.withUnsafeBufferPointer { p in
          for i in 0..<n where t[i] != 0 && p[i] != 0 {
            counts[Int(t[i] - 1) * np + Int(p[i] - 1), default: 0] += 1
          }
        }
      }
      for key in counts.keys.sorted() {
        let c = counts[key]!
        pairs.append((key / np, key % np, c))
        both += c
      }
    }
    self.pairs = pairs
    self.foregroundIntersection = both
  }

  /// Pixels of truth foreground.
  public var truthForeground: Int { truth.index.count - truth.backgroundArea }
  /// Pixels of predicted foreground.
  public var predictionForeground: Int { prediction.index.count - prediction.backgroundArea }

  /// IoU `|t ∩ p| / |t ∪ p|` of a pair with `intersection` shared pixels.
  @inline(__always)
  public func iou(truth t: Int, prediction p: Int, intersection: Int) -> Double {
    Double(intersection) / Double(truth.areas[t] + prediction.areas[p] - intersection)
  }
}
