/// A label image with its objects renumbered 1…n in increasing order of their labels, as
/// skimage's `relabel_sequential` does before DeepCell measures a frame (metrics.md §2):
/// object `k` (0-based) is the `k`-th smallest nonzero label; index 0 is background.
///
/// Also holds what every metric needs from one pass over the pixels: each object's pixel
/// count and its bounding box (regionprops' `bbox`, inclusive here).
public struct IndexedLabels: Sendable {
  /// Extent of each axis of the image (2 for a frame, 3 for a volume).
  public let shape: [Int]
  /// The original label of each object, ascending.
  public let labels: [Int64]
  /// Per pixel, the object index + 1 (0 = background), C order.
  public let index: [Int32]
  /// Pixel count of each object.
  public let areas: [Int]
  /// Pixels with label 0.
  public let backgroundArea: Int
  /// Per object, the smallest then the largest coordinate on each axis:
  /// `boxes[k * 2 * rank + a]` = min on axis `a`, `boxes[k * 2 * rank + rank + a]` = max.
  public let boxes: [Int32]

  /// Number of objects.
  public var count: Int { labels.count }
  /// Whether the labels already were 1…n (nothing renumbered).
  public var isSequential: Bool {
    labels.enumerated().allSatisfy { $0.element == Int64($0.offset + 1) }
  }

