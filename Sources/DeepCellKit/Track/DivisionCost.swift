import Foundation

/// The cost of explaining two cells of a frame as the daughters of one parent cell (issue 18;
/// the "splitting" alternative of the LAP formulation, Jaqaman et al., Nat. Methods 2008,
/// with features a segmentation gives):
///
/// `c = |(x₁ + x₂)/2 − x_p| / r_p + |ln((A₁ + A₂) / A_p)|`
///
/// where x are centroids, A areas and `r_p = √(A_p / π)` the parent's radius. A mitosis places
/// the daughters on either side of where the parent was (their midpoint near its centroid:
/// the first term, in parent radii) and shares its area between them (the second term). A
/// cell that keeps its size next to an unrelated newcomer costs about 1.5–2 (midpoint half the
/// distance away, areas adding to twice the parent's), a division 0–0.7 on the CTC and
/// synthetic ground truth (one SIM+ division, with a parent that shrank before dividing, 1.7).
public enum DivisionCost {
  /// The cost for `parent` dividing into `first` and `second`.
  public static func cost(parent: CellFeatures, first: CellFeatures, second: CellFeatures)
    -> Double
  {
    let midRow = (first.centroidRow + second.centroidRow) / 2
    let midColumn = (first.centroidColumn + second.centroidColumn) / 2
    let dr = midRow - parent.centroidRow
    let dc = midColumn - parent.centroidColumn
    let radius = (Double(max(parent.area, 1)) / Double.pi).squareRoot()
    let areas = Double(first.area + second.area) / Double(max(parent.area, 1))
    return (dr * dr + dc * dc).squareRoot() / radius + abs(log(areas))
  }
}
