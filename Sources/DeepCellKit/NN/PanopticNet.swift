/// DeepCell's PanopticNet (model.md §2, deepcell-tf `model_zoo/panopticnet.py`) with the
/// featurenet backbone: `location` (Location2D) → `concatenate_location` → `conv_channels`
/// (1×1 → 3) → featurenet C1…C5 → FPN to the finest chosen level → one semantic head per entry
/// of `semanticClasses`, each at input resolution. Parameter names are the reference layer
/// names (`conv_channels/kernel`, `C1_reduced/bias`, `P1/kernel`, `conv_1_semantic_0/kernel`,
/// …); 1,187,312 parameters for the defaults (model.md §7).
public final class PanopticNet {
  /// The architecture.
  public let configuration: PanopticNetConfiguration
  let locationLayer: Location2D?
  let concatenateLocation: Concatenate?
  /// `conv_channels`: 1×1 convolution to the 3 channels the backbone expects.
  public let convChannels: Conv2D
  /// The backbone.
  public let backbone: FeatureNetBackbone
  /// The pyramid.
  public let pyramid: FeaturePyramid
  /// The semantic heads, by id.
  public let heads: [SemanticHead]
  /// Every parameter by model-file name.
  public private(set) var registry = ParameterRegistry()
  /// Every batch-normalization layer, backbone first, then the heads'.
  var batchNormalizationLayers: [BatchNormalization] {
    backbone.blocks.flatMap { [$0.normA, $0.normB] } + heads.map(\.norm0)
  }
  private var lastHeads: [Int] = []
  /// Whether `conv_channels` and the backbone are frozen (DeepCell's `frozen_weights`, Keras
  /// `trainable = False`): training-mode passes run them as at inference, batch normalization
  /// with its moving statistics, which stay as they are; ``backward(_:)`` stops at the
  /// pyramid, and ``updatedParameters`` leaves their weights out. Transfer learning: the
  /// features stay those of the initial weights, and the pyramid and heads learn on them.
  public var frozenBackbone = false

  /// The parameters a training step updates: every one, or with ``frozenBackbone`` all but
  /// those of `conv_channels` and the backbone.
  public var updatedParameters: [Parameter] {
    guard frozenBackbone else { return registry.parameters }
    let frozen = Set(featureParameters.map(ObjectIdentifier.init))
    return registry.parameters.filter { !frozen.contains(ObjectIdentifier($0)) }
  }
  /// The parameters of `conv_channels` and the backbone: the features below the pyramid.
  public var featureParameters: [Parameter] { convChannels.parameters + backbone.parameters }
  /// Precision of inference-mode forward passes (``NNPrecision``).
  public var precision: NNPrecision = .fp32
  /// Precision of training-mode convolutions (``Conv2D/trainingPrecision``): as at inference,
  /// every convolution but the first (`conv_channels`) and the heads' last
  /// (`conv_1_semantic_*`, which at bf16 runs as a float32 ``PointwiseProjection``); batch
  /// normalization, activations, losses and Adam stay float32.
  public var trainingPrecision: NNPrecision = .fp32 {
    didSet {
      for conv in reducedPrecisionConvolutions { conv.trainingPrecision = trainingPrecision }
      // The heads' last layer stays float32; in mixed precision it also skips oneDNN's
      // reorders (float32 keeps oneDNN's sums, which reproduce recorded runs bit for bit).
      for head in heads { head.conv1.projectsInTraining = trainingPrecision != .fp32 }
    }
  }

  /// The convolutions that run at reduced precision when asked: all but the first and the
  /// heads' last.
  var reducedPrecisionConvolutions: [Conv2D] {
    backbone.blocks.flatMap { [$0.convA, $0.convB] } + pyramid.reduced + [pyramid.output]
      + heads.flatMap { $0.upsampleConvs + [$0.conv0] }
  }

  /// Channels `conv_channels` produces (`required_channels` of the reference).
  public static let requiredChannels = 3

