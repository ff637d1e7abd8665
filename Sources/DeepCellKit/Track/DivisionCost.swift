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
    cost(
      parent: (parent.centroidRow, parent.centroidColumn, parent.area),
      first: (first.centroidRow, first.centroidColumn, first.area),
      second: (second.centroidRow, second.centroidColumn, second.area))
  }

  /// The same cost from each cell's centroid (row, column) and area.
  public static func cost(
    parent: (Double, Double, Int), first: (Double, Double, Int), second: (Double, Double, Int)
  ) -> Double {
    let dr = (first.0 + second.0) / 2 - parent.0
    let dc = (first.1 + second.1) / 2 - parent.1
    let radius = (Double(max(parent.2, 1)) / Double.pi).squareRoot()
    let areas = Double(first.2 + second.2) / Double(max(parent.2, 1))
    return (dr * dr + dc * dc).squareRoot() / radius + abs(log(areas))
  }
}
