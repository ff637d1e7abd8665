/// Marker-controlled watershed by priority flood (skimage 0.19–0.21
/// `segmentation.watershed(image, markers, mask=mask)` with no compactness and no watershed
/// lines; watershed.md §5), reproducing skimage's visiting order so labels are identical.
///
/// Markers outside the mask are dropped. Every marker pixel is pushed (raster order, age 0)
/// onto a min-queue ordered by `(value, age)`, as skimage does (`heap_general.pxi`). Popping a
/// pixel labels each in-mask, still unlabelled 4-neighbour (order: up, left, right, down) at
/// once with the popped pixel's label and pushes it with `age = ++counter`. Image borders are
/// never crossed; mask pixels no marker reaches stay 0.
///
/// The image is float32; skimage floods its float64 copy, whose order (and ties) are the
/// same, so the key `(value, age)` is packed into one `UInt64` (order-preserving float bits,
/// then the age). Keys with an age are unique, so any exact priority queue pops them in
/// skimage's order; only markers of equal value (age 0 both) tie, and skimage's binary heap
/// breaks those ties by its layout. So the flood runs on a replica of that heap (same sift
/// rules) until every group of tied markers has at most one member left in it, then moves
/// to a 4-ary heap, which pops unique keys in the same order with half the depth.
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
    return image.withUnsafeBufferPointer { im in
      mask.withUnsafeBufferPointer { mk in
        var seeded = 0
        return flood(markers: markers, height: height, width: width, seededLabels: &seeded) {
          (orderedBits(im[$0]), mk[$0])
        }
      }
    }
  }

  /// The watershed of `−interior` inside `interior > threshold` (deep_watershed's step 6),
  /// without building the negated image and the mask: the same labels as
  /// `flood(image: interior.map { -$0 }, markers:, mask: interior.map { $0 > threshold }, …)`.
  public static func flood(
    negativeOf interior: [Float], above threshold: Float, markers: [Int32], height: Int,
    width: Int
  ) -> [Int32] {
    var seeded = 0
    return flood(
      negativeOf: interior, above: threshold, markers: markers, height: height, width: width,
      seededLabels: &seeded)
  }

  /// The same, also counting the distinct labels of the markers inside the mask (the labels
  /// the result holds).
  static func flood(
    negativeOf interior: [Float], above threshold: Float, markers: [Int32], height: Int,
    width: Int, seededLabels: inout Int
  ) -> [Int32] {
    let n = height * width
    precondition(
      interior.count == n && markers.count == n, "planes do not match \(height)×\(width)")
    return interior.withUnsafeBufferPointer { im in
      flood(markers: markers, height: height, width: width, seededLabels: &seededLabels) {
        let v = im[$0]
        return (orderedBits(-v), v > threshold)
      }
    }
  }

  /// The flood, given each pixel's ordered value bits and whether it is in the mask.
  @inline(__always)
  static func flood(
    markers: [Int32], height: Int, width: Int, seededLabels: inout Int,
    pixel: (Int) -> (bits: UInt32, inMask: Bool)
  ) -> [Int32] {
    // Padded by one pixel of "outside mask", like skimage's np.pad: no bounds checks needed.
    let pw = width + 2
    let ph = height + 2
    // Each pixel's value bits and state (-1 outside the mask and in the padding, 0 unlabelled,
    // > 0 its label) side by side: a visit touches one cache line.
    let cells = UnsafeMutablePointer<FloodCell>.allocate(capacity: pw * ph)
    defer { cells.deallocate() }
    let outside = FloodCell(bits: 0, label: -1)
    cells.initialize(repeating: outside, count: pw)
    (cells + (ph - 1) * pw).initialize(repeating: outside, count: pw)
    var seeds: [(key: UInt64, index: Int32)] = []
    markers.withUnsafeBufferPointer { mk in
      for y in 0..<height {
        let d0 = (y + 1) * pw
        cells[d0] = outside
        cells[d0 + pw - 1] = outside
        for x in 0..<width {
          let s = y * width + x
          let d = d0 + x + 1
          let (bits, inMask) = pixel(s)
          let m = mk[s]
          cells[d] = FloodCell(bits: bits, label: inMask ? max(m, 0) : -1)
          if inMask && m > 0 { seeds.append((UInt64(bits) << 32, Int32(d))) }
        }
      }
    }
    var seen = Set<Int32>()
    for s in seeds { seen.insert(cells[Int(s.index)].label) }
    seededLabels = seen.count
    var ties = MarkerTies(seeds.map { $0.key })
    var age: UInt64 = 1
    var queue = QuaternaryHeap()
    defer { queue.deallocate() }
    if ties.unresolved > 0 {
      var heap = WatershedHeap(capacity: pw * ph + 1)
      defer { heap.deallocate() }
      for s in seeds { heap.push(key: s.key, index: s.index, label: cells[Int(s.index)].label) }
      let stopped = drain(&heap, cells: cells, stride: pw, age: &age) {
        key in key & 0xFFFF_FFFF == 0 && ties.popped(key)
      }
      if stopped { heap.moveAll(into: &queue) }
    } else {
      for s in seeds { queue.push(key: s.key, index: s.index, label: cells[Int(s.index)].label) }
    }
    _ = drain(&queue, cells: cells, stride: pw, age: &age) { _ in false }
    return [Int32](unsafeUninitializedCapacity: height * width) { r, filled in
      for y in 0..<height {
        let row = cells + (y + 1) * pw + 1
        for x in 0..<width { r[y * width + x] = max(row[x].label, 0) }
      }
      filled = height * width
    }
  }

  /// Pops and floods until the queue is empty (returns false) or `stop(key)` says so after
  /// a pop (returns true, that pixel's neighbours pushed).
  @inline(__always)
  static func drain<Q: FloodQueue>(
    _ queue: inout Q, cells: UnsafeMutablePointer<FloodCell>, stride pw: Int,
    age: inout UInt64, stop: (UInt64) -> Bool
  ) -> Bool {
    while let (key, p, label) = queue.pop() {
      @inline(__always) func visit(_ q: Int) {
        if cells[q].label != 0 { return }
        age &+= 1
        cells[q].label = label
        queue.push(
          key: UInt64(cells[q].bits) << 32 | (age & 0xFFFF_FFFF), index: Int32(q), label: label)
      }
      visit(p - pw)
      visit(p - 1)
      visit(p + 1)
      visit(p + pw)
      if stop(key) { return true }
    }
    return false
  }

  /// Bits of `v` whose unsigned order is the numeric order of floats (−0 and +0 equal).
  @inline(__always)
  static func orderedBits(_ v: Float) -> UInt32 {
    let bits = (v == 0 ? Float(0) : v).bitPattern
    return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
  }
}

