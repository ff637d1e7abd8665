/// Grey-level morphological reconstruction by dilation (skimage
/// `reconstruction(seed, mask, method='dilation', footprint)`, watershed.md §3).
///
/// The result is the limit of `seed ← min(dilate_fp(seed), mask)` with the footprint's
/// centre excluded and pixels outside the plane ignored (skimage pads with `min(seed)`, which
/// can never raise a value, so the two agree). Values are only copied and compared, so any
/// correct algorithm gives the same bits; this one is Vincent's hybrid algorithm
/// (L. Vincent, "Morphological grayscale reconstruction in image analysis", IEEE TIP 2(2),
/// 1993): a raster and an anti-raster scan over half-footprints, then a FIFO propagation.
/// The half-footprint maxima of the scans are sliding-window maxima over each footprint row
/// (van Herk / Gil–Werman), so a scan costs a few operations a pixel even for `disk(10)`.
public enum GreyReconstruction {
  /// Reconstruction by dilation of `seed` under `mask` (both row-major `height × width`).
  /// Throws when some `seed > mask`, as skimage does.
  public static func byDilation(
    seed: [Float], mask: [Float], height: Int, width: Int, footprint: Footprint
  ) throws -> [Float] {
    var j = seed
    try byDilation(&j, mask: mask, height: height, width: width, footprint: footprint)
    return j
  }

  /// The same, in place: `j` holds the seed on entry and the reconstruction on return.
  public static func byDilation(
    _ j: inout [Float], mask: [Float], height: Int, width: Int, footprint: Footprint
  ) throws {
    precondition(
      j.count == height * width && mask.count == j.count,
      "planes do not match \(height)×\(width)")
    if let i = firstExceeding(j, mask) {
      throw DeepCellError(.badData, "reconstruction", "seed exceeds mask at pixel \(i)")
    }
    if j.isEmpty { return }
    mask.withUnsafeBufferPointer { ib in
      j.withUnsafeMutableBufferPointer { jb in
        Hybrid(
          j: jb.baseAddress!, i: ib.baseAddress!, height: height, width: width, footprint: footprint
        ).run()
      }
    }
  }
}

/// The first index where `seed > mask`, or nil; four lanes at a time.
private func firstExceeding(_ seed: [Float], _ mask: [Float]) -> Int? {
  seed.withUnsafeBufferPointer { s in
    mask.withUnsafeBufferPointer { m in
      var x = 0
      while x + 16 <= s.count {
        var above = SIMDMask<SIMD4<Int32>>(repeating: false)
        for k in stride(from: x, to: x + 16, by: 4) {
          let a = UnsafeRawPointer(s.baseAddress! + k).loadUnaligned(as: SIMD4<Float>.self)
          let b = UnsafeRawPointer(m.baseAddress! + k).loadUnaligned(as: SIMD4<Float>.self)
          above .|= a .> b
        }
        if any(above) { break }
        x += 16
      }
      while x < s.count {
        if s[x] > m[x] { return x }
        x += 1
      }
      return nil
    }
  }
}

/// The working state of one hybrid reconstruction.
private struct Hybrid {
  let j: UnsafeMutablePointer<Float>
  let i: UnsafePointer<Float>
  let height: Int
  let width: Int
  let footprint: Footprint

  /// One footprint row away from the centre row: offset `dy` and the index of its window.
  struct RowWindow {
    var dy: Int
    var window: Int
  }

  func run() {
    var queue = [Int32]()
    scan(forward: true, queue: &queue)
    scan(forward: false, queue: &queue)
    propagate(&queue)
  }

  /// The distinct `[dxMin, dxMax]` windows of the rows on one side of the centre row, and
  /// the rows mapped to them.
  func sideWindows(below: Bool) -> (windows: [(Int, Int)], rows: [RowWindow]) {
    var windows: [(Int, Int)] = []
    var rows: [RowWindow] = []
    for r in footprint.runs where below ? r.dy > 0 : r.dy < 0 {
      let key = (r.dxMin, r.dxMax)
      let k: Int
      if let found = windows.firstIndex(where: { $0 == key }) {
        k = found
      } else {
        windows.append(key)
        k = windows.count - 1
      }
      rows.append(RowWindow(dy: r.dy, window: k))
    }
    return (windows, rows)
  }

