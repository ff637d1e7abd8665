/// numpy's pairwise summation of float64 (`pairwise_sum` in numpy/core/src/umath/loops),
/// used where a mean must match the reference to the last bit: blocks of at most 128 values
/// are summed with eight interleaved accumulators, longer runs are split in halves.
enum NumpySum {
  /// Σ values in numpy's order.
  static func pairwise(_ values: [Double]) -> Double {
    values.withUnsafeBufferPointer { pairwise($0, 0, $0.count) }
  }

  private static func pairwise(_ a: UnsafeBufferPointer<Double>, _ start: Int, _ n: Int) -> Double {
    if n < 8 {
      var res = 0.0
      for i in 0..<n { res += a[start + i] }
      return res
    } else if n <= 128 {
      var r = (0..<8).map { a[start + $0] }
      var i = 8
      while i < n - (n % 8) {
        for k in 0..<8 { r[k] += a[start + i + k] }
        i += 8
      }
      var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
      while i < n {
        res += a[start + i]
        i += 1
      }
      return res
    } else {
      var n2 = n / 2
      n2 -= n2 % 8
      return pairwise(a, start, n2) + pairwise(a, start + n2, n - n2)
    }
  }

  /// Mean of the non-NaN values (pandas `Series.mean()` / `np.nanmean`); NaN if none.
  /// Like both, the NaNs are summed as zeros in place, then divided by the count of the others.
  static func nanMean(_ values: [Double]) -> Double {
    let count = values.reduce(0) { $0 + ($1.isNaN ? 0 : 1) }
    if count == 0 { return .nan }
    return pairwise(values.map { $0.isNaN ? 0 : $0 }) / Double(count)
  }
}