  /// Builds the network, Glorot-uniform kernels drawn from `seed`, BN at its initial state.
  public init(_ configuration: PanopticNetConfiguration, seed: UInt64) throws {
    try configuration.validate()
    self.configuration = configuration
    var rng = RandomGenerator(seed: seed)
    if configuration.location {
      locationLayer = Location2D(name: "location")
      concatenateLocation = Concatenate(name: "concatenate_location")
    } else {
      locationLayer = nil
      concatenateLocation = nil
    }
    let c = configuration.inputChannels + (configuration.location ? 2 : 0)
    convChannels = try Conv2D(
      name: "conv_channels", inputChannels: c, outputChannels: Self.requiredChannels,
      kernelSize: 1, rng: &rng)
    convChannels.computesInputGradient = false
    let levels = configuration.backboneLevels.sorted()
    backbone = try FeatureNetBackbone(
      inputChannels: Self.requiredChannels, filters: configuration.backboneFilters,
      depth: levels.last!, rng: &rng)
    pyramid = try FeaturePyramid(
      levels: levels, backboneChannels: configuration.backboneFilters,
      featureSize: configuration.featureSize, rng: &rng)
    heads = try configuration.semanticClasses.enumerated().map { i, n in
      try SemanticHead(
        index: i, classes: n, inputChannels: configuration.featureSize, upsamplings: levels[0],
        upsampleFilters: configuration.headUpsampleFilters, filters: configuration.headFilters,
        rng: &rng)
    }
    try registry.register(convChannels.parameters)
    try registry.register(backbone.parameters)
    try registry.register(pyramid.parameters)
    for h in heads { try registry.register(h.parameters) }
  }

  /// The outputs of heads `headIndices` (default all) for `x` (N, C, S, S): each
  /// (N, classes, S, S). Throws `.badData` when the input shape differs from the model's.
  public func forward(_ x: Tensor, training: Bool, heads headIndices: [Int]? = nil) throws
    -> [Tensor]
  {
    let cfg = configuration
    guard x.shape.c == cfg.inputChannels, x.shape.h == cfg.inputSize, x.shape.w == cfg.inputSize
    else {
      throw DeepCellError(
        .badData, "input",
        "has \(x.shape.c) channel(s) of \(x.shape.h)×\(x.shape.w); the model takes "
          + "\(cfg.inputChannels) channel(s) of \(cfg.inputSize)×\(cfg.inputSize)")
    }
    var t = x
    if let loc = locationLayer, let cat = concatenateLocation {
      t = try cat.forward(x, try loc.forward(x, training: training))
    }
    let trainsBackbone = training && !frozenBackbone
    t = try convChannels.forward(t, training: trainsBackbone)
    let levels = pyramid.levels
    let features = try backbone.forward(
      t, depth: levels.last!, training: trainsBackbone, precision: precision)
    let p = try pyramid.forward(
      Array(features[(levels[0] - 1)...]), training: training, precision: precision)
    let which = headIndices ?? Array(heads.indices)
    lastHeads = which
    return try which.map { try heads[$0].forward(p, training: training, precision: precision) }
  }

  /// Backpropagates ∂L/∂output of each head run by the last training-mode `forward` (same
  /// order), writing the gradient of every parameter in ``updatedParameters``.
  public func backward(_ outputGradients: [Tensor]) throws {
    guard outputGradients.count == lastHeads.count, !lastHeads.isEmpty else {
      throw DeepCellError(
        .usage, "panopticnet",
        "backward got \(outputGradients.count) gradients for \(lastHeads.count) heads")
    }
    var dp: Tensor? = nil
    for (k, i) in lastHeads.enumerated() {
      let g = try heads[i].backward(outputGradients[k])
      dp = try dp.map { try accumulateGradient($0, g) } ?? g
    }
    let levels = pyramid.levels
    let dFeatures = try pyramid.backward(dp!)
    if frozenBackbone { return }
    var levelGradients = [Tensor?](repeating: nil, count: levels.last!)
    for (i, k) in levels.enumerated() { levelGradients[k - 1] = dFeatures[i] }
    let dt = try backbone.backward(levelGradients)
    _ = try convChannels.backward(dt)
  }
}
