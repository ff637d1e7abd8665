/// DeepCell's `histogram_normalization` for one plane (normalize.md §1; deepcell-toolbox
/// 0.12.1 `processing.histogram_normalization`): a constant plane becomes all zeros;
/// otherwise the plane is min–max rescaled to [0, 1] in float32,
/// `x1 = (x - min) / (max - min)`, and equalized by ``CLAHE`` with clip limit 0.01 and
/// 256 bins. The output is float32 in [0, 1].
public struct HistogramNormalization: PlaneNormalization, Equatable {
  /// CLAHE contextual region size; nil means 1/8 of the plane per axis (skimage's default).
  public var kernelSize: KernelSize?

  /// The normalization with an optional CLAHE kernel size.
  public init(kernelSize: KernelSize? = nil) { self.kernelSize = kernelSize }

  public func normalize(
    _ input: UnsafeBufferPointer<Float>, height: Int, width: Int, sourceType: DType,
    into output: UnsafeMutableBufferPointer<Float>, threads: Int
  ) throws {
    let n = height * width
    // 2. Constant plane (every pixel equals the first): zeros.
    let extremes = PlaneExtremes(UnsafeBufferPointer(rebasing: input[0..<n]))
    let lo = extremes.min
    let hi = extremes.max
    if lo == hi {
      for i in 0..<n { output[i] = 0 }
      return
    }
    // 3–4. Min–max rescale (rescale_intensity with Python-float bounds: the span is
    // computed in float64 and used as float32), fused into CLAHE's first pass.
    let span = Float(Double(hi) - Double(lo))
    try CLAHE(kernelSize: kernelSize).equalize(
      input, offset: lo, scale: span, inputMin: lo, inputMax: hi, height: height, width: width,
      into: output, threads: threads)
  }
}
