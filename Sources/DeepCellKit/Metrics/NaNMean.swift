extension NumpySum {
  /// Σ values in numpy's order; 0 for no values.
  static func pairwiseOrZero(_ values: [Double]) -> Double { values.isEmpty ? 0 : pairwise(values) }

  /// Mean of the non-NaN values, as pandas `Series.mean()` and `np.nanmean` compute it: the
  /// NaNs are summed as zeros in place (numpy pairwise order), then divided by the count of
  /// the others; NaN if there are none.
  static func nanMean(_ values: [Double]) -> Double {
    let count = values.reduce(0) { $0 + ($1.isNaN ? 0 : 1) }
    if count == 0 { return .nan }
    return pairwise(values.map { $0.isNaN ? 0 : $0 }) / Double(count)
  }
}
