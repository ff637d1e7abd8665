import Foundation

/// scipy.ndimage `gaussian_filter(image, sigma, mode='reflect', truncate=4.0)` on a float32
/// plane (watershed.md §2 step 2).
///
/// Separable: axis 0 (rows) first, then axis 1, each pass a 1-D correlation with the kernel
/// `w(x) = exp(-x²/2σ²) / Σ exp(-x²/2σ²)`, `x = -r...r`, `r = int(truncate·σ + 0.5)`, computed
/// in float64 and rounded to float32 after each pass, exactly as scipy's `correlate1d` does
/// (symmetric-kernel branch: centre term first, then the outermost pairs inward).
/// Boundary `reflect` (`dcba|abcd|dcba`). `sigma == 0` returns the image unchanged.
public enum GaussianFilter {
  /// The normalised 1-D kernel scipy builds for `sigma` (`_gaussian_kernel1d`, order 0).
  public static func kernel(sigma: Double, truncate: Double = 4.0) -> [Double] {
    let radius = Int(truncate * sigma + 0.5)
    let c = -0.5 / (sigma * sigma)
    let phi = (-radius...radius).map { x in Foundation.exp(c * Double(x * x)) }
    let sum = NumpySum.pairwise(phi)
    return phi.map { $0 / sum }
  }

  /// Filters the row-major `height × width` plane `image`; throws for a negative or
  /// non-finite `sigma`.
  public static func apply(
    _ image: [Float], height: Int, width: Int, sigma: Double, truncate: Double = 4.0
  ) throws -> [Float] {
    precondition(image.count == height * width, "image does not match \(height)×\(width)")
    guard sigma.isFinite, sigma >= 0 else {
      throw DeepCellError(.usage, "sigma", "must be a finite number >= 0, got \(sigma)")
    }
    guard sigma > 1e-15, height > 0, width > 0 else { return image }
    let weights = kernel(sigma: sigma, truncate: truncate)
    // Both passes write every element: no zero fill.
    let tmp = [Float](unsafeUninitializedCapacity: image.count) { dst, filled in
      image.withUnsafeBufferPointer { src in
        correlateColumns(
          src.baseAddress!, dst.baseAddress!, height: height, width: width, weights: weights)
      }
      filled = image.count
    }
    let out = [Float](unsafeUninitializedCapacity: image.count) { dst, filled in
      tmp.withUnsafeBufferPointer { src in
        correlateRows(
          src.baseAddress!, dst.baseAddress!, height: height, width: width, weights: weights)
      }
      filled = image.count
    }
    return out
  }

  /// Index of position `p` (any integer) in a line of `n` under scipy's `reflect` mode.
  @inline(__always)
  static func reflect(_ p: Int, _ n: Int) -> Int {
    if p >= 0 && p < n { return p }
    let period = 2 * n
    var q = p % period
    if q < 0 { q += period }
    return q < n ? q : period - 1 - q
  }

  /// The axis-0 pass, computed a whole output row at a time (same per-pixel operation order
  /// as the line-by-line form, so the same bits, but cache friendly).
  private static func correlateColumns(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, height: Int, width: Int,
    weights: [Double]
  ) {
    let radius = weights.count / 2
    var acc = [Double](repeating: 0, count: width)
    acc.withUnsafeMutableBufferPointer { a in
      for y in 0..<height {
        let centre = weights[radius]
        let row = src + y * width
        for x in 0..<width { a[x] = Double(row[x]) * centre }
        var j = -radius
        while j < 0 {
          let w = weights[radius + j]
          let up = src + reflect(y + j, height) * width
          let down = src + reflect(y - j, height) * width
          for x in 0..<width { a[x] += (Double(up[x]) + Double(down[x])) * w }
          j += 1
        }
        let out = dst + y * width
        for x in 0..<width { out[x] = Float(a[x]) }
      }
    }
  }

  /// The axis-1 pass: each row is extended by `reflect`, then correlated a whole row at a
  /// time (per pixel: centre term first, then the outermost pairs inward, as scipy does —
  /// so the same bits — but the loops over x vectorise).
  private static func correlateRows(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, height: Int, width: Int,
    weights: [Double]
  ) {
    let radius = weights.count / 2
    let ext = width + 2 * radius
    let map = (0..<ext).map { reflect($0 - radius, width) }
    let line = UnsafeMutablePointer<Double>.allocate(capacity: ext)
    let acc = UnsafeMutablePointer<Double>.allocate(capacity: width)
    defer {
      line.deallocate()
      acc.deallocate()
    }
    let centre = weights[radius]
    for y in 0..<height {
      let row = src + y * width
      for k in 0..<radius { line[k] = Double(row[map[k]]) }
      for x in 0..<width { line[radius + x] = Double(row[x]) }
      for k in (radius + width)..<ext { line[k] = Double(row[map[k]]) }
      let c = line + radius
      for x in 0..<width { acc[x] = c[x] * centre }
      var j = -radius
      while j < 0 {
        let w = weights[radius + j]
        let lo = c + j
        let hi = c - j
        for x in 0..<width { acc[x] += (lo[x] + hi[x]) * w }
        j += 1
      }
      let out = dst + y * width
      for x in 0..<width { out[x] = Float(acc[x]) }
    }
  }
}
