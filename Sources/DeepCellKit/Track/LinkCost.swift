import Foundation

/// The cost of linking a track's last cell to a cell of a later frame (spec/track.md §8, "link
/// cost"), in the units of the birth and death costs:
///
/// `a = ½ (1 − IoU) + ½ min(1, (d / maxDistance)²) + w_area |ln(A_j / A_i)|
///      + w_I |I_j − I_i| / (|I_j| + |I_i|) + gapCost · (missing frames)`
///
/// where IoU is the overlap of the two masks, d the distance from the track's predicted
/// centroid (last centroid plus last velocity × elapsed frames) to the cell's centroid, A the
/// areas and I the mean intensities (first raw channel, when measured). A pair that does not
/// overlap and lies farther than `maxDistance` is forbidden (`+infinity`); so is a gap-closing
/// pair (missing frames > 0) that does not overlap and lies farther than `maxDistance / 2`.
public enum LinkCost {
  /// The cost for a track whose last cell is `from` (seen `elapsed` frames before the cell
  /// `to`), predicted at (`predictedRow`, `predictedColumn`), sharing `overlap` pixels with `to`.
  public static func cost(
    from: CellFeatures, to: CellFeatures, overlap: Int, predictedRow: Double,
    predictedColumn: Double,
    elapsed: Int, parameters: TrackingParameters
  ) -> Double {
    let dr = to.centroidRow - predictedRow
    let dc = to.centroidColumn - predictedColumn
    let distance = (dr * dr + dc * dc).squareRoot()
    let missing = max(0, elapsed - 1)
    if overlap == 0 {
      if distance > parameters.maxDistance { return .infinity }
      if missing > 0 && distance > parameters.maxDistance / 2 { return .infinity }
    }
    let iou = Double(overlap) / Double(from.area + to.area - overlap)
    let scaled = distance / parameters.maxDistance
    var a = 0.5 * (1 - iou) + 0.5 * min(1, scaled * scaled)
    a += parameters.areaWeight * abs(log(Double(to.area) / Double(from.area)))
    if parameters.intensityWeight > 0, let i = from.meanIntensity.first,
      let j = to.meanIntensity.first,
      abs(i) + abs(j) > 0
    {
      a += parameters.intensityWeight * abs(j - i) / (abs(j) + abs(i))
    }
    a += parameters.gapCost * Double(missing)
    return a
  }
}
