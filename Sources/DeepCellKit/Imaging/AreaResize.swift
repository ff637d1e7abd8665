/// Shrinking of a channels-last float32 frame by pixel-area averaging, OpenCV `INTER_AREA`'s
/// rule for reductions: output pixel o of an axis of `n` source and `m < n` output samples
/// averages the source interval [o·n/m, (o+1)·n/m), each source pixel weighted by the length
/// it overlaps the interval. Separable (rows, then columns) and without aliasing, unlike
/// ``LinearResize``, which samples only two source pixels per axis.
public enum AreaResize {
  /// Source indices and weights (summing to 1) of each output sample of an axis.
  static func taps(source n: Int, output m: Int) -> [[(Int, Float)]] {
    let scale = Double(n) / Double(m)
    return (0..<m).map { o in
      let lo = Double(o) * scale
      let hi = min(Double(n), Double(o + 1) * scale)
      var taps: [(Int, Float)] = []
      var i = Int(lo.rounded(.down))
      while Double(i) < hi && i < n {
        let overlap = min(hi, Double(i + 1)) - max(lo, Double(i))
        if overlap > 1e-9 { taps.append((i, Float(overlap / (hi - lo)))) }
        i += 1
      }
      return taps
    }
  }

  /// `frame` (height × width × channels) averaged down to `newHeight × newWidth × channels`;
  /// both new sizes must be at most the old ones.
  public static func resize(
    _ frame: [Float], height: Int, width: Int, channels: Int, newHeight: Int, newWidth: Int
  ) -> [Float] {
    precondition(frame.count == height * width * channels && newHeight > 0 && newWidth > 0)
    precondition(newHeight <= height && newWidth <= width)
    if newHeight == height && newWidth == width { return frame }
    let rows = taps(source: height, output: newHeight)
    let cols = taps(source: width, output: newWidth)
    // Rows first: newHeight × width × channels.
    var tall = [Float](repeating: 0, count: newHeight * width * channels)
    let rowLength = width * channels
    frame.withUnsafeBufferPointer { src in
      tall.withUnsafeMutableBufferPointer { dst in
        for (y, taps) in rows.enumerated() {
          let out = y * rowLength
          for (r, weight) in taps {
            let inp = r * rowLength
            for k in 0..<rowLength { dst[out + k] += weight * src[inp + k] }
          }
        }
      }
    }
    var out = [Float](repeating: 0, count: newHeight * newWidth * channels)
    tall.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<newHeight {
          for (x, taps) in cols.enumerated() {
            let d = (y * newWidth + x) * channels
            for (c0, weight) in taps {
              let s = (y * width + c0) * channels
              for c in 0..<channels { dst[d + c] += weight * src[s + c] }
            }
          }
        }
      }
    }
    return out
  }
}

/// Resizing as dc-predict and the training recipe do it (models/dsb_dataset.py): area
/// averaging (``AreaResize``) when both axes shrink, bilinear (``LinearResize``) otherwise.
public enum Resample {
  /// `frame` (height × width × channels) resized to `newHeight × newWidth × channels`.
  public static func resize(
    _ frame: [Float], height: Int, width: Int, channels: Int, newHeight: Int, newWidth: Int
  ) -> [Float] {
    if newHeight <= height && newWidth <= width {
      return AreaResize.resize(
        frame, height: height, width: width, channels: channels, newHeight: newHeight,
        newWidth: newWidth)
    }
    return LinearResize.resize(
      frame, height: height, width: width, channels: channels, newHeight: newHeight,
      newWidth: newWidth)
  }
}
