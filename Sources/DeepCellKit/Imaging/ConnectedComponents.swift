/// Connected-component labelling of a 2-D plane (skimage `measure.label` /
/// scipy `ndimage.label`), shared by every room that needs objects from masks or labels.
///
/// Two pixels belong to the same component when they are neighbours under the chosen
/// connectivity and hold the same non-background value (for a binary mask: both are
/// foreground). Components are numbered 1…N in raster (row-major) order of their first
/// pixel, which is the numbering skimage's `label` and scipy's `ndimage.label` produce.
/// Union–find with path halving; linear time.
public enum ConnectedComponents {
  /// Which neighbours touch: 4 (edge-sharing, skimage `connectivity=1`) or 8
  /// (edge- or corner-sharing, `connectivity=2`, skimage's default in 2-D).
  public enum Connectivity: Int, Sendable {
    case four = 4
    case eight = 8
  }

  /// Labels the components of equal, non-`background` values of the row-major
  /// `height × width` plane `values`. Returns the labels (0 = background) and N.
  @inlinable
  public static func label<T: Equatable>(
    _ values: [T], height: Int, width: Int, connectivity: Connectivity, background: T
  ) -> (labels: [Int32], count: Int) {
    precondition(values.count == height * width, "plane does not match \(height)×\(width)")
    return values.withUnsafeBufferPointer { v in
      label(
        count: values.count, height: height, width: width, connectivity: connectivity,
        isForeground: { v[$0] != background }, joins: { v[$0] == v[$1] })
    }
  }

  /// Labels the foreground (`true`) components of a binary mask.
  @inlinable
  public static func label(
    _ mask: [Bool], height: Int, width: Int, connectivity: Connectivity
  ) -> (labels: [Int32], count: Int) {
    label(mask, height: height, width: width, connectivity: connectivity, background: false)
  }

  /// The general form: `isForeground(i)` selects pixels, `joins(i, j)` says whether two
  /// neighbouring foreground pixels belong together.
  @inline(__always)
  public static func label(
    count: Int, height: Int, width: Int, connectivity: Connectivity,
    isForeground: (Int) -> Bool, joins: (Int, Int) -> Bool
  ) -> (labels: [Int32], count: Int) {
    precondition(count == height * width, "plane does not match \(height)×\(width)")
    var parent = [Int32](repeating: -1, count: count)
    parent.withUnsafeMutableBufferPointer { par in
      @inline(__always) func find(_ a: Int) -> Int {
        var a = a
        while Int(par[a]) != a {
          let g = Int(par[Int(par[a])])
          par[a] = Int32(g)
          a = g
        }
        return a
      }
      @inline(__always) func union(_ a: Int, _ b: Int) {
        let ra = find(a)
        let rb = find(b)
        if ra == rb { return }
        // The smaller index becomes the root, so a root is its component's first pixel.
        if ra < rb { par[rb] = Int32(ra) } else { par[ra] = Int32(rb) }
      }
      for y in 0..<height {
        for x in 0..<width {
          let p = y * width + x
          guard isForeground(p) else { continue }
          par[p] = Int32(p)
          if x > 0, par[p - 1] >= 0, joins(p, p - 1) { union(p, p - 1) }
          if y > 0 {
            let up = p - width
            if par[up] >= 0, joins(p, up) { union(p, up) }
            if connectivity == .eight {
              if x > 0, par[up - 1] >= 0, joins(p, up - 1) { union(p, up - 1) }
              if x < width - 1, par[up + 1] >= 0, joins(p, up + 1) { union(p, up + 1) }
            }
          }
        }
      }
    }
    var labels = [Int32](repeating: 0, count: count)
    var n: Int32 = 0
    parent.withUnsafeMutableBufferPointer { par in
      labels.withUnsafeMutableBufferPointer { lab in
        for p in 0..<count where par[p] >= 0 {
          var r = Int(par[p])
          while Int(par[r]) != r { r = Int(par[r]) }
          if r == p {
            n += 1
            lab[p] = n
          } else {
            lab[p] = lab[r]
          }
        }
      }
    }
    return (labels, Int(n))
  }
}