  /// A raster (`forward`) or anti-raster scan; the anti-raster one also seeds the queue.
  func scan(forward: Bool, queue: inout [Int32]) {
    let (windows, rows) = sideWindows(below: !forward)
    let reach = rows.map { abs($0.dy) }.max() ?? 0
    let centre = footprint.runs.first { $0.dy == 0 }
    // Current-row part of the half footprint: the c pixels before p in scan order.
    let c = max(0, forward ? -(centre?.dxMin ?? 0) : (centre?.dxMax ?? 0))
    let ring = max(reach, 1)
    // Backward, the queue test also needs the current row's part [x + 1, x + c]: one more
    // window, evaluated once the row is final (its values no longer change in this scan).
    let rowPart = !forward && c > 0
    let sliding = SlidingExtremum(
      n: width, windows: windows.map { (lo: $0.0, hi: $0.1) } + (rowPart ? [(lo: 1, hi: c)] : []))
    let taps = (0..<(windows.count + (rowPart ? 1 : 0))).map { sliding.taps($0) }
    // The sparse tables (maxima of J and, backward, minima of the unsaturated values) of the
    // last `reach` rows: a window of a finished row is two reads.
    let size = sliding.tableSize
    let maxTables = UnsafeMutablePointer<Float>.allocate(capacity: ring * size)
    let minTables = UnsafeMutablePointer<Float>.allocate(capacity: forward ? 1 : ring * size)
    let unsat = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let rowMin = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let seeds = UnsafeMutablePointer<Int32>.allocate(capacity: width + 1)
    let line = LineBuffers(width: width, c: c)
    defer {
      maxTables.deallocate()
      minTables.deallocate()
      sliding.deallocate()
      unsat.deallocate()
      rowMax.deallocate()
      rowMin.deallocate()
      seeds.deallocate()
      line.deallocate()
    }
    for step in 0..<height {
      let y = forward ? step : height - 1 - step
      let jr = j + y * width
      let ir = i + y * width
      // Combine the window extrema of the finished rows on this side.
      rowMax.update(from: jr, count: width)
      if !forward { rowMin.update(repeating: .infinity, count: width) }
      for r in rows {
        let yy = y + r.dy
        if yy < 0 || yy >= height { continue }
        let (ta, tb) = taps[r.window]
        let table = maxTables + (yy % ring) * size
        let a = table + ta
        let b = table + tb
        for x in 0..<width { rowMax[x] = maxFloat(rowMax[x], maxFloat(a[x], b[x])) }
        if !forward {
          let table = minTables + (yy % ring) * size
          let a = table + ta
          let b = table + tb
          for x in 0..<width { rowMin[x] = min(rowMin[x], min(a[x], b[x])) }
        }
      }
      if forward {
        line.scan(jr: jr, ir: ir, rowMax: rowMax, start: 0, step: 1)
      } else {
        line.scan(jr: jr, ir: ir, rowMax: rowMax, start: width - 1, step: -1)
      }
      // This row is final for the scan: store its tables for later rows.
      if reach > 0 { sliding.buildTable(jr, into: maxTables + (y % ring) * size, isMax: true) }
      if !forward {
        if reach > 0 || rowPart {
          for x in 0..<width { unsat[x] = jr[x] < ir[x] ? jr[x] : .infinity }
          sliding.buildTable(unsat, into: minTables + (y % ring) * size, isMax: false)
        }
        if rowPart {
          let (ta, tb) = taps[windows.count]
          let table = minTables + (y % ring) * size
          let a = table + ta
          let b = table + tb
          for x in 0..<width { rowMin[x] = min(rowMin[x], min(a[x], b[x])) }
        }
        // Vincent's queue seed: a neighbour q in N⁻(p) with J(q) < J(p) and J(q) < I(q)
        // (in scan order, as the pixels were visited).
        var found = 0
        var x = width - 1
        while x >= 0 {
          seeds[found] = Int32(x)
          found += rowMin[x] < jr[x] ? 1 : 0
          x -= 1
        }
        for k in 0..<found { queue.append(Int32(y * width) + seeds[k]) }
      }
    }
  }

