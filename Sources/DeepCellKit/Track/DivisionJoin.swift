/// Late reporting of divisions whose daughters still touch (issue 18; `dc-track
/// --division-join`).
///
/// A segmentation model cuts a mitotic nucleus in two along its cleavage while the two halves
/// still form one blob (ana- and telophase), a frame or two before the daughters separate;
/// annotators, and the Cell Tracking Challenge ground truth, keep the parent until they do.
/// Reported at once, such a division comes one or two frames early: the parent's last frames
/// are missed (each half covers less than half of it) and the halves are false detections.
/// So while the two daughters of a detected division are still one blob cut in two — their
/// masks share a boundary (at most one background pixel apart, as across a watershed line)
/// at least `divisionJoinContact` times as long as the smaller one's equivalent diameter, and
/// together they hold at least `divisionJoinArea` of the parent's area before the join —
/// ``CellTracker`` keeps them as their parent, one cell made of both masks, for at most
/// `divisionJoin` consecutive frames; the division is reported in the first frame where they
/// no longer are, or when that limit is reached. Two round daughter nuclei that merely touch
/// share a short boundary (a point, a short chord) and divide at once; the halves of one
/// nucleus share its whole width (about 1.2 diameters of a half for a nucleus 1.25 times
/// longer than wide).
public enum DivisionJoin {
  /// Whether cells `a` and `b` (indices `aIndex`, `bIndex` into the frame's cells;
  /// `cellOfPixel` maps each pixel of the `height × width` frame to its cell index, −1 for
  /// background) are one blob cut in two: the boundary pixels of the smaller one with a pixel
  /// of the other within two pixels along rows and columns (touching, or one pixel of
  /// background between) number at least `contact` times its equivalent diameter
  /// `2 √(area / π)`.
  public static func joined(
    _ a: CellFeatures, aIndex: Int, _ b: CellFeatures, bIndex: Int, cellOfPixel: [Int32],
    height: Int, width: Int, contact: Double
  ) -> Bool {
    let (small, smallIndex, large, largeIndex) =
      a.area <= b.area ? (a, aIndex, b, bIndex) : (b, bIndex, a, aIndex)
    let needed = contact * 2 * (Double(small.area) / Double.pi).squareRoot()
    return Double(
      boundaryContact(
        small, index: smallIndex, with: large, index: largeIndex, cellOfPixel: cellOfPixel,
        height: height, width: width)) >= max(needed, 1)
  }

  /// The boundary pixels of `a` (those with a 4-neighbour outside it) that have a pixel of
  /// `b` within two pixels along rows and columns.
  public static func boundaryContact(
    _ a: CellFeatures, index aIndex: Int, with b: CellFeatures, index bIndex: Int,
    cellOfPixel: [Int32], height: Int, width: Int
  ) -> Int {
    let reach = 2
    let box = b.boundingBox
    guard a.boundingBox.minRow <= box.maxRow + reach, a.boundingBox.maxRow >= box.minRow - reach,
      a.boundingBox.minColumn <= box.maxColumn + reach,
      a.boundingBox.maxColumn >= box.minColumn - reach
    else { return 0 }
    let own = Int32(truncatingIfNeeded: aIndex)
    let target = Int32(truncatingIfNeeded: bIndex)
    var count = 0
    for p in a.pixels {
      let r = Int(p) / width
      let c = Int(p) % width
      if r < box.minRow - reach || r > box.maxRow + reach || c < box.minColumn - reach
        || c > box.maxColumn + reach
      {
        continue
      }
      let inside =
        r > 0 && r < height - 1 && c > 0 && c < width - 1
        && cellOfPixel[Int(p) - 1] == own && cellOfPixel[Int(p) + 1] == own
        && cellOfPixel[Int(p) - width] == own && cellOfPixel[Int(p) + width] == own
      if inside { continue }
      search: for y in max(0, r - reach)...min(height - 1, r + reach) {
        for x in max(0, c - reach)...min(width - 1, c + reach)
        where cellOfPixel[y * width + x] == target {
          count += 1
          break search
        }
      }
    }
    return count
  }

  /// The one cell made of `a` and `b`: pixels together, area summed, centroid and mean
  /// intensities weighted by area, bounding boxes joined; `a`'s label.
  public static func union(_ a: CellFeatures, _ b: CellFeatures) -> CellFeatures {
    let area = a.area + b.area
    let wa = Double(a.area) / Double(max(area, 1))
    let wb = 1 - wa
    var intensity: [Double] = []
    if a.meanIntensity.count == b.meanIntensity.count {
      intensity = zip(a.meanIntensity, b.meanIntensity).map { wa * $0 + wb * $1 }
    }
    return CellFeatures(
      label: a.label, area: area,
      centroidRow: wa * a.centroidRow + wb * b.centroidRow,
      centroidColumn: wa * a.centroidColumn + wb * b.centroidColumn,
      boundingBox: (
        min(a.boundingBox.minRow, b.boundingBox.minRow),
        min(a.boundingBox.minColumn, b.boundingBox.minColumn),
        max(a.boundingBox.maxRow, b.boundingBox.maxRow),
        max(a.boundingBox.maxColumn, b.boundingBox.maxColumn)
      ), meanIntensity: intensity, pixels: (a.pixels + b.pixels).sorted())
  }
}