/// The groups of markers with equal keys, and how many of each are still queued: while some
/// group has two or more left, only skimage's binary heap layout knows which pops first.
struct MarkerTies {
  /// Distinct tied keys, sorted, and how many markers of each are still queued.
  private var keys: [UInt64] = []
  private var left: [Int] = []
  /// Groups with two or more markers still queued.
  private(set) var unresolved = 0

  init(_ markerKeys: [UInt64]) {
    let sorted = markerKeys.sorted()
    var k = 0
    while k < sorted.count {
      var e = k + 1
      while e < sorted.count && sorted[e] == sorted[k] { e += 1 }
      if e - k > 1 {
        keys.append(sorted[k])
        left.append(e - k)
      }
      k = e
    }
    unresolved = keys.count
  }

  /// Records the pop of a marker with `key`; true once no group has two members left.
  mutating func popped(_ key: UInt64) -> Bool {
    var lo = 0
    var hi = keys.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if keys[mid] < key { lo = mid + 1 } else { hi = mid }
    }
    if lo < keys.count && keys[lo] == key {
      left[lo] -= 1
      if left[lo] == 1 { unresolved -= 1 }
    }
    return unresolved == 0
  }
}

/// One pixel of the padded flood plane: its ordered value bits and its state.
struct FloodCell {
  var bits: UInt32
  var label: Int32
}

