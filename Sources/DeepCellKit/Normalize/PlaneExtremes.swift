/// The minimum and maximum of a float32 plane, and whether every value is finite.
struct PlaneExtremes {
  /// The smallest value (meaningful only for finite planes).
  var min: Float
  /// The largest value (meaningful only for finite planes).
  var max: Float

  /// Scans `values` (must not be empty) with four independent accumulators.
  init(_ values: UnsafeBufferPointer<Float>) {
    precondition(!values.isEmpty, "extremes of an empty plane")
    let n = values.count
    var lo0 = values[0]
    var lo1 = lo0
    var lo2 = lo0
    var lo3 = lo0
    var hi0 = lo0
    var hi1 = lo0
    var hi2 = lo0
    var hi3 = lo0
    var i = 0
    while i + 4 <= n {
      let a = values[i]
      let b = values[i + 1]
      let c = values[i + 2]
      let d = values[i + 3]
      lo0 = a < lo0 ? a : lo0
      lo1 = b < lo1 ? b : lo1
      lo2 = c < lo2 ? c : lo2
      lo3 = d < lo3 ? d : lo3
      hi0 = a > hi0 ? a : hi0
      hi1 = b > hi1 ? b : hi1
      hi2 = c > hi2 ? c : hi2
      hi3 = d > hi3 ? d : hi3
      i += 4
    }
    while i < n {
      lo0 = values[i] < lo0 ? values[i] : lo0
      hi0 = values[i] > hi0 ? values[i] : hi0
      i += 1
    }
    min = Swift.min(Swift.min(lo0, lo1), Swift.min(lo2, lo3))
    max = Swift.max(Swift.max(hi0, hi1), Swift.max(hi2, hi3))
  }

  /// Whether no value of `values` is NaN or ±infinity (an exponent of all ones carries
  /// into bit 31 when one unit is added to it; integer operations, so the loop vectorizes).
  static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
    var special: UInt32 = 0
    let bits = UnsafeRawBufferPointer(values).bindMemory(to: UInt32.self)
    for word in bits { special |= (word & 0x7F80_0000) &+ 0x0080_0000 }
    return special & 0x8000_0000 == 0
  }
}
