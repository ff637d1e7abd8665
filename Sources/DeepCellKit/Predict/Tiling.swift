/// Padding of the image border when cutting tiles (numpy `np.pad` modes, predict.md §3).
public enum TilePadMode: String, Sendable, CaseIterable {
  /// Mirror without repeating the edge pixel (`dcb|abcd|cba`); NuclearSegmentation's choice.
  case reflect
  /// Zeros; the base `Application` default.
  case constant
}

/// Cutting a frame into tiles and blending tile predictions back (deepcell-toolbox
/// `tile_image`, `untile_image`, `spline_window`; predict.md §3–§4).
public enum Tiling {
  /// The tiles of one `height × width × channels` frame (row-major float32), each
  /// `tileHeight × tileWidth × channels`, in the plan's row-major tile order.
  /// Long axes are padded with `padMode`; short axes always with reflect (predict.md §3.2).
  public static func cut(
    _ frame: UnsafeBufferPointer<Float>, channels: Int, plan: TilePlan, padMode: TilePadMode
  ) -> [[Float]] {
    let h = plan.rows.length
    let w = plan.columns.length
    let th = plan.rows.tile
    let tw = plan.columns.tile
    precondition(frame.count == h * w * channels, "frame does not match the plan")
    func source(_ p: Int, _ axis: TilePlan.Axis) -> Int? {
      let i = p - axis.padBefore
      if i >= 0 && i < axis.length { return i }
      if padMode == .constant && axis.length >= axis.tile { return nil }
      return CLAHE.reflect(i, axis.length)
    }
    var tiles = [[Float]]()
    tiles.reserveCapacity(plan.tileCount)
    for ti in 0..<plan.rows.count {
      let r0 = plan.rows.start(ti)
      let rowSources = (0..<th).map { source(r0 + $0, plan.rows) }
      for tj in 0..<plan.columns.count {
        let c0 = plan.columns.start(tj)
        let columnSources = (0..<tw).map { source(c0 + $0, plan.columns) }
        var tile = [Float](repeating: 0, count: th * tw * channels)
        tile.withUnsafeMutableBufferPointer { out in
          for y in 0..<th {
            guard let sy = rowSources[y] else { continue }
            for x in 0..<tw {
              guard let sx = columnSources[x] else { continue }
              let s = (sy * w + sx) * channels
              let d = (y * tw + x) * channels
              for c in 0..<channels { out[d + c] = frame[s + c] }
            }
          }
        }
        tiles.append(tile)
      }
    }
    return tiles
  }

  /// Blends tile predictions (`tileHeight × tileWidth × channels` each, plan order) into
  /// one `height × width × channels` frame: Σ tile · window accumulated in float64 on the
  /// padded canvas, cast to float32, padding cropped (predict.md §4). Without blending
  /// (``TilePlan/blends`` false) later tiles overwrite earlier ones.
  public static func join(_ tiles: [[Float]], channels: Int, plan: TilePlan) -> [Float] {
    precondition(
      tiles.count == plan.tileCount, "\(tiles.count) tiles for a plan of \(plan.tileCount)")
    let th = plan.rows.tile
    let tw = plan.columns.tile
    let ph = plan.rows.paddedLength
    let pw = plan.columns.paddedLength
    var canvas = [Double](repeating: 0, count: ph * pw * channels)
    var windowCache = [[Int]: (rows: [Double], columns: [Double])]()
    for ti in 0..<plan.rows.count {
      for tj in 0..<plan.columns.count {
        let tile = tiles[ti * plan.columns.count + tj]
        let r0 = plan.rows.start(ti)
        let c0 = plan.columns.start(tj)
        if plan.blends {
          let ox = plan.rows.overlap(ti)
          let oy = plan.columns.overlap(tj)
          let key = [ox.left, ox.right, oy.left, oy.right]
          let windows =
            windowCache[key]
            ?? (
              splineWindow(length: th, overlapLeft: ox.left, overlapRight: ox.right),
              splineWindow(length: tw, overlapLeft: oy.left, overlapRight: oy.right)
            )
          windowCache[key] = windows
          for y in 0..<th {
            let wy = windows.rows[y]
            for x in 0..<tw {
              // Outer product in float64, then the float32 tile value times it,
              // accumulated in float64 as numpy does (`image += tile * window`).
              let wxy = wy * windows.columns[x]
              let d = ((r0 + y) * pw + c0 + x) * channels
              let s = (y * tw + x) * channels
              for c in 0..<channels { canvas[d + c] += Double(tile[s + c]) * wxy }
            }
          }
        } else {
          for y in 0..<th {
            for x in 0..<tw {
              let d = ((r0 + y) * pw + c0 + x) * channels
              let s = (y * tw + x) * channels
              for c in 0..<channels { canvas[d + c] = Double(tile[s + c]) }
            }
          }
        }
      }
    }
    let h = plan.rows.length
    let w = plan.columns.length
    var out = [Float](repeating: 0, count: h * w * channels)
    for y in 0..<h {
      for x in 0..<w {
        let s = ((y + plan.rows.padBefore) * pw + x + plan.columns.padBefore) * channels
        let d = (y * w + x) * channels
        for c in 0..<channels { out[d + c] = Float(canvas[s + c]) }
      }
    }
    return out
  }

  /// The 1-D blending window of a tile of `length` with spline ramps over its left and right
  /// overlaps (`spline_window`, power 2): the rising half of a `2L` window over the first
  /// `L = overlapLeft` entries, the falling half over the last `overlapRight`, ones between.
  public static func splineWindow(length: Int, overlapLeft: Int, overlapRight: Int) -> [Double] {
    var window = [Double](repeating: 1, count: length)
    if overlapLeft > 0 {
      let ramp = symmetricSpline(2 * overlapLeft)
      for i in 0..<overlapLeft { window[i] = ramp[i] }
    }
    if overlapRight > 0 {
      let ramp = symmetricSpline(2 * overlapRight)
      for i in 0..<overlapRight { window[length - overlapRight + i] = ramp[overlapRight + i] }
    }
    return window
  }

  /// `_spline_window(m)` of deepcell-toolbox: with `τ = scipy.signal.windows.triang(m)`,
  /// `2τ²/… ` outside the middle half and `1 − 2(1 − τ)²` inside, normalised by its maximum.
  static func symmetricSpline(_ m: Int) -> [Double] {
    // triang(m) for even m: (2i + 1)/m for i < m/2, mirrored.
    let tri = (0..<m).map { i -> Double in
      let k = i < m / 2 ? i : m - 1 - i
      return Double(2 * k + 1) / Double(m)
    }
    let q = m / 4
    var wind = [Double](repeating: 0, count: m)
    for i in 0..<m {
      // numpy slices `[q:-q]` and `[-q:]` with q = 0 keep all of the outer part and
      // zero all of the inner one (the reference's behaviour for m < 4).
      let inOuterPart = q == 0 || i < q || i >= m - q
      let outer = inOuterPart ? pow2(abs(2 * tri[i])) / 2 : 0
      let inner = inOuterPart ? 0 : 1 - pow2(abs(2 * (tri[i] - 1))) / 2
      wind[i] = inner + outer
    }
    let peak = wind.max() ?? 1
    return wind.map { $0 / peak }
  }

  @inline(__always) private static func pow2(_ x: Double) -> Double { x * x }
}
