/// Cutting a mask that holds two tracked cells (issue 18, track repair: merged-then-split
/// nuclei; used by ``GapFilling``, `dc-track --no-split-merges` to turn off).
///
/// When two neighbours touch, segmentation often gives them one mask for a few frames and two
/// again after. Linking gives the mask to one track (the holder) while the other's track
/// (the taker) has a gap that gap closing bridges. In the frames of that gap the mask is cut
/// between them: each pixel goes to the cell whose interpolated centre is nearer, in the power
/// distance `|p − c|² − A / π` (a cell of area A counts as a disc of that area, so the cut
/// between a large and a small cell lies nearer the small one). Both tracks then stay one
/// unbroken run with a mask of their own instead of one track plus a gap (or a new track, or
/// a false division).
public enum MergeSplit {
  /// Whether a mask of `area` pixels can hold two cells of `first` and `second` pixels: it is
  /// at least the first's area plus half the second's (a merge, not a cell that only moved
  /// over the other's old place).
  public static func holdsBoth(area: Int, first: Int, second: Int) -> Bool {
    area > 0 && 2 * area >= 2 * first + second
  }

  /// Gives the taker the pixels of the holder's mask (pixels labelled `holder` in
  /// `trackLabels`, a row-major frame `width` wide) nearer its centre in the power distance:
  /// `trackLabels` becomes `taker` and `segmentLabels` `takerLabel` there. At least one pixel
  /// is given (the one under the taker's centre, clamped to the `height × width` frame), so
  /// that its run stays unbroken.
  public static func cut(
    trackLabels: inout [Int32], segmentLabels: inout [Int32], width: Int, height: Int,
    holder: Int32, holderCentre: (Double, Double), holderArea: Double, taker: Int32,
    takerLabel: Int32, takerCentre: (Double, Double), takerArea: Double
  ) {
    let holderWeight = max(holderArea, 0) / Double.pi
    let takerWeight = max(takerArea, 0) / Double.pi
    var given = 0
    for p in trackLabels.indices where trackLabels[p] == holder {
      let r = Double(p / width)
      let c = Double(p % width)
      let dh =
        (r - holderCentre.0) * (r - holderCentre.0) + (c - holderCentre.1) * (c - holderCentre.1)
        - holderWeight
      let dt =
        (r - takerCentre.0) * (r - takerCentre.0) + (c - takerCentre.1) * (c - takerCentre.1)
        - takerWeight
      if dt < dh {
        trackLabels[p] = taker
        segmentLabels[p] = takerLabel
        given += 1
      }
    }
    if given == 0 {
      let r = min(max(Int(takerCentre.0.rounded()), 0), height - 1)
      let c = min(max(Int(takerCentre.1.rounded()), 0), width - 1)
      trackLabels[r * width + c] = taker
      segmentLabels[r * width + c] = takerLabel
    }
  }
}
