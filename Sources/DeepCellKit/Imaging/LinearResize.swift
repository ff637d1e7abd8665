/// Bilinear resizing of a channels-last float32 frame with OpenCV `INTER_LINEAR` semantics
/// (predict.md §2): output index o samples the source coordinate `(o + 0.5)·(n/m) − 0.5`,
/// clamped to [0, n − 1], no anti-aliasing when shrinking. Channels are resized independently.
public enum LinearResize {
  /// Source index pairs and weights for an axis of `n` source and `m` output samples.
  static func taps(source n: Int, output m: Int) -> [(Int, Int, Float)] {
    let scale = Double(n) / Double(m)
    return (0..<m).map { o in
      var x = (Double(o) + 0.5) * scale - 0.5
      x = min(max(x, 0), Double(n - 1))
      let i0 = Int(x.rounded(.down))
      let i1 = min(i0 + 1, n - 1)
      return (i0, i1, Float(x - Double(i0)))
    }
  }

  /// `frame` (height × width × channels) resized to `newHeight × newWidth × channels`.
  public static func resize(
    _ frame: [Float], height: Int, width: Int, channels: Int, newHeight: Int, newWidth: Int
  ) -> [Float] {
    precondition(frame.count == height * width * channels && newHeight > 0 && newWidth > 0)
    if newHeight == height && newWidth == width { return frame }
    let rows = taps(source: height, output: newHeight)
    let cols = taps(source: width, output: newWidth)
    var out = [Float](repeating: 0, count: newHeight * newWidth * channels)
    for (y, (r0, r1, fy)) in rows.enumerated() {
      for (x, (c0, c1, fx)) in cols.enumerated() {
        for c in 0..<channels {
          let a = frame[(r0 * width + c0) * channels + c]
          let b = frame[(r0 * width + c1) * channels + c]
          let d = frame[(r1 * width + c0) * channels + c]
          let e = frame[(r1 * width + c1) * channels + c]
          let top = a + (b - a) * fx
          let bottom = d + (e - d) * fx
          out[(y * newWidth + x) * channels + c] = top + (bottom - top) * fy
        }
      }
    }
    return out
  }
}
