/// What the tracker knows about one cell (one label) in one frame (spec/track.md §2.2):
/// its label, area, centroid, bounding box, mean intensity per raw channel, and the flat
/// indices of its pixels (row-major), from which overlaps with other frames are counted.
public struct CellFeatures: Sendable, Equatable {
  /// The label value in the input frame.
  public var label: Int
  /// Pixel count.
  public var area: Int
  /// Mean row coordinate of the pixels.
  public var centroidRow: Double
  /// Mean column coordinate of the pixels.
  public var centroidColumn: Double
  /// Inclusive bounding box: first row, first column, last row, last column.
  public var boundingBox: (minRow: Int, minColumn: Int, maxRow: Int, maxColumn: Int)
  /// Mean raw intensity over the pixels, one value per raw channel (empty without a raw frame).
  public var meanIntensity: [Double]
  /// Flat row-major indices `row * width + column` of the pixels, ascending.
  public var pixels: [Int32]

  public static func == (a: CellFeatures, b: CellFeatures) -> Bool {
    a.label == b.label && a.area == b.area && a.centroidRow == b.centroidRow
      && a.centroidColumn == b.centroidColumn
      && a.boundingBox == b.boundingBox && a.meanIntensity == b.meanIntensity
      && a.pixels == b.pixels
  }
}

extension CellFeatures {
  /// Measures every cell of a label frame (shape `(H, W)` or `(H, W, 1)`, 0 = background),
  /// in ascending label order (regionprops order), with mean intensities from `raw`
  /// (shape `(H, W)` or `(H, W, C)`) when given.
  ///
  /// - Throws: ``DeepCellError`` (`badData`, subject `subject`) for a negative or non-whole
  ///   label, a label frame of more than one channel, or a raw frame of another size.
  public static func measure(labels: NDArray, raw: NDArray? = nil, subject: String = "labels")
    throws -> [CellFeatures]
  {
    try measureWithIndexMap(labels: labels, raw: raw, subject: subject).cells
  }

  /// ``measure(labels:raw:subject:)`` plus the per-pixel cell index map (−1 = background).
  static func measureWithIndexMap(labels: NDArray, raw: NDArray?, subject: String) throws -> (
    cells: [CellFeatures], cellOfPixel: [Int32]
  ) {
    guard labels.rank == 2 || (labels.rank == 3 && labels.shape[2] == 1) else {
      throw DeepCellError(
        .badData, subject,
        "a label frame must be (height, width) or (height, width, 1), not \(labels.shape)")
    }
    let height = labels.shape[0]
    let width = labels.shape[1]
    guard height * width <= Int(Int32.max) else {
      throw DeepCellError(.badData, subject, "frame of \(height) × \(width) pixels is too large")
    }
    let values = try wholeLabels(labels, subject: subject)
    var channels = 0
    var rawValues: [Double] = []
    if let raw {
      guard raw.rank >= 2, raw.rank <= 3, raw.shape[0] == height, raw.shape[1] == width else {
        throw DeepCellError(
          .badData, subject,
          "raw frame of shape \(raw.shape) does not match the \(height) × \(width) label frame")
      }
      channels = raw.rank == 3 ? raw.shape[2] : 1
      rawValues = raw.doubleValues()
    }
    // Dense label → cell index map (labels are renumbered by first ascending value).
    var present = [Int: Int]()
    var order: [Int] = []
    var previous = 0
    for v in values where v != 0 && v != previous {
      previous = v
      if present[v] == nil {
        present[v] = 0
        order.append(v)
      }
    }
    order.sort()
    for (i, label) in order.enumerated() { present[label] = i }
    let n = order.count
    var area = [Int](repeating: 0, count: n)
    var sumRow = [Double](repeating: 0, count: n)
    var sumColumn = [Double](repeating: 0, count: n)
    var minRow = [Int](repeating: .max, count: n)
    var minColumn = [Int](repeating: .max, count: n)
    var maxRow = [Int](repeating: -1, count: n)
    var maxColumn = [Int](repeating: -1, count: n)
    var sumIntensity = [Double](repeating: 0, count: n * channels)
    var cellOfPixel = [Int32](repeating: -1, count: values.count)
    var lastLabel = 0
    var lastIndex = -1
    for r in 0..<height {
      for c in 0..<width {
        let p = r * width + c
        let v = values[p]
        if v == 0 { continue }
        let i: Int
        if v == lastLabel {
          i = lastIndex
        } else {
          i = present[v]!
          lastLabel = v
          lastIndex = i
        }
        cellOfPixel[p] = Int32(i)
        area[i] += 1
        sumRow[i] += Double(r)
        sumColumn[i] += Double(c)
        if r < minRow[i] { minRow[i] = r }
        if r > maxRow[i] { maxRow[i] = r }
        if c < minColumn[i] { minColumn[i] = c }
        if c > maxColumn[i] { maxColumn[i] = c }
        for k in 0..<channels { sumIntensity[i * channels + k] += rawValues[p * channels + k] }
      }
    }
    var pixels = (0..<n).map { i -> [Int32] in
      var list = [Int32]()
      list.reserveCapacity(area[i])
      return list
    }
    for (p, i) in cellOfPixel.enumerated() where i >= 0 { pixels[Int(i)].append(Int32(p)) }
    let cells = (0..<n).map { i in
      CellFeatures(
        label: order[i], area: area[i], centroidRow: sumRow[i] / Double(area[i]),
        centroidColumn: sumColumn[i] / Double(area[i]),
        boundingBox: (minRow[i], minColumn[i], maxRow[i], maxColumn[i]),
        meanIntensity: (0..<channels).map { sumIntensity[i * channels + $0] / Double(area[i]) },
        pixels: pixels[i])
    }
    return (cells, cellOfPixel)
  }

  /// The nonzero labels present in one label frame (checked by ``wholeLabels(_:subject:)``).
  static func labelsPresent(_ frame: NDArray, subject: String) throws -> Set<Int> {
    let values = try wholeLabels(frame, subject: subject)
    var seen = Set<Int>()
    var previous = 0
    for v in values where v != 0 && v != previous {
      previous = v
      seen.insert(v)
    }
    return seen
  }

  /// The label values as Int, refusing negative values and (for float dtypes) fractions,
  /// NaN and infinities.
  static func wholeLabels(_ labels: NDArray, subject: String) throws -> [Int] {
    if labels.dtype.isFloat {
      let values = labels.doubleValues()
      for v in values where !(v >= 0 && v.rounded() == v && v < 9.0e15) {
        throw DeepCellError(.badData, subject, "labels must be whole numbers ≥ 0, found \(v)")
      }
      return values.map { Int($0) }
    }
    if labels.dtype == .bool {
      throw DeepCellError(
        .badData, subject, "a boolean mask is not a label image (labels must be integers)")
    }
    let values = labels.integerValues()
    if labels.dtype.isSigned || labels.dtype == .uint64 {
      for v in values where v < 0 {
        throw DeepCellError(.badData, subject, "labels must be ≥ 0, found \(v)")
      }
    }
    return values.map { Int($0) }
  }
}
