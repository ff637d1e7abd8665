/// Hyperparameters of PanopticNet training, defaults from the seed notebook and model.md §9.
public struct TrainingSettings: Sendable, Equatable {
  /// Epochs (16).
  public var epochs = 16
  /// Samples per step (16).
  public var batchSize = 16
  /// Initial learning rate (1e-4); epoch e runs at `learningRate · decay^e`.
  public var learningRate: Float = 1e-4
  /// Per-epoch decay of `rate_scheduler` (0.99).
  public var decay: Float = 0.99
  /// Adam per-variable gradient norm limit (0.001).
  public var clipNorm: Float = 0.001
  /// Scale of the weighted categorical cross-entropy of n-class heads (0.01).
  public var crossEntropyScale: Float = 0.01
  /// ReduceLROnPlateau: factor 0.1, patience 5, min_delta 1e-4.
  public var plateauFactor: Float = 0.1
  public var plateauPatience = 5
  public var plateauMinDelta: Double = 1e-4
  /// EarlyStopping patience (10), min_delta 0, restore best weights.
  public var earlyStoppingPatience = 10
  /// Training steps per epoch; nil = training samples // batch size (at least 1).
  public var stepsPerEpoch: Int?
  /// Validation steps; nil = validation samples // batch size (at least 1).
  public var validationSteps: Int?
  /// Seed of weights and augmentation.
  public var seed: UInt64 = 0
  /// Precision of the convolutions (``PanopticNet/trainingPrecision``): float32, or bfloat16
  /// inputs with float32 accumulation, gradients and master weights.
  public var precision: NNPrecision = .fp32
  /// Extra loss weight w₀ of the pixels between touching nuclei in the distance (MSE) heads
  /// (``ContactWeightMap``); 0, the recipe's, weighs every pixel alike.
  public var contactWeight: Float = 0
  /// Window radius r of ``ContactWeightMap`` in pixels (2).
  public var contactRadius = 2
  /// Train the pyramid and heads only, on the features of the initial weights
  /// (``PanopticNet/frozenBackbone``); off in the recipe.
  public var freezeBackbone = false
  /// Multiplier of the learning rate of `conv_channels` and the backbone
  /// (``PanopticNet/featureParameters``; Adam's ``Adam/learningRateScales``): below 1 the
  /// features of the initial weights move less than the pyramid and heads; 1 in the recipe.
  public var backboneLearningRateScale: Float = 1

  /// The notebook's defaults.
  public init() {}
}
