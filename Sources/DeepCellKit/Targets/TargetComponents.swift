/// Connected components of a label image for the target transforms: 8-connectivity, and
/// neighbouring pixels with different label values belong to different components
/// (skimage `label(mask)` on a label image, augment.md §5 "components"). Components are
/// numbered 1…n in raster order of their first pixel, as skimage numbers them; background
/// (0) stays 0.
///
/// Internal to the Targets room: the general connected-component labelling belongs to
/// `Imaging/ConnectedComponents.swift` (watershed work); this private version exists so the
/// targets do not wait for it.
enum TargetComponents {
  /// Labels the components of a row-major `height`×`width` label image into `out`;
  /// returns the number of components.
  static func label(
    _ labels: UnsafeBufferPointer<Int32>, height: Int, width: Int,
    into out: UnsafeMutableBufferPointer<Int32>
  ) -> Int {
    let n = height * width
    // Union-find over provisional labels (at most one per pixel), two passes.
    let parent = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n + 1)
    defer { parent.deallocate() }
    parent[0] = 0
    var next: Int32 = 1
    @inline(__always) func find(_ x: Int32) -> Int32 {
      var x = x
      while parent[Int(x)] != x {
        let p = parent[Int(parent[Int(x)])]
        parent[Int(x)] = p
        x = p
      }
      return x
    }
    @inline(__always) func union(_ a: Int32, _ b: Int32) -> Int32 {
      if a == b { return a }
      let ra = find(a)
      let rb = find(b)
      if ra == rb { return ra }
      if ra < rb {
        parent[Int(rb)] = ra
        return ra
      }
      parent[Int(ra)] = rb
      return rb
    }
    for r in 0..<height {
      let row = r * width
      for c in 0..<width {
        let i = row + c
        let v = labels[i]
        if v == 0 {
          out[i] = 0
          continue
        }
        var current: Int32 = 0
        // Already-visited neighbours: W, NW, N, NE.
        if c > 0 && labels[i - 1] == v { current = out[i - 1] }
        if r > 0 {
          let up = i - width
          if c > 0 && labels[up - 1] == v {
            current = current == 0 ? out[up - 1] : union(current, out[up - 1])
          }
          if labels[up] == v { current = current == 0 ? out[up] : union(current, out[up]) }
          if c + 1 < width && labels[up + 1] == v {
            current = current == 0 ? out[up + 1] : union(current, out[up + 1])
          }
        }
        if current == 0 {
          current = next
          parent[Int(next)] = next
          next += 1
        }
        out[i] = current
      }
    }
    // Final numbering in raster order of first pixel.
    let final = UnsafeMutableBufferPointer<Int32>.allocate(capacity: Int(next))
    defer { final.deallocate() }
    final.initialize(repeating: 0)
    var count: Int32 = 0
    for i in 0..<n where out[i] != 0 {
      let root = Int(find(out[i]))
      if final[root] == 0 {
        count += 1
        final[root] = count
      }
      out[i] = final[root]
    }
    return Int(count)
  }
}