  /// FIFO propagation over the whole footprint until no pixel changes.
  func propagate(_ queue: inout [Int32]) {
    let offsets = footprint.offsetsWithoutCentre
    let linear = offsets.map { $0.dy * width + $0.dx }
    let reach = footprint.reach
    var head = 0
    while head < queue.count {
      let p = Int(queue[head])
      head &+= 1
      let jp = j[p]
      let y = p / width
      let x = p &- y &* width
      if y >= reach && y < height - reach && x >= reach && x < width - reach {
        // An interior pixel: every neighbour offset lands inside the image.
        for o in linear {
          let q = p &+ o
          let jq = j[q]
          if jq < jp && i[q] != jq {
            j[q] = min(jp, i[q])
            queue.append(Int32(q))
          }
        }
      } else {
        for o in offsets {
          let yy = y + o.dy
          let xx = x + o.dx
          if yy < 0 || yy >= height || xx < 0 || xx >= width { continue }
          let q = yy * width + xx
          let jq = j[q]
          if jq < jp && i[q] != jq {
            j[q] = min(jp, i[q])
            queue.append(Int32(q))
          }
        }
      }
      // Keep the queue from growing without bound on long propagations.
      if head > 1 << 16 && head * 2 > queue.count {
        queue.removeFirst(head)
        head = 0
      }
    }
  }
}

/// The sequential part of a scan: the pixels of one row in scan order, each taking
/// `min(max(rowMax, the c previous results), I)`. The maximum of the c previous results comes
/// from blocks of length c — prefix maxima carried along, suffix maxima filled when a block
/// completes (van Herk / Gil–Werman) — so a pixel costs O(1) whatever c.
private struct LineBuffers {
  let width: Int
  let c: Int
  /// The row's results in scan order.
  let values: UnsafeMutablePointer<Float>
  /// Block suffix maxima shifted by c: entry c + t is the suffix maximum at t; the first c
  /// entries are −∞.
  let suffixMax: UnsafeMutablePointer<Float>

  init(width: Int, c: Int) {
    self.width = width
    self.c = c
    values = .allocate(capacity: width + 1)
    suffixMax = .allocate(capacity: width + c + 1)
    suffixMax.initialize(repeating: -.infinity, count: width + c + 1)
  }

  func deallocate() {
    values.deallocate()
    suffixMax.deallocate()
  }

  /// Scans `jr` from `start` by `step` (±1).
  @inline(__always)
  func scan(
    jr: UnsafeMutablePointer<Float>, ir: UnsafePointer<Float>, rowMax: UnsafePointer<Float>,
    start: Int, step: Int
  ) {
    // x, k and t stay within the row (0 ≤ x < width, 0 ≤ k ≤ c, s − c < t ≤ s): wrapping
    // arithmetic keeps overflow checks out of the innermost loop of h-maxima.
    if c == 0 {
      var x = start
      for _ in 0..<width {
        jr[x] = min(rowMax[x], ir[x])
        x &+= step
      }
      return
    }
    var gMax = -Float.infinity
    var k = 0
    var x = start
    for s in 0..<width {
      let v = min(maxFloat(rowMax[x], maxFloat(suffixMax[s], gMax)), ir[x])
      jr[x] = v
      values[s] = v
      gMax = k == 0 ? v : maxFloat(gMax, v)
      k &+= 1
      if k == c {
        k = 0
        var acc = -Float.infinity
        var t = s
        while t > s &- c {
          acc = maxFloat(acc, values[t])
          suffixMax[t &+ c] = acc
          t &-= 1
        }
      }
      x &+= step
    }
  }
}

/// `max` for non-NaN floats as one `maxss`/`maxps` (the standard library's `max` also has to
/// order NaNs, which costs a blend); same result as `Swift.max` for every non-NaN pair.
@inline(__always)
func maxFloat(_ x: Float, _ y: Float) -> Float { x > y ? x : y }
