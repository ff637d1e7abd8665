/// Grey dilation of a float32 plane by a flat footprint (scipy `maximum_filter` /
/// skimage `dilation`): each pixel becomes the maximum over the footprint placed on it.
///
/// Pixels outside the plane are ignored, which equals scipy's `nearest` and `reflect` modes
/// for a maximum (the reflected values all lie inside the clipped window). Used for
/// `pixel_expansion` (square 2e+1, watershed.md §2 step 3) and peak_local_max (§4). Each
/// footprint row is a sliding-window maximum (van Herk / Gil–Werman).
public enum MaximumFilter {
  /// The filtered copy of the row-major `height × width` plane.
  public static func apply(_ image: [Float], height: Int, width: Int, footprint: Footprint)
    -> [Float]
  {
    precondition(image.count == height * width, "image does not match \(height)×\(width)")
    if image.isEmpty { return image }
    // Distinct row windows → per-row sliding maxima, then a max over the footprint rows.
    var windows: [(Int, Int)] = []
    for r in footprint.runs where !windows.contains(where: { $0 == (r.dxMin, r.dxMax) }) {
      windows.append((r.dxMin, r.dxMax))
    }
    var rowMax = [[Float]](
      repeating: [Float](repeating: 0, count: image.count), count: windows.count)
    let scratchCount =
      windows.map { SlidingExtremum.scratchCount(n: width, lo: $0.0, hi: $0.1) }.max() ?? 1
    var scratch = [Float](repeating: 0, count: scratchCount)
    image.withUnsafeBufferPointer { src in
      scratch.withUnsafeMutableBufferPointer { s in
        for (k, w) in windows.enumerated() {
          rowMax[k].withUnsafeMutableBufferPointer { dst in
            for y in 0..<height {
              SlidingExtremum.max(
                src.baseAddress! + y * width, width, lo: w.0, hi: w.1,
                into: dst.baseAddress! + y * width, scratch: s.baseAddress!)
            }
          }
        }
      }
    }
    var out = [Float](repeating: -.infinity, count: image.count)
    for r in footprint.runs {
      let k = windows.firstIndex { $0 == (r.dxMin, r.dxMax) }!
      rowMax[k].withUnsafeBufferPointer { rm in
        for y in 0..<height {
          let yy = y + r.dy
          if yy < 0 || yy >= height { continue }
          let src = rm.baseAddress! + yy * width
          for x in 0..<width { out[y * width + x] = max(out[y * width + x], src[x]) }
        }
      }
    }
    return out
  }
}
