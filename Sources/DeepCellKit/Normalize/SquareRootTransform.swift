/// A plane's values replaced by the square root of their height above the plane's minimum,
/// `y = √(x − min x)`, then normalized by `base`. The square root is the variance-stabilizing
/// transform of photon counts (for Poisson counts the variance of √x is nearly constant,
/// about 1/4; Anscombe, Biometrika 35, 1948): it compresses the range between bright and dim
/// nuclei of one image, so a nucleus at a fifth of its neighbours' brightness keeps √(1/5) ≈
/// 0.45 of their contrast after min–max rescaling instead of 0.2, and CLAHE's contrast limit
/// no longer leaves it near the background. The minimum is subtracted first so that a camera
/// offset does not flatten the curve. A constant plane stays constant (all zeros).
public struct SquareRootTransform: PlaneNormalization {
  /// The normalization applied to the square roots.
  public var base: any PlaneNormalization

  /// The transform followed by `base`.
  public init(_ base: any PlaneNormalization) { self.base = base }

  public func normalize(
    _ input: UnsafeBufferPointer<Float>, height: Int, width: Int, sourceType: DType,
    into output: UnsafeMutableBufferPointer<Float>, threads: Int
  ) throws {
    let n = height * width
    let lo = PlaneExtremes(UnsafeBufferPointer(rebasing: input[0..<n])).min
    // x − lo is exact for integer values below 2^24, and a float32 square root is correctly
    // rounded, so these are the float64 roots rounded to float32.
    let roots = [Float](unsafeUninitializedCapacity: n) { buffer, count in
      for i in 0..<n { buffer[i] = (input[i] - lo).squareRoot() }
      count = n
    }
    try roots.withUnsafeBufferPointer {
      try base.normalize(
        $0, height: height, width: width, sourceType: .float32, into: output, threads: threads)
    }
  }
}
