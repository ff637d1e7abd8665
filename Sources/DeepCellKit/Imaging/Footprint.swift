/// A flat 2-D structuring element (skimage "footprint"), stored as one horizontal run per
/// row: the pixels `(dy, dx)` with `dx` in `runs[k].dxMin ... runs[k].dxMax`.
///
/// Every footprint the pipeline uses (disk, square) is convex along rows, so one run per
/// row describes it exactly; the fast morphology (``reconstructionByDilation``,
/// ``maximumFilter``) works on these runs with sliding-window maxima.
public struct Footprint: Sendable, Equatable {
  /// One row of the footprint: offsets `dy` and `dxMin ... dxMax` relative to the centre.
  public struct Run: Sendable, Equatable {
    public var dy: Int
    public var dxMin: Int
    public var dxMax: Int
  }

  /// The rows, ordered by `dy` ascending.
  public private(set) var runs: [Run]

  /// A footprint from explicit runs (sorted by `dy`; one run per `dy`).
  public init(runs: [Run]) {
    self.runs = runs.sorted { $0.dy < $1.dy }
  }

  /// skimage `disk(radius)`: the offsets with `dy² + dx² ≤ radius²` (watershed.md §3;
  /// disk(10) has 317 pixels).
  public static func disk(radius: Int) -> Footprint {
    precondition(radius >= 0, "negative disk radius")
    var runs: [Run] = []
    for dy in -radius...radius {
      var w = 0
      while (w + 1) * (w + 1) + dy * dy <= radius * radius { w += 1 }
      runs.append(Run(dy: dy, dxMin: -w, dxMax: w))
    }
    return Footprint(runs: runs)
  }

  /// skimage `square(2·halfWidth + 1)`: every offset with `|dy|, |dx| ≤ halfWidth`.
  public static func square(halfWidth: Int) -> Footprint {
    precondition(halfWidth >= 0, "negative square half-width")
    return Footprint(
      runs: (-halfWidth...halfWidth).map { Run(dy: $0, dxMin: -halfWidth, dxMax: halfWidth) })
  }

  /// Number of pixels in the footprint (centre included).
  public var pixelCount: Int { runs.reduce(0) { $0 + $1.dxMax - $1.dxMin + 1 } }

  /// The largest `|dy|` or `|dx|` of any offset.
  public var reach: Int {
    runs.reduce(0) { max($0, abs($1.dy), abs($1.dxMin), abs($1.dxMax)) }
  }

  /// Every offset `(dy, dx)` except the centre, in raster order.
  public var offsetsWithoutCentre: [(dy: Int, dx: Int)] {
    var out: [(dy: Int, dx: Int)] = []
    for r in runs {
      for dx in r.dxMin...r.dxMax where !(r.dy == 0 && dx == 0) { out.append((r.dy, dx)) }
    }
    return out
  }
}