/// A min-queue of `(key, pixel, label)` items.
protocol FloodQueue {
  mutating func push(key: UInt64, index: Int32, label: Int32)
  mutating func pop() -> (key: UInt64, index: Int, label: Int32)?
}
/// A 4-ary min-heap on unique keys (half the depth of a binary heap).
struct QuaternaryHeap: FloodQueue {
  private var keys: UnsafeMutablePointer<UInt64>
  private var payloads: UnsafeMutablePointer<UInt64>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int = 256) {
    self.capacity = max(capacity, 1)
    keys = .allocate(capacity: self.capacity)
    payloads = .allocate(capacity: self.capacity)
  }

  func deallocate() {
    keys.deallocate()
    payloads.deallocate()
  }

  @inline(__always)
  mutating func push(key: UInt64, index: Int32, label: Int32) {
    let payload = UInt64(UInt32(bitPattern: index)) << 32 | UInt64(UInt32(bitPattern: label))
    if count == capacity { grow() }
    var child = count
    count += 1
    while child > 0 {
      let parent = (child - 1) >> 2
      let pk = keys[parent]
      if key >= pk { break }
      keys[child] = pk
      payloads[child] = payloads[parent]
      child = parent
    }
    keys[child] = key
    payloads[child] = payload
  }

  private mutating func grow() {
    let k = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * capacity)
    let i = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * capacity)
    k.moveInitialize(from: keys, count: count)
    i.moveInitialize(from: payloads, count: count)
    keys.deallocate()
    payloads.deallocate()
    keys = k
    payloads = i
    capacity *= 2
  }

  @inline(__always)
  mutating func pop() -> (key: UInt64, index: Int, label: Int32)? {
    if count == 0 { return nil }
    let top = (keys[0], Int(payloads[0] >> 32), Int32(truncatingIfNeeded: payloads[0]))
    count -= 1
    if count == 0 { return top }
    let key = keys[count]
    let payload = payloads[count]
    var i = 0
    while true {
      let first = 4 * i + 1
      if first >= count { break }
      var best = first
      var bestKey = keys[first]
      if first + 4 <= count {
        // All four children: pairwise minima (keys are distinct, so any rule finds the same).
        let (k1, k2, k3) = (keys[first + 1], keys[first + 2], keys[first + 3])
        let lowA = k1 < bestKey ? first + 1 : first
        let keyA = k1 < bestKey ? k1 : bestKey
        let lowB = k3 < k2 ? first + 3 : first + 2
        let keyB = k3 < k2 ? k3 : k2
        best = keyB < keyA ? lowB : lowA
        bestKey = keyB < keyA ? keyB : keyA
      } else {
        var c = first + 1
        while c < count {
          let ck = keys[c]
          if ck < bestKey {
            best = c
            bestKey = ck
          }
          c += 1
        }
      }
      if bestKey >= key { break }
      keys[i] = bestKey
      payloads[i] = payloads[best]
      i = best
    }
    keys[i] = key
    payloads[i] = payload
    return top
  }
}

/// skimage's watershed heap (`heap_general.pxi` + `heap_watershed.pxi`): a binary min-heap
/// with its exact sift-up and sift-down rules, on packed `(value, age)` keys — needed while
/// markers of equal value are queued, as its layout decides which of them pops first.
struct WatershedHeap: FloodQueue {
  struct Item {
    var key: UInt64
    var index: Int32
    var label: Int32
  }

  private let items: UnsafeMutablePointer<Item>
  private var count = 0

  /// A heap for at most `capacity` items (a pixel is pushed at most once).
  init(capacity: Int) { items = UnsafeMutablePointer<Item>.allocate(capacity: max(capacity, 1)) }

  func deallocate() { items.deallocate() }

  @inline(__always)
  mutating func push(key: UInt64, index: Int32, label: Int32) {
    let h = items
    var child = count
    h[child] = Item(key: key, index: index, label: label)
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

  /// Removes the smallest item and returns it.
  @inline(__always)
  mutating func pop() -> (key: UInt64, index: Int, label: Int32)? {
    if count == 0 { return nil }
    let h = items
    let top = (h[0].key, Int(h[0].index), h[0].label)
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

  /// Empties this heap into `queue` (for when the remaining keys are all distinct).
  mutating func moveAll<Q: FloodQueue>(into queue: inout Q) {
    for k in 0..<count {
      queue.push(key: items[k].key, index: items[k].index, label: items[k].label)
    }
    count = 0
  }
}
