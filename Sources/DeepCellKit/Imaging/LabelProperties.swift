/// Per-label measurements of a label image, like skimage's `regionprops`: pixel count,
/// bounding box, centroid, and with an intensity image the intensity sum, maximum and
/// intensity-weighted centroid (`weighted_centroid`, computed from raw moments in the
/// bounding box's local coordinates, then shifted, as skimage 0.21 does).
///
/// Arrays are indexed by label value: entry 0 (background) is unused; labels go up to
/// ``maxLabel``. A label with no pixel has area 0 and NaN centroids.
public struct LabelProperties: Sendable {
  /// The largest label value measured.
  public let maxLabel: Int
  /// Pixel count of each label.
  public var area: [Int]
  /// First row / column of each label's bounding box (inclusive).
  public var minRow: [Int], minCol: [Int]
  /// One past the last row / column of each label's bounding box (exclusive, as a slice).
  public var endRow: [Int], endCol: [Int]
  /// Centroid (mean row, mean column) of each label.
  public var centroidRow: [Double], centroidCol: [Double]
  /// Sum and maximum of the intensity image over each label (0 without an intensity image).
  public var intensitySum: [Double], intensityMax: [Double]
  /// Intensity-weighted centroid `Σ I·p / Σ I` (NaN without an intensity image).
  public var weightedCentroidRow: [Double], weightedCentroidCol: [Double]

  /// Measures every label 1...`maxLabel` of a row-major `height`×`width` label image,
  /// optionally with a float intensity image of the same size. Values outside
  /// 1...maxLabel are ignored.
  public init(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int, maxLabel: Int,
    intensity: UnsafeBufferPointer<Float>? = nil
  ) {
    let n = maxLabel + 1
    self.maxLabel = maxLabel
    area = [Int](repeating: 0, count: n)
    minRow = [Int](repeating: Int.max, count: n)
    minCol = [Int](repeating: Int.max, count: n)
    endRow = [Int](repeating: 0, count: n)
    endCol = [Int](repeating: 0, count: n)
    intensitySum = [Double](repeating: 0, count: n)
    intensityMax = [Double](repeating: 0, count: n)
    for r in 0..<height {
      for c in 0..<width {
        let l = Int(labels[r * width + c])
        guard l > 0 && l <= maxLabel else { continue }
        area[l] += 1
        if r < minRow[l] { minRow[l] = r }
        if c < minCol[l] { minCol[l] = c }
        if r + 1 > endRow[l] { endRow[l] = r + 1 }
        if c + 1 > endCol[l] { endCol[l] = c + 1 }
      }
    }
    // Raw moments in bounding-box coordinates: M00, M10, M01 (plain and weighted).
    var m10 = [Double](repeating: 0, count: n)
    var m01 = [Double](repeating: 0, count: n)
    var w10 = [Double](repeating: 0, count: n)
    var w01 = [Double](repeating: 0, count: n)
    var first = [Bool](repeating: true, count: n)
    for r in 0..<height {
      for c in 0..<width {
        let i = r * width + c
        let l = Int(labels[i])
        guard l > 0 && l <= maxLabel else { continue }
        let lr = Double(r - minRow[l])
        let lc = Double(c - minCol[l])
        m10[l] += lr
        m01[l] += lc
        if let intensity {
          let v = Double(intensity[i])
          intensitySum[l] += v
          w10[l] += v * lr
          w01[l] += v * lc
          if first[l] || v > intensityMax[l] { intensityMax[l] = v }
          first[l] = false
        }
      }
    }
    let area = self.area
    let minRow = self.minRow
    let minCol = self.minCol
    let sums = intensitySum
    func mean(_ moment: [Double], _ weights: (Int) -> Double, _ origin: [Int]) -> [Double] {
      (0..<n).map { area[$0] > 0 ? moment[$0] / weights($0) + Double(origin[$0]) : .nan }
    }
    centroidRow = mean(m10, { Double(area[$0]) }, minRow)
    centroidCol = mean(m01, { Double(area[$0]) }, minCol)
    if intensity != nil {
      weightedCentroidRow = mean(w10, { sums[$0] }, minRow)
      weightedCentroidCol = mean(w01, { sums[$0] }, minCol)
    } else {
      weightedCentroidRow = [Double](repeating: .nan, count: n)
      weightedCentroidCol = [Double](repeating: .nan, count: n)
    }
  }
}
