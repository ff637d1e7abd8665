/// Per-plane clipping of bright outliers, deepcell-toolbox 0.12.1
/// `processing.percentile_threshold` (normalize.md §2, `percentile`): with `p` the
/// `percentile`-th percentile of the plane's nonzero pixels (numpy's default linear
/// interpolation), pixels above `p` are set to `p`; other values are kept, not rescaled.
/// A plane without nonzero pixels stays all zero.
///
/// As in the reference, integer input keeps integer values: the threshold written is `p`
/// truncated toward zero. Values are compared in float32 (numpy compares an 8/16-bit or
/// float32 array with a float64 scalar in float32).
public struct PercentileNormalization: PlaneNormalization, Equatable {
  /// The percentile, 0…100 (default 99.9).
  public var percentile: Double

  /// The normalization at `percentile` (validated by ``validate()``).
  public init(percentile: Double = 99.9) { self.percentile = percentile }

  /// Throws ``DeepCellError`` (`usage`) unless the percentile lies in [0, 100].
  public func validate() throws {
    guard percentile >= 0, percentile <= 100 else {
      throw DeepCellError(.usage, "percentile", "must lie in [0, 100], not \(percentile)")
    }
  }

  public func normalize(
    _ input: UnsafeBufferPointer<Float>, height: Int, width: Int, sourceType: DType,
    into output: UnsafeMutableBufferPointer<Float>, threads: Int
  ) throws {
    try validate()
    let n = height * width
    var nonzero = [Float]()
    nonzero.reserveCapacity(n)
    for i in 0..<n where input[i] != 0 { nonzero.append(input[i]) }
    guard !nonzero.isEmpty else {
      for i in 0..<n { output[i] = 0 }
      return
    }
    nonzero.sort()
    let p = PercentileNormalization.linearPercentile(sorted: nonzero, percentile: percentile)
    let threshold = Float(p)
    let replacement =
      sourceType.isInteger || sourceType == .bool ? Float(p.rounded(.towardZero)) : threshold
    for i in 0..<n {
      let v = input[i]
      output[i] = v > threshold ? replacement : v
    }
  }

  /// numpy 1.26 `percentile(a, q)` with `method='linear'` over ascending `sorted` values:
  /// virtual index `(n - 1) · q / 100`, and `_lerp` between its neighbours `a ≤ b` with
  /// weight `t`: `a + (b - a)·t`, or `b - (b - a)·(1 - t)` when `t ≥ 0.5`, where `b - a`
  /// is computed in float32 as numpy does for float32 data.
  public static func linearPercentile(sorted: [Float], percentile: Double) -> Double {
    let n = sorted.count
    precondition(n > 0, "percentile of no values")
    let virtualIndex = Double(n - 1) * (percentile / 100)
    if virtualIndex >= Double(n - 1) { return Double(sorted[n - 1]) }
    if virtualIndex < 0 { return Double(sorted[0]) }
    let below = Int(virtualIndex.rounded(.down))
    let t = virtualIndex - Double(below)
    let a = sorted[below]
    let b = sorted[below + 1]
    let difference = Double(b - a)
    return t >= 0.5 ? Double(b) - difference * (1 - t) : Double(a) + difference * t
  }
}
