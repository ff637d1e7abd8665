/// What ``MapPredictor`` does besides running the network.
public struct MapPredictionSettings: Sendable, Equatable {
  /// Heads to predict by id; nil: the one-class heads (inner and outer distance).
  public var heads: [Int]?
  /// Tiles per forward pass.
  public var batchSize: Int = 4
  /// Tile stride as a fraction of the tile (predict.md §3).
  public var strideRatio: Double = 0.75
  /// Padding of long axes.
  public var padMode: TilePadMode = .reflect
  /// Average the predictions of the four mirror flips (``TestTimeFlips``).
  public var testTimeFlips: Bool = false
  /// Normalize frames with histogram_normalization before predicting (false when the input
  /// is already normalized).
  public var normalize: Bool = true
  /// Intensity transform before the normalization (the model's
  /// ``ModelDescription/inputTransform``).
  public var transform: IntensityTransform = .none
  /// Arithmetic of the network's convolutions (``NNPrecision``; fp32 is exact).
  public var precision: NNPrecision = .fp32

  /// DeepCell's settings: one-class heads, 4 tiles a pass, stride 0.75, reflect, no flips,
  /// normalization on, no intensity transform.
  public init() {}
}

/// Distance maps of frames at the input's resolution, predicted at another scale
/// (predict.md §1–§4 with the order changed): each frame is normalized at its own resolution
/// (CLAHE, as dc-normalize does, so `dc-normalize | dc-predict` equals `dc-predict`), resized
/// by `scale` model pixels per input pixel (``Resample``: area averaging when shrinking,
/// bilinear when enlarging; the size is int(n · scale)), tiled and predicted (with mirror
/// flips when asked), and each map is resized back to the frame's size the same way.
///
/// DeepCell's Application resizes before normalizing and returns maps at the model's
/// resolution; normalizing first makes the result independent of whether normalization ran
/// in a separate process, and maps at the input's resolution align with the raw image.
public final class MapPredictor {
  /// The tiled network runner.
  public let predictor: PanopticPredictor
  /// The settings in force.
  public let settings: MapPredictionSettings
  private let normalizer: StackNormalizer

  /// A predictor of `network` with `settings`.
  public init(network: PanopticNet, settings: MapPredictionSettings) {
    self.settings = settings
    normalizer = StackNormalizer(settings.transform.applied(to: HistogramNormalization()))
    network.precision = settings.precision
    predictor = PanopticPredictor(
      network: network, heads: settings.heads, batchSize: settings.batchSize,
      strideRatio: settings.strideRatio, padMode: settings.padMode)
  }

  /// Classes of each predicted head.
  public var headClasses: [Int] { predictor.headClasses }

  /// Height and width of a `height × width` frame at `scale`: int(n · scale) each, at least 1.
  public static func scaledSize(height: Int, width: Int, scale: Double) -> (Int, Int) {
    (max(1, Int(Double(height) * scale)), max(1, Int(Double(width) * scale)))
  }

  /// Bytes that ``maps(_:height:width:channels:scale:)`` holds for `frames` frames besides the
  /// network's own buffers: the frames as read and prepared, resized to `scale`, their tiles
  /// in and out (overlapping by ``MapPredictionSettings/strideRatio``: (1 / ratio)² of the
  /// frame per axis pair), the joined maps, and the maps at the input's size, all float32.
  /// An estimate from above for the tiles (the last tiles of an axis overlap more).
  public func workingBytes(frames: Int, height: Int, width: Int, channels: Int, scale: Double)
    -> Int
  {
    let (nh, nw) = Self.scaledSize(height: height, width: width, scale: scale)
    let classes = headClasses.reduce(0, +)
    let overlap = 1 / (settings.strideRatio * settings.strideRatio)
    let input = Double(height) * Double(width) * Double(2 * channels + classes)
    let model = Double(nh) * Double(nw) * (Double(channels + classes) * (1 + overlap))
    let bytes = Double(max(frames, 0)) * (input + model) * 4
    return bytes < 0x1p62 ? Int(bytes) : .max
  }

  /// `frames` (height × width × channels each, any dtype) normalized as ``settings`` says,
  /// as float32 values. `firstFrameIndex` names frames in errors.
  public func prepared(
    _ frames: [NDArray], subject: String, firstFrameIndex: Int
  ) throws -> [[Float]] {
    guard settings.normalize else { return frames.map { $0.floats() } }
    return try normalizer.normalize(
      frames: frames, subject: subject, firstFrameIndex: firstFrameIndex
    ).map { $0.floats() }
  }

  /// The maps of prepared frames at the model's scale: `result[frame][head]`, each
  /// `scaledSize × classes`, with the frames resized by `scale` first.
  public func mapsAtModelScale(
    _ frames: [[Float]], height: Int, width: Int, channels: Int, scale: Double
  ) throws -> [[[Float]]] {
    let (nh, nw) = Self.scaledSize(height: height, width: width, scale: scale)
    let resized = frames.map {
      Resample.resize(
        $0, height: height, width: width, channels: channels, newHeight: nh, newWidth: nw)
    }
    if settings.testTimeFlips {
      return try TestTimeFlips.averaged(
        resized, height: nh, width: nw, channels: channels, classes: headClasses
      ) { try predictor.predict($0, height: nh, width: nw, channels: channels) }
    }
    return try predictor.predict(resized, height: nh, width: nw, channels: channels)
  }

  /// The maps of prepared frames at their own resolution: `result[frame][head]`, each
  /// `height × width × classes`.
  public func maps(
    _ frames: [[Float]], height: Int, width: Int, channels: Int, scale: Double
  ) throws -> [[[Float]]] {
    let (nh, nw) = Self.scaledSize(height: height, width: width, scale: scale)
    let maps = try mapsAtModelScale(
      frames, height: height, width: width, channels: channels, scale: scale)
    if nh == height && nw == width { return maps }
    return maps.map { heads in
      zip(heads, headClasses).map { map, classes in
        Resample.resize(
          map, height: nh, width: nw, channels: classes, newHeight: height, newWidth: width)
      }
    }
  }
}
