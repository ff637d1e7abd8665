import Foundation

/// Per-plane standardization, deepcell-toolbox 0.12.1 `processing.normalize`
/// (normalize.md §2, `zscore`): `(x - mean) / (std + epsilon)` with the population standard
/// deviation (ddof 0), in float32.
///
/// The mean and standard deviation are accumulated in float64 and then rounded to float32
/// (numpy sums float32 pairwise in float32), so results agree with the reference to about
/// one float32 ulp of the statistics, not bit for bit.
public struct ZScoreNormalization: PlaneNormalization, Equatable {
  /// Added to the standard deviation (the reference's `epsilon`, default 1e-7).
  public var epsilon: Double

  /// The normalization with the reference's default epsilon.
  public init(epsilon: Double = 1e-7) { self.epsilon = epsilon }

  public func normalize(
    _ input: UnsafeBufferPointer<Float>, height: Int, width: Int, sourceType: DType,
    into output: UnsafeMutableBufferPointer<Float>, threads: Int
  ) throws {
    let n = height * width
    var sum = 0.0
    for i in 0..<n { sum += Double(input[i]) }
    let mean = sum / Double(n)
    var squares = 0.0
    for i in 0..<n {
      let d = Double(input[i]) - mean
      squares += d * d
    }
    let mean32 = Float(mean)
    let std32 = Float((squares / Double(n)).squareRoot())
    // float32 scalar + Python float is float64 in numpy 1.x; the array division then
    // casts that divisor back to float32.
    let divisor = Float(Double(std32) + epsilon)
    for i in 0..<n { output[i] = (input[i] - mean32) / divisor }
  }
}
