/// Sliding-window maxima and minima of one row for several windows `[x + lo, x + hi]` at
/// once, by a sparse table of power-of-two blocks: `T_1 = row`, `T_2k[i] = max(T_k[i], T_k[i+k])`;
/// a window of length `L` with `P ≤ L < 2P` is `max(T_P[x+lo], T_P[x+hi−P+1])`. Every pass is a
/// plain elementwise loop the compiler vectorises; pixels outside the row are ignored (as in
/// scipy's `nearest` or `reflect` modes for a max or min filter; an empty window gives ∓∞).
/// Rows must not hold NaN (maxima use ``maxFloat``).
struct SlidingExtremum {
  /// The windows, as `(lo, hi)` offsets.
  let windows: [(lo: Int, hi: Int)]
  /// Row length.
  let n: Int
  private let pad: Int
  private let m: Int
  private let levels: Int
  private let table: UnsafeMutablePointer<Float>

  /// Prepares the tables for rows of `n` pixels and the given windows (`lo ≤ hi`).
  init(n: Int, windows: [(lo: Int, hi: Int)]) {
    self.n = n
    self.windows = windows
    pad = (windows.map { Swift.max(abs($0.lo), abs($0.hi)) }.max() ?? 0) + 1
    m = n + 2 * pad
    let longest = windows.map { $0.hi - $0.lo + 1 }.max() ?? 1
    var lv = 1
    while (1 << lv) <= longest { lv += 1 }
    levels = lv  // T_1 … T_{2^(lv-1)}
    table = UnsafeMutablePointer<Float>.allocate(capacity: levels * m)
  }

  /// Frees the tables.
  func deallocate() { table.deallocate() }

  /// `outs[k][x] = max(row[x + windows[k].lo ... x + windows[k].hi])`.
  func max(_ row: UnsafePointer<Float>, into outs: [UnsafeMutablePointer<Float>]) {
    build(row, padValue: -.infinity, isMax: true)
    for (k, w) in windows.enumerated() { combine(w, outs[k], isMax: true) }
  }

  /// `outs[k][x] = min(row[x + windows[k].lo ... x + windows[k].hi])`.
  func min(_ row: UnsafePointer<Float>, into outs: [UnsafeMutablePointer<Float>]) {
    build(row, padValue: .infinity, isMax: false)
    for (k, w) in windows.enumerated() { combine(w, outs[k], isMax: false) }
  }

  /// Floats in one row's sparse table (every level, padded).
  var tableSize: Int { levels * m }

  /// Writes the sparse table of `row` (maxima or minima) into `table` (``tableSize`` floats),
  /// for callers that keep the tables of several rows and read windows with ``taps(_:)``.
  func buildTable(_ row: UnsafePointer<Float>, into table: UnsafeMutablePointer<Float>, isMax: Bool)
  {
    build(row, padValue: isMax ? -.infinity : .infinity, isMax: isMax, into: table)
  }

  /// The two table offsets whose extremum is window `k` at `x = 0` (add `x` for other x):
  /// `max(table[a + x], table[b + x])` is `max(row[x + lo ... x + hi])`.
  func taps(_ k: Int) -> (a: Int, b: Int) {
    let w = windows[k]
    let length = w.hi - w.lo + 1
    var level = 0
    while (2 << level) <= length { level += 1 }
    let p = 1 << level
    return (level * m + pad + w.lo, level * m + pad + w.hi - p + 1)
  }

  private func build(
    _ row: UnsafePointer<Float>, padValue: Float, isMax: Bool,
    into table: UnsafeMutablePointer<Float>? = nil
  ) {
    let table = table ?? self.table
    let t0 = table
    for i in 0..<pad {
      t0[i] = padValue
      t0[pad + n + i] = padValue
    }
    (t0 + pad).update(from: row, count: n)
    var step = 1
    for level in 1..<levels {
      let src = table + (level - 1) * m
      let dst = table + level * m
      let count = m - step
      if isMax {
        for i in 0..<count { dst[i] = maxFloat(src[i], src[i + step]) }
      } else {
        for i in 0..<count { dst[i] = Swift.min(src[i], src[i + step]) }
      }
      for i in count..<m { dst[i] = padValue }
      step *= 2
    }
  }

  private func combine(_ w: (lo: Int, hi: Int), _ out: UnsafeMutablePointer<Float>, isMax: Bool) {
    let length = w.hi - w.lo + 1
    var level = 0
    while (2 << level) <= length { level += 1 }
    let p = 1 << level
    let t = table + level * m
    let a = t + pad + w.lo
    let b = t + pad + w.hi - p + 1
    if isMax {
      for x in 0..<n { out[x] = maxFloat(a[x], b[x]) }
    } else {
      for x in 0..<n { out[x] = Swift.min(a[x], b[x]) }
    }
  }
}
