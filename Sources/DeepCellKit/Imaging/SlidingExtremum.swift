/// Sliding-window maximum and minimum of a row over a window `[x + lo, x + hi]` clipped to
/// the row, by the van Herk / Gil–Werman algorithm (three comparisons a pixel whatever the
/// window length). Positions outside the row are ignored, which is what scipy's `nearest`
/// and `reflect` modes amount to for a max or min filter.
enum SlidingExtremum {
  /// `out[x] = max(row[max(0, x+lo) ... min(n-1, x+hi)])`; `scratch` must hold
  /// ``scratchCount(n:lo:hi:)`` floats. A window that misses the row entirely gives `-infinity`.
  static func max(
    _ row: UnsafePointer<Float>, _ n: Int, lo: Int, hi: Int,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    run(row, n, lo: lo, hi: hi, into: out, scratch: scratch, pad: -Float.infinity) {
      Swift.max($0, $1)
    }
  }

  /// `out[x] = min(row[max(0, x+lo) ... min(n-1, x+hi)])`, `+infinity` for an empty window.
  static func min(
    _ row: UnsafePointer<Float>, _ n: Int, lo: Int, hi: Int,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    run(row, n, lo: lo, hi: hi, into: out, scratch: scratch, pad: Float.infinity) {
      Swift.min($0, $1)
    }
  }

  /// Scratch floats that ``max(_:_:lo:hi:into:scratch:)`` needs for a row of `n` and window `[lo, hi]`.
  static func scratchCount(n: Int, lo: Int, hi: Int) -> Int {
    2 * (n + 2 * padding(lo: lo, hi: hi))
  }

  @inline(__always)
  static func padding(lo: Int, hi: Int) -> Int { Swift.max(abs(lo), abs(hi)) + 1 }

  @inline(__always)
  private static func run(
    _ row: UnsafePointer<Float>, _ n: Int, lo: Int, hi: Int,
    into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    pad: Float, _ op: (Float, Float) -> Float
  ) {
    let k = hi - lo + 1
    if k == 1 {
      for x in 0..<n {
        let p = x + lo
        out[x] = (p >= 0 && p < n) ? row[p] : pad
      }
      return
    }
    // Padded coordinates: index j of the padded row is row position j - pd.
    let pd = padding(lo: lo, hi: hi)
    let m = n + 2 * pd
    let g = scratch  // prefix extremum within blocks of length k
    let h = scratch + m  // suffix extremum within blocks of length k
    @inline(__always) func value(_ j: Int) -> Float {
      let p = j - pd
      return (p >= 0 && p < n) ? row[p] : pad
    }
    var j = 0
    while j < m {
      let end = Swift.min(j + k, m)
      var acc = value(j)
      g[j] = acc
      var t = j + 1
      while t < end {
        acc = op(acc, value(t))
        g[t] = acc
        t += 1
      }
      acc = value(end - 1)
      h[end - 1] = acc
      t = end - 2
      while t >= j {
        acc = op(acc, value(t))
        h[t] = acc
        t -= 1
      }
      j = end
    }
    for x in 0..<n {
      let a = x + lo + pd
      let b = x + hi + pd
      out[x] = op(h[a], g[b])
    }
  }
}
