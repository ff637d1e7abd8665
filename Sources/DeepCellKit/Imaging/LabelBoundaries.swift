/// Inner boundaries of a label image: the nonzero pixels that have a 4-neighbour (up,
/// down, left, right) with a different value — skimage's
/// `find_boundaries(labels, mode='inner')` (a cross footprint; outside the image counts as
/// the pixel itself, so the image border is not a boundary). augment.md §5 and §5.4.
public enum LabelBoundaries {
  /// Marks (1) the inner-boundary pixels of a row-major `height`×`width` label image in
  /// `out`; every other pixel gets 0.
  public static func inner<T: BinaryInteger>(
    of labels: UnsafeBufferPointer<T>, height: Int, width: Int,
    into out: UnsafeMutableBufferPointer<UInt8>
  ) {
    precondition(
      labels.count >= height * width && out.count >= height * width, "buffer smaller than image")
    for r in 0..<height {
      let row = r * width
      for c in 0..<width {
        let i = row + c
        let v = labels[i]
        var edge = false
        if v != 0 {
          if c > 0 && labels[i - 1] != v {
            edge = true
          } else if c + 1 < width && labels[i + 1] != v {
            edge = true
          } else if r > 0 && labels[i - width] != v {
            edge = true
          } else if r + 1 < height && labels[i + width] != v {
            edge = true
          }
        }
        out[i] = edge ? 1 : 0
      }
    }
  }

  /// The inner-boundary mask (1 = boundary) of a row-major `height`×`width` label image.
  public static func inner<T: BinaryInteger>(of labels: [T], height: Int, width: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: height * width)
    labels.withUnsafeBufferPointer { l in
      out.withUnsafeMutableBufferPointer { o in inner(of: l, height: height, width: width, into: o)
      }
    }
    return out
  }
}
