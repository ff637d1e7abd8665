/// numpy's pairwise summation of float64 values (`pairwise_sum` in numpy's
/// `loops_utils.h`), so that sums used to normalise kernels round exactly as numpy's do.
enum NumpySum {
  /// `np.sum(values)` for a contiguous float64 array.
  static func pairwise(_ values: [Double]) -> Double {
    values.withUnsafeBufferPointer { pairwise($0.baseAddress!, $0.count) }
  }

  private static func pairwise(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
    if n < 8 {
      var res = 0.0
      for i in 0..<n { res += a[i] }
      return res
    } else if n <= 128 {
      var r = (0..<8).map { a[$0] }
      var i = 8
      while i < n - (n % 8) {
        for k in 0..<8 { r[k] += a[i + k] }
        i += 8
      }
      var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
      while i < n {
        res += a[i]
        i += 1
      }
      return res
    } else {
      var n2 = n / 2
      n2 -= n2 % 8
      return pairwise(a, n2) + pairwise(a + n2, n - n2)
    }
  }
}
