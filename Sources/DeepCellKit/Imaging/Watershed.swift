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
    // state: -1 outside the mask (and the padding), 0 unlabelled, > 0 a label.
    var state = [Int32](repeating: -1, count: pw * ph)
    var values = [UInt32](repeating: 0, count: pw * ph)
    var markerKeys: [UInt64] = []
    for y in 0..<height {
      for x in 0..<width {
        let s = y * width + x
        let d = (y + 1) * pw + x + 1
        let bits = orderedBits(image[s])
        values[d] = bits
        if mask[s] {
          state[d] = max(markers[s], 0)
          if markers[s] > 0 { markerKeys.append(UInt64(bits) << 32) }
        }
      }
    }
    // With distinct marker values every key is unique, so any exact priority queue pops in
    // skimage's order and the shallower 4-ary heap is used; equal marker values (age 0 both)
    // need skimage's own binary heap to break the tie the same way.
    markerKeys.sort()
    let tiedMarkers = zip(markerKeys, markerKeys.dropFirst()).contains { $0 == $1 }
    if tiedMarkers {
      var heap = WatershedHeap(capacity: pw * ph + 1)
      defer { heap.deallocate() }
      flood(&heap, values: values, state: &state, stride: pw)
    } else {
      var heap = QuaternaryHeap(capacity: pw * ph + 1)
      defer { heap.deallocate() }
      flood(&heap, values: values, state: &state, stride: pw)
    }
    var result = [Int32](repeating: 0, count: n)
    for y in 0..<height {
      for x in 0..<width { result[y * width + x] = max(state[(y + 1) * pw + x + 1], 0) }
    }
    return result
  }

  /// The priority flood proper, on the padded planes: `values` are order-preserving float
  /// bits, `state` is -1 outside the mask, 0 unlabelled, else the label.
  @inline(__always)
  static func flood<Q: FloodQueue>(
    _ heap: inout Q, values: [UInt32], state: inout [Int32], stride pw: Int
  ) {
    values.withUnsafeBufferPointer { v in
      state.withUnsafeMutableBufferPointer { out in
        for p in 0..<out.count where out[p] > 0 {
          heap.push(key: UInt64(v[p]) << 32, index: Int32(p))
        }
        var age: UInt64 = 1
        while let p = heap.pop() {
          let label = out[p]
          @inline(__always) func visit(_ q: Int) {
            if out[q] != 0 { return }
            age &+= 1
            out[q] = label
            heap.push(key: UInt64(v[q]) << 32 | (age & 0xFFFF_FFFF), index: Int32(q))
          }
          visit(p - pw)
          visit(p - 1)
          visit(p + 1)
          visit(p + pw)
        }
      }
    }
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
protocol FloodQueue {
  mutating func push(key: UInt64, index: Int32)
  mutating func pop() -> Int?
}

/// A 4-ary min-heap on unique keys (half the depth of a binary heap).
struct QuaternaryHeap: FloodQueue {
  private let keys: UnsafeMutablePointer<UInt64>
  private let indices: UnsafeMutablePointer<Int32>
  private var count = 0

  init(capacity: Int) {
    keys = UnsafeMutablePointer<UInt64>.allocate(capacity: max(capacity, 1))
    indices = UnsafeMutablePointer<Int32>.allocate(capacity: max(capacity, 1))
  }

  func deallocate() {
    keys.deallocate()
    indices.deallocate()
  }

  @inline(__always)
  mutating func push(key: UInt64, index: Int32) {
    var child = count
    count += 1
    while child > 0 {
      let parent = (child - 1) >> 2
      let pk = keys[parent]
      if key >= pk { break }
      keys[child] = pk
      indices[child] = indices[parent]
      child = parent
    }
    keys[child] = key
    indices[child] = index
  }

  @inline(__always)
  mutating func pop() -> Int? {
    if count == 0 { return nil }
    let top = Int(indices[0])
    count -= 1
    if count == 0 { return top }
    let key = keys[count]
    let index = indices[count]
    var i = 0
    while true {
      let first = 4 * i + 1
      if first >= count { break }
      var best = first
      var bestKey = keys[first]
      let last = min(first + 4, count)
      var c = first + 1
      while c < last {
        let ck = keys[c]
        if ck < bestKey {
          best = c
          bestKey = ck
        }
        c += 1
      }
      if bestKey >= key { break }
      keys[i] = bestKey
      indices[i] = indices[best]
      i = best
    }
    keys[i] = key
    indices[i] = index
    return top
  }
}

struct WatershedHeap: FloodQueue {
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
