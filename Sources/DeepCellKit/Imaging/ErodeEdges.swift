/// deepcell-toolbox `erode_edges(mask, erosion_width)` (augment.md §5, watershed.md §2 step 7):
/// `erosionWidth` passes, each zeroing the "inner boundary" pixels of the label image —
/// skimage `find_boundaries(mode='inner')`, i.e. non-zero pixels with an in-image
/// 4-neighbour of a different value.
public enum ErodeEdges {
  /// The eroded copy of the row-major `height × width` label plane.
  @inlinable
  public static func apply<T: FixedWidthInteger>(
    _ labels: [T], height: Int, width: Int, erosionWidth: Int
  ) -> [T] {
    precondition(labels.count == height * width, "plane does not match \(height)×\(width)")
    var current = labels
    if erosionWidth <= 0 { return current }
    var boundary = [Bool](repeating: false, count: labels.count)
    for _ in 0..<erosionWidth {
      current.withUnsafeBufferPointer { c in
        for y in 0..<height {
          for x in 0..<width {
            let p = y * width + x
            let v = c[p]
            var b = false
            if v != 0 {
              b =
                (y > 0 && c[p - width] != v) || (x > 0 && c[p - 1] != v)
                || (x < width - 1 && c[p + 1] != v) || (y < height - 1 && c[p + width] != v)
            }
            boundary[p] = b
          }
        }
      }
      for p in current.indices where boundary[p] { current[p] = 0 }
    }
    return current
  }
}
