/// DeepCell's `distance_bins` option of the inner/outer-distance targets (augment.md §5.4):
/// bin edges `linspace(min − 1e-7, max + 1e-7, K + 1)` (float64, numpy's formula) over the
/// whole frame; class = (index of the first edge ≥ value) − 1, i.e. `np.digitize(v, edges,
/// right=True) − 1`, in 0…K−1; written one-hot as K uint8 channels.
public enum DistanceBins {
  /// One-hot (H·W·K) of the binned values of one frame into `out`.
  public static func oneHot(
    _ values: UnsafeBufferPointer<Float>, bins: Int, into out: UnsafeMutableBufferPointer<UInt8>
  ) {
    precondition(bins >= 1, "at least one bin")
    let n = values.count
    guard n > 0 else { return }
    var lo = values[0]
    var hi = values[0]
    for v in values {
      if v < lo { lo = v }
      if v > hi { hi = v }
    }
    let epsilon = 1e-07
    let start = Double(lo) - epsilon
    let stop = Double(hi) + epsilon
    let step = (stop - start) / Double(bins)
    var edges = (0...bins).map { Double($0) * step + start }
    edges[bins] = stop
    for i in 0..<(n * bins) { out[i] = 0 }
    for i in 0..<n {
      let v = Double(values[i])
      // Number of edges strictly below v (edges ascend).
      var lower = 0
      var upper = edges.count
      while lower < upper {
        let mid = (lower + upper) / 2
        if edges[mid] < v { lower = mid + 1 } else { upper = mid }
      }
      let cls = min(max(lower - 1, 0), bins - 1)
      out[i * bins + cls] = 1
    }
  }
}
