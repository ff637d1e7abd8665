/// skimage 0.19–0.21 `h_maxima(image, h, footprint)` on a float32 plane (watershed.md §3):
/// the maxima whose dynamic is at least `h`, as a 0/1 mask.
///
/// Steps, with numpy's float32 rounding at each one:
/// 1. if `h > ptp(image)` (compared in float64) → all zeros;
/// 2. `seed = (image − f32(h)) − f32(2e-6)·|image|` (skimage's `2·finfo.resolution` shift);
/// 3. `rec` = ``GreyReconstruction/byDilation(seed:mask:height:width:footprint:)`` of `seed` under `image`;
/// 4. marker where `image − rec ≥ f32(h)`.
public enum HMaxima {
  /// The 0/1 h-maxima mask of the row-major `height × width` plane. Throws for `h == 0`
  /// (skimage: "h = 0 is ambiguous"), for a negative or non-finite `h`, and for NaN pixels.
  public static func mask(
    _ image: [Float], height: Int, width: Int, h: Double, footprint: Footprint
  ) throws -> [UInt8] {
    precondition(image.count == height * width, "image does not match \(height)×\(width)")
    guard h.isFinite else { throw DeepCellError(.usage, "h", "must be finite, got \(h)") }
    if image.isEmpty { return [] }
    let (lo, hi, hasNaN) = extrema(image)
    if hasNaN { throw DeepCellError(.badData, "h-maxima", "image contains NaN") }
    let ptp = hi - lo
    if h > Double(ptp) { return [UInt8](repeating: 0, count: image.count) }
    if h == 0 { throw DeepCellError(.usage, "h", "h = 0 is ambiguous (use local maxima instead)") }
    guard h > 0 else { throw DeepCellError(.usage, "h", "must be > 0, got \(h)") }
    let hf = Float(h)
    let resolution = Float(2e-6 as Double)  // 2 * np.finfo(float32).resolution, as float32
    let n = image.count
    var rec = image.withUnsafeBufferPointer { img in
      [Float](unsafeUninitializedCapacity: n) { seed, filled in
        for k in 0..<n {
          let v = img[k]
          let shifted: Float = v - hf
          let res: Float = resolution * abs(v)
          seed[k] = shifted - res
        }
        filled = n
      }
    }
    try GreyReconstruction.byDilation(
      &rec, mask: image, height: height, width: width, footprint: footprint)
    return image.withUnsafeBufferPointer { img in
      rec.withUnsafeBufferPointer { r in
        [UInt8](unsafeUninitializedCapacity: n) { out, filled in
          for k in 0..<n {
            let residue: Float = img[k] - r[k]
            out[k] = residue >= hf ? 1 : 0
          }
          filled = n
        }
      }
    }
  }

  /// The minimum and maximum of the non-NaN values of `image`, and whether it has a NaN, four
  /// lanes at a time.
  static func extrema(_ image: [Float]) -> (lo: Float, hi: Float, hasNaN: Bool) {
    typealias Lanes = SIMD4<Float>
    return image.withUnsafeBufferPointer { b in
      let p = b.baseAddress!
      var lo4 = Lanes(repeating: .infinity)
      var hi4 = Lanes(repeating: -.infinity)
      var nan4 = SIMDMask<SIMD4<Int32>>(repeating: false)
      var x = 0
      while x + 4 <= b.count {
        let v = UnsafeRawPointer(p + x).loadUnaligned(as: Lanes.self)
        lo4.replace(with: v, where: v .< lo4)
        hi4.replace(with: v, where: v .> hi4)
        nan4 .|= v .!= v
        x += 4
      }
      var lo = lo4.min()
      var hi = hi4.max()
      var hasNaN = any(nan4)
      while x < b.count {
        let v = p[x]
        if v.isNaN { hasNaN = true }
        if v < lo { lo = v }
        if v > hi { hi = v }
        x += 1
      }
      return (lo, hi, hasNaN)
    }
  }
}
