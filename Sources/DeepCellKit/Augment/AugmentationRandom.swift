/// The generator's own seeded pseudo-random numbers: xoshiro256** (Blackman & Vigna,
/// "Scrambled linear pseudorandom number generators", 2018) seeded through SplitMix64
/// (Steele, Lea & Flood 2014) from `(seed, stream, index)`.
///
/// The sequence is ours, not numpy's MT19937: the same seed gives the same augmentations
/// in every dc-augment / dc-train run on every machine and thread count (augment.md §6),
/// but not the reference's. Every draw (uniform doubles, bounded integers, permutations) is
/// implemented here so no standard-library algorithm change can alter the stream.
public struct AugmentationRandom: Sendable {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

  /// Independent stream `index` of kind `stream` under `seed`.
  public init(seed: UInt64, stream: UInt64, index: UInt64) {
    var x = seed
    var mixed = AugmentationRandom.splitMix(&x) ^ (stream &* 0x9E37_79B9_7F4A_7C15)
    mixed = AugmentationRandom.splitMix(&mixed) ^ (index &* 0xD1B5_4A32_D192_ED03)
    var state = mixed
    s0 = AugmentationRandom.splitMix(&state)
    s1 = AugmentationRandom.splitMix(&state)
    s2 = AugmentationRandom.splitMix(&state)
    s3 = AugmentationRandom.splitMix(&state)
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
  }

  /// SplitMix64 step: advances `x` and returns the mixed output.
  static func splitMix(_ x: inout UInt64) -> UInt64 {
    x &+= 0x9E37_79B9_7F4A_7C15
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The next 64 random bits (xoshiro256**).
  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3 << 45 | s3 >> 19
    return result
  }

  /// A uniform double in [0, 1) with 53 random bits.
  public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// A uniform double in [lo, hi) as numpy computes it: `lo + (hi − lo)·u`.
  public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

  /// A uniform integer in 0..<bound (bound ≥ 1), unbiased (Lemire's multiply-and-reject).
  public mutating func integer(below bound: Int) -> Int {
    precondition(bound >= 1, "bound must be positive")
    let b = UInt64(bound)
    var product = next().multipliedFullWidth(by: b)
    if product.low < b {
      let threshold = (0 &- b) % b
      while product.low < threshold { product = next().multipliedFullWidth(by: b) }
    }
    return Int(product.high)
  }

  /// A uniformly random permutation of 0..<count (Fisher–Yates, from the last position down).
  public mutating func permutation(_ count: Int) -> [Int] {
    var p = Array(0..<count)
    if count < 2 { return p }
    for i in stride(from: count - 1, to: 0, by: -1) {
      p.swapAt(i, integer(below: i + 1))
    }
    return p
  }
}
