/// The minimum and maximum of a float32 plane and whether every value is finite, in one
/// vectorized pass (8 lanes; NaN and ±infinity are found from the exponent bits).
struct PlaneExtremes {
  /// The smallest value (meaningful only when ``allFinite``).
  var min: Float
  /// The largest value (meaningful only when ``allFinite``).
  var max: Float
  /// False when some value is NaN or infinite.
  var allFinite: Bool

  /// Scans `values` (must not be empty).
  init(_ values: UnsafeBufferPointer<Float>) {
    precondition(!values.isEmpty, "extremes of an empty plane")
    let n = values.count
    let base = UnsafeRawPointer(values.baseAddress!)
    var lo = SIMD8<Float>(repeating: values[0])
    var hi = lo
    // An exponent of all ones (NaN, infinity) carries into bit 31 when 1 is added to it.
    var special = SIMD8<UInt32>(repeating: 0)
    let exponent = SIMD8<UInt32>(repeating: 0x7F80_0000)
    let carry = SIMD8<UInt32>(repeating: 0x0080_0000)
    var i = 0
    while i + 8 <= n {
      let v = base.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      lo = pointwiseMin(lo, v)
      hi = pointwiseMax(hi, v)
      special |= (unsafeBitCast(v, to: SIMD8<UInt32>.self) & exponent) &+ carry
      i += 8
    }
    var low = lo.min()
    var high = hi.max()
    var finite = (special & SIMD8(repeating: 0x8000_0000)) == SIMD8(repeating: 0)
    while i < n {
      let v = values[i]
      low = Swift.min(low, v)
      high = Swift.max(high, v)
      finite = finite && v.isFinite
      i += 1
    }
    min = low
    max = high
    allFinite = finite
  }
}
