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
    let n = image.count
    let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: windows.count * n)
    let sliding = SlidingExtremum(n: width, windows: windows.map { (lo: $0.0, hi: $0.1) })
    defer {
      rowMax.deallocate()
      sliding.deallocate()
    }
    image.withUnsafeBufferPointer { src in
      for y in 0..<height {
        sliding.max(
          src.baseAddress! + y * width, into: windows.indices.map { rowMax + $0 * n + y * width })
      }
    }
    var out = [Float](repeating: -.infinity, count: n)
    out.withUnsafeMutableBufferPointer { o in
      for r in footprint.runs {
        let k = windows.firstIndex { $0 == (r.dxMin, r.dxMax) }!
        for y in 0..<height {
          let yy = y + r.dy
          if yy < 0 || yy >= height { continue }
          let src = rowMax + k * n + yy * width
          let dst = o.baseAddress! + y * width
          for x in 0..<width { dst[x] = max(dst[x], src[x]) }
        }
      }
    }
    return out
  }
}
