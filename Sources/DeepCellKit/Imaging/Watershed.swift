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
public enum Watershed {
  /// Floods `image` (float64 values, row-major `height × width`) from `markers`
  /// (0 = none) inside `mask`. Returns the labels.
  public static func flood(
    image: [Double], markers: [Int32], mask: [Bool], height: Int, width: Int
  ) -> [Int32] {
    let n = height * width
    precondition(
      image.count == n && markers.count == n && mask.count == n,
      "planes do not match \(height)×\(width)")
    // Padded by one pixel of "outside mask", like skimage's np.pad, so neighbours need no bounds checks.
    let pw = width + 2
    let ph = height + 2
    var inMask = [Bool](repeating: false, count: pw * ph)
    var output = [Int32](repeating: 0, count: pw * ph)
    var values = [Double](repeating: 0, count: pw * ph)
    for y in 0..<height {
      for x in 0..<width {
        let s = y * width + x
        let d = (y + 1) * pw + x + 1
        inMask[d] = mask[s]
        output[d] = mask[s] ? markers[s] : 0
        values[d] = image[s]
      }
    }
    var heap = WatershedHeap(capacity: max(1024, n / 4))
    let neighbours = [-pw, -1, 1, pw]
    inMask.withUnsafeBufferPointer { m in
      values.withUnsafeBufferPointer { v in
        output.withUnsafeMutableBufferPointer { out in
          for p in 0..<(pw * ph) where out[p] != 0 {
            heap.push(WatershedHeap.Item(value: v[p], age: 0, index: Int32(p)))
          }
          var age: Int32 = 1
          while let e = heap.pop() {
            let p = Int(e.index)
            let label = out[p]
            for o in neighbours {
              let q = p + o
              if !m[q] || out[q] != 0 { continue }
              age &+= 1
              out[q] = label
              heap.push(WatershedHeap.Item(value: v[q], age: age, index: Int32(q)))
            }
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
}

/// skimage's watershed heap (`heap_general.pxi` + `heap_watershed.pxi`): a binary min-heap on
/// `(value, age)` with its exact sift-up and sift-down rules.
struct WatershedHeap {
  struct Item {
    var value: Double
    var age: Int32
    var index: Int32
  }

  private var items: [Item] = []

  init(capacity: Int) { items.reserveCapacity(capacity) }

  @inline(__always)
  private static func smaller(_ a: Item, _ b: Item) -> Bool {
    if a.value != b.value { return a.value < b.value }
    return a.age < b.age
  }

  mutating func push(_ item: Item) {
    items.append(item)
    items.withUnsafeMutableBufferPointer { h in
      var child = h.count - 1
      while child > 0 {
        let parent = (child + 1) / 2 - 1
        if Self.smaller(h[child], h[parent]) {
          h.swapAt(parent, child)
          child = parent
        } else {
          break
        }
      }
    }
  }

  mutating func pop() -> Item? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if items.isEmpty { return top }
    items.withUnsafeMutableBufferPointer { h in
      h[0] = last
      let count = h.count
      var i = 0
      var smallest = 0
      while true {
        let l = 2 * i + 1
        let r = 2 * i + 2
        if l < count {
          if Self.smaller(h[l], h[i]) { smallest = l }
          if r < count && Self.smaller(h[r], h[smallest]) { smallest = r }
        } else {
          break
        }
        if smallest == i { break }
        h.swapAt(i, smallest)
        i = smallest
      }
    }
    return top
  }
}
