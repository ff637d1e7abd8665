import ArgumentParser
import DeepCellKit

/// dc-train's schedule and data flags (model.md §9): validation split, epochs, batch size,
/// learning rate, crop and zoom of the augmentation, seed, steps, normalization, the recorded
/// nucleus diameter. Include with `@OptionGroup var training: TrainingOptions`.
public struct TrainingOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Fraction of X held out for validation when no --validation.", valueName: "f"))
  public var validationSplit: Double = 0.2

  @Option(help: "Epochs.") public var epochs: Int = 16
  @Option(help: "Samples per step.") public var batchSize: Int = 16
  @Option(help: "Initial learning rate.") public var lr: Float = 1e-4
  @Option(help: "Square crop size = model input size (a power of two).") public var crop: Int = 256
  @Option(help: "Smallest zoom (range [zoom-min, 1/zoom-min]).") public var zoomMin: Double = 0.75
  @OptionGroup public var dimming: DimmingOptions
  @OptionGroup public var noise: NoiseOptions
  @Option(help: "Seed of weights, split and augmentation.") public var seed: UInt64 = 0
  @Option(help: "Steps per epoch (default: training samples // batch size).") public
    var stepsPerEpoch: Int?
  @Option(help: "Validation steps (default: validation samples // batch size).")
  public var validationSteps: Int?
  @Option(
    help: ArgumentHelp(
      "Convolution arithmetic: fp32 (exact), bf16 (mixed precision: bfloat16 inputs, weights and output gradients, float32 sums, gradients and master weights; batch norm, losses and Adam in float32) or auto (bf16 where the CPU has native bfloat16 dot products, AVX512_BF16 or AMX, else fp32).",
      valueName: "p"))
  public var precision: String = "fp32"
  @Flag(
    help:
      "X is already normalized with histogram_normalization: skip it here (automatic for dc-normalize output). The model still expects normalized input."
  ) public var noNormalize = false
  @Option(
    help: ArgumentHelp(
      "Intensity transform before the normalization: none (DeepCell's) or sqrt (√(x − min)); recorded in the model, so dc-predict and dc-normalize apply it too. With --no-normalize or dc-normalize output: the transform the data already had.",
      valueName: "t"))
  public var transform: IntensityTransform = .none

  @Option(
    help: ArgumentHelp(
      "Median nucleus diameter in pixels the training images were resized to; recorded in the model so dc-predict can rescale other images to it (--diameter).",
      valueName: "d"))
  public var diameter: Double?

  @Option(
    help: ArgumentHelp(
      "Extra loss weight w0 of the pixels between touching nuclei in the inner and outer distance losses: weight 1 + w0 where a square window of side 2r+1 holds two different nuclei (U-Net's separation-border idea); 0, DeepCell's recipe, weighs all pixels alike.",
      valueName: "w0"))
  public var contactWeight: Float = 0
  @Option(help: ArgumentHelp("Window radius r of --contact-weight.", valueName: "r"))
  public var contactRadius: Int = 2
  @Flag(
    help:
      "Keep conv_channels and the backbone as --initial-weights gives them, batch-norm statistics included, and train the feature pyramid and the heads only (DeepCell's frozen_weights; its batch normalization runs as at inference)."
  )
  public var freezeBackbone = false
  @Option(
    help: ArgumentHelp(
      "Multiply the learning rate of conv_channels and the backbone by s, in (0, 1]: with --initial-weights, their features move less than the pyramid and heads learn (discriminative fine-tuning); 1, the recipe, trains all layers at --lr.",
      valueName: "s"))
  public var backboneLrScale: Float = 1
  public init() {}

  public func validate() throws {
    if let diameter, !(diameter.isFinite && diameter > 0) {
      throw ValidationError("--diameter must be a positive number of pixels")
    }
    guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") }
    guard validationSplit > 0, validationSplit < 1 else {
      throw ValidationError("--validation-split must lie in (0, 1)")
    }
    guard zoomMin > 0, zoomMin <= 1 else { throw ValidationError("--zoom-min must lie in (0, 1]") }
    guard contactWeight >= 0, contactWeight.isFinite else {
      throw ValidationError("--contact-weight must be a number ≥ 0")
    }
    guard contactRadius >= 1, contactRadius <= 64 else {
      throw ValidationError("--contact-radius must lie in 1…64")
    }
    guard backboneLrScale > 0, backboneLrScale <= 1 else {
      throw ValidationError("--backbone-lr-scale must lie in (0, 1]")
    }
    if freezeBackbone, backboneLrScale != 1 {
      throw ValidationError("--backbone-lr-scale has no effect with --freeze-backbone")
    }
    guard precision == "auto" || NNPrecision(rawValue: precision) != nil else {
      throw ValidationError("--precision must be auto, fp32 or bf16")
    }
  }

  /// The ``TrainingSettings`` of the flags.
  public var settings: TrainingSettings {
    var settings = TrainingSettings()
    settings.epochs = epochs
    settings.batchSize = batchSize
    settings.learningRate = lr
    settings.seed = seed
    settings.stepsPerEpoch = stepsPerEpoch
    settings.validationSteps = validationSteps
    settings.precision = NNPrecision(rawValue: precision) ?? .native
    settings.contactWeight = contactWeight
    settings.contactRadius = contactRadius
    settings.freezeBackbone = freezeBackbone
    settings.backboneLearningRateScale = backboneLrScale
    return settings
  }
}
