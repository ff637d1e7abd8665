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
    // Current-row part of the half footprint: dx in [cLo, cHi] (empty when cLo > cHi).
    let cLo = forward ? (centre.map { $0.dxMin } ?? 0) : 1
    let cHi = forward ? -1 : (centre.map { $0.dxMax } ?? 0)
    let nw = windows.count
    let ring = max(reach, 1)
    // Window maxima (and, backward, minima of unsaturated values) of the last `reach` rows.
    let maxRows = UnsafeMutablePointer<Float>.allocate(capacity: max(ring * nw * width, 1))
    let minRows = UnsafeMutablePointer<Float>.allocate(capacity: max(ring * nw * width, 1))
    let sliding = SlidingExtremum(n: width, windows: windows.map { (lo: $0.0, hi: $0.1) })
    let unsat = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let rowMin = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let c = max(0, forward ? -cLo : cHi)
    let g = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let h = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let gm = UnsafeMutablePointer<Float>.allocate(capacity: width)
    let hm = UnsafeMutablePointer<Float>.allocate(capacity: width)
    defer {
      g.deallocate()
      h.deallocate()
      gm.deallocate()
      hm.deallocate()
      maxRows.deallocate()
      minRows.deallocate()
      sliding.deallocate()
      unsat.deallocate()
      rowMax.deallocate()
      rowMin.deallocate()
    }
    for step in 0..<height {
      let y = forward ? step : height - 1 - step
      let jr = j + y * width
      let ir = i + y * width
      // Combine the precomputed window extrema of the finished rows on this side.
      for x in 0..<width {
        rowMax[x] = jr[x]
        rowMin[x] = .infinity
      }
      for r in rows {
        let yy = y + r.dy
        if yy < 0 || yy >= height { continue }
        let slot = ((yy % ring) * nw + r.window) * width
        let wm = maxRows + slot
        for x in 0..<width { rowMax[x] = max(rowMax[x], wm[x]) }
        if !forward {
          let wn = minRows + slot
          for x in 0..<width { rowMin[x] = min(rowMin[x], wn[x]) }
        }
      }
      // The current row, in scan order s (x = s forward, width − 1 − s backward): the
      // window is the c previously processed pixels [s − c, s − 1], whose maxima (and
      // minima of unsaturated values) come from blocks of length c — prefix extrema g
      // kept as we go, suffix extrema h filled when a block completes — O(1) a pixel.
      for s in 0..<width {
        let x = forward ? s : width - 1 - s
        var m = rowMax[x]
        var low = rowMin[x]
        if c > 0 && s > 0 {
          let a = s - c
          let b = s - 1
          m = max(m, a <= 0 ? g[b] : max(h[a], g[b]))
          if !forward { low = min(low, a <= 0 ? gm[b] : min(hm[a], gm[b])) }
        }
        let v = min(m, ir[x])
        jr[x] = v
        if c > 0 {
          let start = s % c == 0
          g[s] = start ? v : max(g[s - 1], v)
          if !forward {
            let u = v < ir[x] ? v : Float.infinity
            gm[s] = start ? u : min(gm[s - 1], u)
          }
          if s % c == c - 1 {
            var t = s
            var accMax = -Float.infinity
            var accMin = Float.infinity
            while t > s - c {
              let xt = forward ? t : width - 1 - t
              accMax = max(accMax, jr[xt])
              h[t] = accMax
              if !forward {
                accMin = min(accMin, jr[xt] < ir[xt] ? jr[xt] : .infinity)
                hm[t] = accMin
              }
              t -= 1
            }
          }
        }
        // Vincent's queue seed: a neighbour q in N⁻(p) with J(q) < J(p) and J(q) < I(q).
        if !forward && low < v { queue.append(Int32(y * width + x)) }
      }
      // This row is final for the scan: store its window extrema for later rows.
      if reach > 0 {
        let slots = (0..<nw).map { maxRows + ((y % ring) * nw + $0) * width }
        sliding.max(jr, into: slots)
        if !forward {
          for x in 0..<width { unsat[x] = jr[x] < ir[x] ? jr[x] : .infinity }
          sliding.min(unsat, into: (0..<nw).map { minRows + ((y % ring) * nw + $0) * width })
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