  /// Indexes the labels of frame `frame` of `stack` (first axis = frames; the remaining axes,
  /// minus a trailing channel axis of extent 1, are the image).
  ///
  /// - Throws: ``DeepCellError`` `badData` for negative labels, float values that are not whole
  ///   numbers, or a bool/multi-channel array; `subject` names the input in the message.
  public init(stack: NDArray, frame: Int, imageShape: [Int], subject: String) throws {
    let pixels = imageShape.reduce(1, *)
    let offset = frame * pixels
    precondition(offset + pixels <= stack.count, "frame \(frame) outside the stack")
    let where_ = "\(subject): frame \(frame)"
    switch stack.dtype {
    case .uint8:
      self = try stack.withUnsafeBufferPointer(UInt8.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .int8:
      self = try stack.withUnsafeBufferPointer(Int8.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .uint16:
      self = try stack.withUnsafeBufferPointer(UInt16.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .int16:
      self = try stack.withUnsafeBufferPointer(Int16.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .uint32:
      self = try stack.withUnsafeBufferPointer(UInt32.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .int32:
      self = try stack.withUnsafeBufferPointer(Int32.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .uint64:
      self = try stack.withUnsafeBufferPointer(UInt64.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .int64:
      self = try stack.withUnsafeBufferPointer(Int64.self) {
        try Self.build($0, offset, imageShape, where_)
      }
    case .float32, .float64, .float16:
      let values = stack.frame(frame).doubleValues()
      var ints = [Int64](repeating: 0, count: values.count)
      for (i, v) in values.enumerated() {
        guard v.isFinite, v == v.rounded(), abs(v) < 9.0e15 else {
          throw DeepCellError(.badData, where_, "labels must be integers, found \(v) (float data)")
        }
        ints[i] = Int64(v)
      }
      self = try ints.withUnsafeBufferPointer { try Self.build($0, 0, imageShape, where_) }
    case .bool:
      throw DeepCellError(.badData, where_, "labels must be integers, not bool")
    }
  }

  /// Indexes a 2-D label image given as Int64 values (row-major `height × width`).
  public init(labels values: [Int64], shape: [Int], subject: String = "labels") throws {
    precondition(values.count == shape.reduce(1, *), "values do not fill \(shape)")
    self = try values.withUnsafeBufferPointer { try Self.build($0, 0, shape, subject) }
  }

  private init(
    shape: [Int], labels: [Int64], index: [Int32], areas: [Int], backgroundArea: Int, boxes: [Int32]
  ) {
    self.shape = shape
    self.labels = labels
    self.index = index
    self.areas = areas
    self.backgroundArea = backgroundArea
    self.boxes = boxes
  }

  private static func build<T: FixedWidthInteger>(
    _ buffer: UnsafeBufferPointer<T>, _ offset: Int, _ shape: [Int], _ subject: String
  ) throws -> IndexedLabels {
    let n = shape.reduce(1, *)
    let px = UnsafeBufferPointer(rebasing: buffer[offset..<(offset + n)])
    // Native-type min/max reductions (vectorised), widened afterwards.
    var lowest = T.zero
    var highest = T.zero
    for v in px {
      lowest = Swift.min(lowest, v)
      highest = Swift.max(highest, v)
    }
    let minValue = Int64(truncatingIfNeeded: lowest)
    let maxValue = Int64(truncatingIfNeeded: highest)
    if !T.isSigned, T.bitWidth == 64 {
      // uint64 above Int64.max wraps negative: reject like any out-of-range label.
      for v in px where v > T(Int64.max) {
        throw DeepCellError(.badData, subject, "label \(v) is too large")
      }
    }
    if minValue < 0 {
      throw DeepCellError(.badData, subject, "labels must be non-negative, found \(minValue)")
    }
    var index = [Int32](repeating: 0, count: n)
    var labels = [Int64]()
    if maxValue <= Int64(max(1 << 16, 4 * n)) {
      // Dense lookup table from label to object index.
      var lut = [Int32](repeating: 0, count: Int(maxValue) + 1)
      // Every v is in 0...maxValue (checked above): the hot loop goes without bounds checks.
      lut.withUnsafeMutableBufferPointer { table in
        for v in px { table[Int(truncatingIfNeeded: v)] = 1 }
      }
      lut[0] = 0
      var next: Int32 = 0
      for label in 1..<lut.count where lut[label] != 0 {
        next += 1
        lut[label] = next
        labels.append(Int64(label))
      }
      lut.withUnsafeBufferPointer { table in
        index.withUnsafeMutableBufferPointer { out in
          for i in 0..<n { out[i] = table[Int(truncatingIfNeeded: px[i])] }
        }
      }
    } else {
      var seen = Set<Int64>()
      for v in px where v != 0 { seen.insert(Int64(v)) }
      labels = seen.sorted()
      if labels.count >= Int(Int32.max) {
        throw DeepCellError(.badData, subject, "too many objects")
      }
      var map = [Int64: Int32](minimumCapacity: labels.count)
      for (k, label) in labels.enumerated() { map[label] = Int32(k + 1) }
      for i in 0..<n where px[i] != 0 { index[i] = map[Int64(px[i])]! }
    }
    // Areas and bounding boxes.
    let rank = shape.count
    let objects = labels.count
    var areas = [Int](repeating: 0, count: objects)
    var background = 0
    var boxes = [Int32](repeating: 0, count: objects * 2 * rank)
    for k in 0..<objects {
      for a in 0..<rank {
        boxes[k * 2 * rank + a] = Int32.max
        boxes[k * 2 * rank + rank + a] = -1
      }
    }
    index.withUnsafeBufferPointer { idx in
      areas.withUnsafeMutableBufferPointer { area in
        boxes.withUnsafeMutableBufferPointer { box in
          if rank == 2 {
            // Row by row over runs of equal index: one compare per pixel, box updates per run.
            let w = shape[1]
            for r in 0..<shape[0] {
              let rr = Int32(r)
              let base = r * w
              var c = 0
              // Indices stay within the n = h × w pixels and counts below n: wrapping
              // arithmetic drops overflow checks that cannot fire from the hot loop.
              while c < w {
                let k = Int(idx[base &+ c])
                var e = c &+ 1
                while e < w && Int(idx[base &+ e]) == k { e &+= 1 }
                if k == 0 {
                  background &+= e &- c
                } else {
                  area[k &- 1] &+= e &- c
                  let b = (k &- 1) &* 4
                  if rr < box[b] { box[b] = rr }
                  if Int32(c) < box[b + 1] { box[b + 1] = Int32(c) }
                  if rr > box[b + 2] { box[b + 2] = rr }
                  if Int32(e - 1) > box[b + 3] { box[b + 3] = Int32(e - 1) }
                }
                c = e
              }
            }
          } else {
            var coord = [Int](repeating: 0, count: rank)
            for i in 0..<n {
              let k = Int(idx[i])
              if k == 0 {
                background += 1
              } else {
                area[k - 1] += 1
                let b = (k - 1) * 2 * rank
                for a in 0..<rank {
                  let x = Int32(coord[a])
                  if x < box[b + a] { box[b + a] = x }
                  if x > box[b + rank + a] { box[b + rank + a] = x }
                }
              }
              var a = rank - 1
              while a >= 0 {
                coord[a] += 1
                if coord[a] < shape[a] { break }
                coord[a] = 0
                a -= 1
              }
            }
          }
        }
      }
    }
    return IndexedLabels(
      shape: shape, labels: labels, index: index, areas: areas, backgroundArea: background,
      boxes: boxes)
  }
}
