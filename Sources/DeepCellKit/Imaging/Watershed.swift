/// Marker-controlled watershed by priority flood (skimage 0.19–0.21
/// `segmentation.watershed(image, markers, mask=mask)` with no compactness and no watershed
/// lines; watershed.md §5), reproducing skimage's visiting order so labels are identical.
///
/// Markers outside the mask are dropped. Every marker pixel is pushed (raster order, age 0)
/// onto a binary min-heap ordered by `(value, age)` — the same heap skimage uses
/// (`heap_general.pxi`), so even ties between markers pop in the same order. Popping a pixel
/// labels each in-mask, still unlabelled 4-neighbour (order: up, left, right, down) at once
/// with the popped pixel's label and pushes it with `age = ++counter`. Image borders are
/// never crossed; mask pixels no marker reaches stay 0.
///
/// The image is float32; skimage floods its float64 copy, whose order (and ties) are the
/// same, so the key `(value, age)` is packed into one `UInt64` (order-preserving float bits,
/// then the age) for fast comparisons.
public enum Watershed {
  /// Floods `image` (row-major `height × width`) from `markers` (0 = none) inside `mask`.
  /// Returns the labels.
  public static func flood(
    image: [Float], markers: [Int32], mask: [Bool], height: Int, width: Int
  ) -> [Int32] {
    let n = height * width
    precondition(
      image.count == n && markers.count == n && mask.count == n,
      "planes do not match \(height)×\(width)")
    // Padded by one pixel of "outside mask", like skimage's np.pad: no bounds checks needed.
    let pw = width + 2
    let ph = height + 2
    var inMask = [Bool](repeating: false, count: pw * ph)
    var output = [Int32](repeating: 0, count: pw * ph)
    var keys = [UInt64](repeating: 0, count: pw * ph)
    for y in 0..<height {
      for x in 0..<width {
        let s = y * width + x
        let d = (y + 1) * pw + x + 1
        inMask[d] = mask[s]
        output[d] = mask[s] ? markers[s] : 0
        keys[d] = UInt64(orderedBits(image[s])) << 32
      }
    }
    var heap = WatershedHeap(capacity: pw * ph + 1)
    defer { heap.deallocate() }
    inMask.withUnsafeBufferPointer { m in
      keys.withUnsafeBufferPointer { k in
        output.withUnsafeMutableBufferPointer { out in
          for p in 0..<(pw * ph) where out[p] != 0 {
            heap.push(key: k[p], index: Int32(p))
          }
          var age: UInt64 = 1
          let offsets = (-pw, -1, 1, pw)
          while let p = heap.pop() {
            let label = out[p]
            @inline(__always) func visit(_ q: Int) {
              if !m[q] || out[q] != 0 { return }
              age &+= 1
              out[q] = label
              heap.push(key: k[q] | (age & 0xFFFF_FFFF), index: Int32(q))
            }
            visit(p + offsets.0)
            visit(p + offsets.1)
            visit(p + offsets.2)
            visit(p + offsets.3)
          }
        }
      }
    }
    var result = [Int32](repeating: 0, count: n)
    for y in 0..<height {
      for x in 0..<width { result[y * width + x] = output[(y + 1) * pw + x + 1] }
    }
    return result
  }

  /// Bits of `v` whose unsigned order is the numeric order of floats (−0 and +0 equal).
  @inline(__always)
  static func orderedBits(_ v: Float) -> UInt32 {
    let bits = (v == 0 ? Float(0) : v).bitPattern
    return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
  }
}

/// skimage's watershed heap (`heap_general.pxi` + `heap_watershed.pxi`): a binary min-heap
/// with its exact sift-up and sift-down rules, on packed `(value, age)` keys.
struct WatershedHeap {
  struct Item {
    var key: UInt64
    var index: Int32
  }

  private let items: UnsafeMutablePointer<Item>
  private var count = 0

  /// A heap for at most `capacity` items (a pixel is pushed at most once).
  init(capacity: Int) { items = UnsafeMutablePointer<Item>.allocate(capacity: max(capacity, 1)) }

  func deallocate() { items.deallocate() }

  @inline(__always)
  mutating func push(key: UInt64, index: Int32) {
    let h = items
    var child = count
    h[child] = Item(key: key, index: index)
    count += 1
    while child > 0 {
      let parent = (child + 1) / 2 - 1
      if h[child].key < h[parent].key {
        let t = h[parent]
        h[parent] = h[child]
        h[child] = t
        child = parent
      } else {
        break
      }
    }
  }

  /// Removes the smallest item and returns its pixel index.
  @inline(__always)
  mutating func pop() -> Int? {
    if count == 0 { return nil }
    let h = items
    let top = Int(h[0].index)
    count -= 1
    if count == 0 { return top }
    h[0] = h[count]
    var i = 0
    var smallest = 0
    while true {
      let l = 2 * i + 1
      let r = l + 1
      if l < count {
        if h[l].key < h[i].key { smallest = l }
        if r < count && h[r].key < h[smallest].key { smallest = r }
      } else {
        break
      }
      if smallest == i { break }
      let t = h[i]
      h[i] = h[smallest]
      h[smallest] = t
      i = smallest
    }
    return top
  }
}
