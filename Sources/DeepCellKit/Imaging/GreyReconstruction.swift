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
    precondition(
      seed.count == height * width && mask.count == seed.count,
      "planes do not match \(height)×\(width)")
    for i in seed.indices where seed[i] > mask[i] {
      throw DeepCellError(.badData, "reconstruction", "seed exceeds mask at pixel \(i)")
    }
    var j = seed
    if seed.isEmpty { return j }
    mask.withUnsafeBufferPointer { ib in
      j.withUnsafeMutableBufferPointer { jb in
        Hybrid(
          j: jb.baseAddress!, i: ib.baseAddress!, height: height, width: width, footprint: footprint
        ).run()
      }
    }
    return j
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
    let nw = windows.count
    let ring = max(reach, 1)
    // Window maxima (and, backward, minima of unsaturated values) of the last `reach` rows.
    let maxRows = UnsafeMutablePointer<Float>.allocate(capacity: max(ring * nw * width, 1))
    let minRows = UnsafeMutablePointer<Float>.allocate(capacity: max(ring * nw * width, 1))
    let sliding = SlidingExtremum(n: width, windows: windows.map { (lo: $0.0, hi: $0.1) })
    let unsat = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let rowMin = UnsafeMutablePointer<Float>.allocate(capacity: width)
    // Scan-order line buffers: values, unsaturated values, and block suffix extrema shifted
    // by c (entry c + t is the suffix extremum at t; the first c entries are ∓∞).
    let line = LineBuffers(width: width, c: c)
    let maxSlots = (0..<ring).map { r in (0..<nw).map { maxRows + (r * nw + $0) * width } }
    let minSlots = (0..<ring).map { r in (0..<nw).map { minRows + (r * nw + $0) * width } }
    defer {
      maxRows.deallocate()
      minRows.deallocate()
      sliding.deallocate()
      unsat.deallocate()
      rowMax.deallocate()
      rowMin.deallocate()
      line.deallocate()
    }
    for step in 0..<height {
      let y = forward ? step : height - 1 - step
      let jr = j + y * width
      let ir = i + y * width
      // Combine the precomputed window extrema of the finished rows on this side.
      rowMax.update(from: jr, count: width)
      if !forward { rowMin.update(repeating: .infinity, count: width) }
      for r in rows {
        let yy = y + r.dy
        if yy < 0 || yy >= height { continue }
        let slot = ((yy % ring) * nw + r.window) * width
        let wm = maxRows + slot
        for x in 0..<width { rowMax[x] = maxFloat(rowMax[x], wm[x]) }
        if !forward {
          let wn = minRows + slot
          for x in 0..<width { rowMin[x] = min(rowMin[x], wn[x]) }
        }
      }
      if forward {
        _ = line.scan(
          jr: jr, ir: ir, rowMax: rowMax, rowMin: rowMin, start: 0, step: 1, trackMin: false)
      } else {
        let seeds = line.scan(
          jr: jr, ir: ir, rowMax: rowMax, rowMin: rowMin, start: width - 1, step: -1,
          trackMin: true)
        for k in 0..<seeds { queue.append(Int32(y * width) + line.seeds[k]) }
      }
      // This row is final for the scan: store its window extrema for later rows.
      if reach > 0 {
        sliding.max(jr, into: maxSlots[y % ring])
        if !forward {
          for x in 0..<width { unsat[x] = jr[x] < ir[x] ? jr[x] : .infinity }
          sliding.min(unsat, into: minSlots[y % ring])
        }
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
      head += 1
      let jp = j[p]
      let y = p / width
      let x = p - y * width
      if y >= reach && y < height - reach && x >= reach && x < width - reach {
        for o in linear {
          let q = p + o
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
/// `min(max(rowMax, the c previous results), I)`. The maximum of the c previous results (and,
/// for queue seeding, the minimum of the unsaturated ones) comes from blocks of length c —
/// prefix extrema carried along, suffix extrema filled when a block completes (van Herk /
/// Gil–Werman) — so a pixel costs O(1) whatever c.
private struct LineBuffers {
  let width: Int
  let c: Int
  let values: UnsafeMutablePointer<Float>
  let unsat: UnsafeMutablePointer<Float>
  let suffixMax: UnsafeMutablePointer<Float>
  let suffixMin: UnsafeMutablePointer<Float>
  /// The columns a backward scan found to seed the queue (in scan order).
  let seeds: UnsafeMutablePointer<Int32>

  init(width: Int, c: Int) {
    self.width = width
    self.c = c
    values = .allocate(capacity: width + 1)
    unsat = .allocate(capacity: width + 1)
    seeds = .allocate(capacity: width + 1)
    suffixMax = .allocate(capacity: width + c + 1)
    suffixMin = .allocate(capacity: width + c + 1)
    suffixMax.initialize(repeating: -.infinity, count: width + c + 1)
    suffixMin.initialize(repeating: .infinity, count: width + c + 1)
  }

  func deallocate() {
    values.deallocate()
    unsat.deallocate()
    seeds.deallocate()
    suffixMax.deallocate()
    suffixMin.deallocate()
  }

  /// Scans `jr` from `start` by `step` (±1). When `trackMin`, the pixels that have an
  /// unsaturated neighbour below their new value go to `seeds`; returns their number.
  @inline(__always)
  func scan(
    jr: UnsafeMutablePointer<Float>, ir: UnsafePointer<Float>, rowMax: UnsafePointer<Float>,
    rowMin: UnsafePointer<Float>, start: Int, step: Int, trackMin: Bool
  ) -> Int {
    var found = 0
    if c == 0 {
      var x = start
      for _ in 0..<width {
        let v = min(rowMax[x], ir[x])
        jr[x] = v
        if trackMin {
          seeds[found] = Int32(x)
          found += rowMin[x] < v ? 1 : 0
        }
        x += step
      }
      return found
    }
    var gMax = -Float.infinity
    var gMin = Float.infinity
    var k = 0
    var x = start
    for s in 0..<width {
      let ix = ir[x]
      let v = min(maxFloat(rowMax[x], maxFloat(suffixMax[s], gMax)), ix)
      jr[x] = v
      values[s] = v
      if trackMin {
        let low = min(rowMin[x], min(suffixMin[s], gMin))
        let u = v < ix ? v : Float.infinity
        unsat[s] = u
        seeds[found] = Int32(x)
        found += low < v ? 1 : 0
        gMin = k == 0 ? u : min(gMin, u)
      }
      gMax = k == 0 ? v : maxFloat(gMax, v)
      k += 1
      if k == c {
        k = 0
        var accMax = -Float.infinity
        var accMin = Float.infinity
        var t = s
        while t > s - c {
          accMax = maxFloat(accMax, values[t])
          suffixMax[t + c] = accMax
          if trackMin {
            accMin = min(accMin, unsat[t])
            suffixMin[t + c] = accMin
          }
          t -= 1
        }
      }
      x += step
    }
    return found
  }
}

/// `max` for non-NaN floats as one `maxss`/`maxps` (the standard library's `max` also has to
/// order NaNs, which costs a blend); same result as `Swift.max` for every non-NaN pair.
@inline(__always)
func maxFloat(_ x: Float, _ y: Float) -> Float { x > y ? x : y }
