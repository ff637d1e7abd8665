/// Runs a ``PanopticNet`` on frames of any size (predict.md §3–§4): each frame is cut into
/// model-sized tiles (stride ratio 0.75 by default; short axes reflect-padded up to the tile,
/// long axes padded with `padMode`), tiles of all frames given are predicted in batches of
/// `batchSize` in inference mode, and each head's tiles are blended back with spline windows.
public final class PanopticPredictor {
  /// The network.
  public let network: PanopticNet
  /// Heads predicted, by id (default: the one-class heads, i.e. inner and outer distance).
  public let heads: [Int]
  /// Tiles per forward pass.
  public var batchSize: Int
  /// Tile stride as a fraction of the tile.
  public var strideRatio: Double
  /// Padding of long axes.
  public var padMode: TilePadMode

  /// A predictor for `heads` (nil: every head with one class, the seed's prediction model).
  public init(
    network: PanopticNet, heads: [Int]? = nil, batchSize: Int = 4, strideRatio: Double = 0.75,
    padMode: TilePadMode = .reflect
  ) {
    self.network = network
    self.heads =
      heads
      ?? network.configuration.semanticClasses.indices.filter {
        network.configuration.semanticClasses[$0] == 1
      }
    self.batchSize = max(1, batchSize)
    self.strideRatio = strideRatio
    self.padMode = padMode
  }

  /// Classes of each predicted head.
  public var headClasses: [Int] { heads.map { network.configuration.semanticClasses[$0] } }

  /// The predicted maps of `frames` (each `height × width × channels`, channels-last):
  /// `result[frame][k]` is head `heads[k]` as `height × width × classes`. Throws `.badData`
  /// when the channel count differs from the model's.
  public func predict(_ frames: [[Float]], height: Int, width: Int, channels: Int) throws
    -> [[[Float]]]
  {
    let cfg = network.configuration
    guard channels == cfg.inputChannels else {
      throw DeepCellError(
        .badData, "input",
        "has \(channels) channel(s); the model takes \(cfg.inputChannels)")
    }
    let t = cfg.inputSize
    let plan = TilePlan(
      height: height, width: width, tileHeight: t, tileWidth: t, strideRatio: strideRatio)
    var tiles: [[Float]] = []
    for f in frames {
      f.withUnsafeBufferPointer {
        tiles += Tiling.cut($0, channels: channels, plan: plan, padMode: padMode)
      }
    }
    // Predicted tiles per head, channels-last.
    var outTiles = [[[Float]]](repeating: [], count: heads.count)
    var start = 0
    while start < tiles.count {
      let end = min(tiles.count, start + batchSize)
      let n = end - start
      var plain = [Float](repeating: 0, count: n * channels * t * t)
      for b in 0..<n {
        let tile = tiles[start + b]
        for y in 0..<t {
          for x in 0..<t {
            for c in 0..<channels {
              plain[((b * channels + c) * t + y) * t + x] = tile[(y * t + x) * channels + c]
            }
          }
        }
      }
      let input = try Tensor(TensorShape(n, channels, t, t), nchw: plain)
      let outputs = try network.forward(input, training: false, heads: heads)
      for (k, y) in outputs.enumerated() {
        let k0 = y.shape.c
        let v = y.nchwValues()
        for b in 0..<n {
          var tile = [Float](repeating: 0, count: t * t * k0)
          for c in 0..<k0 {
            for p in 0..<(t * t) { tile[p * k0 + c] = v[(b * k0 + c) * t * t + p] }
          }
          outTiles[k].append(tile)
        }
      }
      start = end
    }
    let perFrame = plan.tileCount
    return frames.indices.map { i in
      heads.indices.map { k in
        Tiling.join(
          Array(outTiles[k][(i * perFrame)..<((i + 1) * perFrame)]), channels: headClasses[k],
          plan: plan)
      }
    }
  }
}
