/// How one frame is cut into overlapping model-sized tiles and put back together
/// (predict.md §3–§4; deepcell-toolbox `tile_image` / `untile_image`).
///
/// Per spatial axis of length `n` with tile `t` and stride ratio `r`:
/// `stride = min(2·ceil(r·t/2), t)`, `reps = max(ceil((n − t)/stride + 1), 1)`, total padding
/// `p = t + stride·(reps − 1) − n` split `ceil(p/2)` before and `floor(p/2)` after. An axis
/// shorter than the tile is first padded up to `t` (reflect), only that axis — the
/// reference's quirk of padding both axes is not reproduced (predict.md §3.2).
public struct TilePlan: Sendable, Equatable {
  /// The plan along one axis.
  public struct Axis: Sendable, Equatable {
    /// Image length along the axis.
    public var length: Int
    /// Tile length.
    public var tile: Int
    /// Distance between tile starts.
    public var stride: Int
    /// Number of tiles.
    public var count: Int
    /// Padding before / after the image.
    public var padBefore: Int, padAfter: Int
    /// Padded length, `tile + stride·(count − 1)`.
    public var paddedLength: Int { tile + stride * (count - 1) }
    /// Start of tile `i` in padded coordinates.
    public func start(_ i: Int) -> Int { i == count - 1 ? paddedLength - tile : i * stride }
    /// The (left, right) overlap recorded for tile `i`, as `tile_image` records it.
    public func overlap(_ i: Int) -> (left: Int, right: Int) {
      if i == 0 { return (0, tile - stride) }
      if i == count - 1 { return ((i - 1) * stride + tile - start(i), 0) }
      return (tile - stride, tile - stride)
    }

    /// The plan of an axis of `length` for tiles of `tile` at `strideRatio`.
    public init(length: Int, tile: Int, strideRatio: Double) {
      self.length = length
      self.tile = tile
      let evenCeil = Int((strideRatio * Double(tile) / 2).rounded(.up)) * 2
      stride = max(1, min(evenCeil, tile))
      if length < tile {
        // Short axis: reflect-pad up to one tile (predict.md §3.2).
        count = 1
        let d = tile - length
        padBefore = d / 2
        padAfter = d - d / 2
      } else {
        count = max(Int((Double(length - tile) / Double(stride) + 1).rounded(.up)), 1)
        let p = tile + stride * (count - 1) - length
        padBefore = (p + 1) / 2
        padAfter = p / 2
      }
    }
  }

  /// Row axis plan.
  public var rows: Axis
  /// Column axis plan.
  public var columns: Axis
  /// The stride ratio the plan was made with.
  public var strideRatio: Double

  /// The plan for a `height × width` frame and square-or-not tiles of `tileHeight × tileWidth`.
  public init(height: Int, width: Int, tileHeight: Int, tileWidth: Int, strideRatio: Double = 0.75)
  {
    rows = Axis(length: height, tile: tileHeight, strideRatio: strideRatio)
    columns = Axis(length: width, tile: tileWidth, strideRatio: strideRatio)
    self.strideRatio = strideRatio
  }

  /// Number of tiles per frame (row-major: tile `k` is row `k / columns.count`, column `k % columns.count`).
  public var tileCount: Int { rows.count * columns.count }

  /// Whether untiling blends with spline windows (predict.md §4: tile ≥ 32 and smaller than
  /// the padded canvas on both axes, stride ratio ≥ 0.5); otherwise later tiles overwrite.
  public var blends: Bool {
    32 <= rows.tile && rows.tile < rows.paddedLength && 32 <= columns.tile
      && columns.tile < columns.paddedLength && strideRatio >= 0.5
  }
}
