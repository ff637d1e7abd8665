/// Erodes the edges of every labelled object: `iterations` (the erosion width) times, every inner-boundary pixel
/// (a nonzero pixel with a 4-neighbour of another value, see ``LabelBoundaries``) becomes
/// background — deepcell-toolbox's `erode_edges(mask, erosion_width)` (augment.md §5).
/// Touching objects therefore separate; the image border does not erode.
public enum EdgeErosion {
  /// Erodes a row-major `height`×`width` label image in place, `iterations` times
  /// (0 leaves it unchanged).
  public static func erode<T: BinaryInteger>(
    _ labels: UnsafeMutableBufferPointer<T>, height: Int, width: Int, iterations: Int
  ) {
    guard iterations > 0, height > 0, width > 0 else { return }
    let n = height * width
    let boundary = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: n)
    defer { boundary.deallocate() }
    for _ in 0..<iterations {
      LabelBoundaries.inner(
        of: UnsafeBufferPointer(labels), height: height, width: width, into: boundary)
      var changed = false
      for i in 0..<n where boundary[i] != 0 {
        labels[i] = 0
        changed = true
      }
      if !changed { break }
    }
  }

  /// An eroded copy of a row-major `height`×`width` label image.
  public static func eroded<T: BinaryInteger>(
    _ labels: [T], height: Int, width: Int, iterations: Int
  ) -> [T] {
    var copy = labels
    copy.withUnsafeMutableBufferPointer {
      erode($0, height: height, width: width, iterations: iterations)
    }
    return copy
  }
}
