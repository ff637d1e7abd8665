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
    // Union-find over provisional labels, two passes.
    var parent: [Int32] = [0]
    parent.reserveCapacity(256)
    func find(_ x: Int32) -> Int32 {
      var x = x
      while parent[Int(x)] != x {
        parent[Int(x)] = parent[Int(parent[Int(x)])]
        x = parent[Int(x)]
      }
      return x
    }
    func union(_ a: Int32, _ b: Int32) -> Int32 {
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
          current = Int32(parent.count)
          parent.append(current)
        }
        out[i] = current
      }
    }
    // Final numbering in raster order of first pixel.
    var final = [Int32](repeating: 0, count: parent.count)
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
