import Foundation

/// A dc-train run (model.md §8–§9): reads the training and validation data
/// (``TrainingDataset``), builds their batch sources (augmentation as the seed notebook does,
/// or dc-augment batches as they are), trains a ``PanopticNet`` with ``PanopticTrainer``,
/// saves the best model by val_loss after each improvement (``ModelFile``), rewrites the
/// Keras CSV log (``TrainingLog``) and the resumable state (``TrainingStateFile``) after
/// every epoch, and optionally recalibrates the batch-norm statistics of the best model.
public struct TrainingRun {
  /// Training NPZ (X and y, or dc-augment batches).
  public var input: String
  /// Model file written (.npz).
  public var output: String
  /// CSV log (nil: the model path with .csv).
  public var logPath: String?
  /// Validation NPZ (nil: ``validationSplit`` of the input).
  public var validation: String?
  /// Fraction of the input held out for validation without ``validation``.
  public var validationSplit = 0.2
  /// The network; its input size is the crop size of the batches.
  public var architecture: PanopticNetConfiguration
  /// Epochs, batch size, learning rate, seed, steps.
  public var settings: TrainingSettings
  /// Smallest zoom of the augmentation (range [zoomMin, 1/zoomMin]).
  public var zoomMin = 0.75
  /// Probability that each nucleus of a training sample is dimmed, and the smallest factor
  /// (``NucleusDimming``; 0 = the reference recipe).
  public var dimmedObjectFraction = 0.0
  public var dimmedObjectMinFactor = 0.1
  /// Probability that a training sample gets pixel noise, and the noise's largest standard
  /// deviation (``PixelNoise``; 0 = the reference recipe).
  public var noisySampleFraction = 0.0
  public var noiseMaxStandardDeviation = 0.05
  /// Normalize X with histogram_normalization (unless dc-normalize did).
  public var normalize = true
  /// Intensity transform before the normalization (applied when this run normalizes; else
  /// the one the data had), recorded in the model (``ModelDescription/inputTransform``).
  public var inputTransform: IntensityTransform = .none
  /// Nucleus diameter the training images were resized to, recorded in the model.
  public var diameter: Double?
  /// Resumable state file (nil: the model path with .state.npz).
  public var statePath: String?
  /// Go on from the state file of an interrupted run.
  public var resume = false
  /// Start from the weights of this model file (fine-tuning).
  public var initialWeights: String?
  /// Batches of batch-norm recalibration after training (0: none).
  public var recalibrateBN = 0
  /// Workers of the augmentation.
  public var threads = Parallel.defaultThreads

  public init(
    input: String, output: String, architecture: PanopticNetConfiguration,
    settings: TrainingSettings
  ) {
    self.input = input
    self.output = output
    self.architecture = architecture
    self.settings = settings
  }

  /// How the run ended.
  public struct Outcome {
    /// Why training stopped.
    public var stopReason: TrainingStopReason
    /// Epochs finished (with a resumed run's earlier ones).
    public var epochs: Int
    /// Epoch of the saved best model, if any.
    public var bestEpoch: Int?
    /// val_loss of the last epoch.
    public var lastValidationLoss: Float?
  }

  /// The output path without `.npz`.
  var outputStem: String { output.hasSuffix(".npz") ? String(output.dropLast(4)) : output }

  /// The state file in use.
  public var resolvedStatePath: String { statePath ?? outputStem + ".state.npz" }

  /// The log file in use.
  public var resolvedLogPath: String { logPath ?? outputStem + ".csv" }

  /// The settings a resumed run must share with the run it resumes (the precision, the
  /// contact weighting, the dimming, the noise, the frozen backbone and the backbone's
  /// learning-rate scale only when not their defaults, so states written before they were
  /// settings still resume).
  public var resumeSettings: [String: String] {
    var recorded = [
      "input": input, "validation": validation ?? "split \(validationSplit)",
      "batch_size": "\(settings.batchSize)", "lr": "\(settings.learningRate)",
      "crop": "\(architecture.inputSize)", "zoom_min": "\(zoomMin)",
      "seed": "\(settings.seed)",
      "steps_per_epoch": settings.stepsPerEpoch.map(String.init) ?? "auto",
      "validation_steps": settings.validationSteps.map(String.init) ?? "auto",
      "normalize": normalize ? "yes" : "no",
    ]
    if settings.precision != .fp32 { recorded["precision"] = settings.precision.rawValue }
    if let transform = inputTransform.recorded { recorded["transform"] = transform }
    if settings.contactWeight > 0 {
      recorded["contact_weight"] = "\(settings.contactWeight)"
      recorded["contact_radius"] = "\(settings.contactRadius)"
    }
    if settings.freezeBackbone { recorded["freeze_backbone"] = "yes" }
    if settings.backboneLearningRateScale != 1 {
      recorded["backbone_lr_scale"] = "\(settings.backboneLearningRateScale)"
    }
    if dimmedObjectFraction > 0 {
      recorded["dim_nuclei"] = "\(dimmedObjectFraction)"
      recorded["dim_factor_min"] = "\(dimmedObjectMinFactor)"
    }
    if noisySampleFraction > 0 {
      recorded["noise_fraction"] = "\(noisySampleFraction)"
      recorded["noise_max"] = "\(noiseMaxStandardDeviation)"
    }
    return recorded
  }

  /// A batch source for `data`: augmentation for images (`training`: the seed's random
  /// transforms; else random crops only, unshuffled), the samples as they are for batches.
  /// `seed` defaults to the run's seed for training and seed + 1 for validation.
  public func source(
    _ data: TrainingDataset, training: Bool, seed: UInt64? = nil, subject: String
  ) throws -> any TrainingBatchSource {
    let crop = architecture.inputSize
    switch data {
    case .images(let x, let y):
      var augmentation = AugmentationSettings.cropOnly
      if training {
        augmentation = AugmentationSettings()
        augmentation.zoomRange = [zoomMin, 1 / zoomMin]
        augmentation.dimmedObjectFraction = dimmedObjectFraction
        augmentation.dimmedObjectMinFactor = dimmedObjectMinFactor
        augmentation.noisySampleFraction = noisySampleFraction
        augmentation.noiseMaxStandardDeviation = noiseMaxStandardDeviation
      } else {
        augmentation.shuffle = false
      }
      augmentation.cropSize = [crop, crop]
      return try AugmentationGenerator(
        images: x, labels: y, settings: augmentation,
        seed: seed ?? (training ? settings.seed : settings.seed &+ 1), threads: threads)
    case .batches(let x, let targets, let y):
      if training && dimmedObjectFraction > 0 {
        throw DeepCellError(
          .usage, "--dim-nuclei",
          "\(subject) holds finished batches; dim their nuclei when making them (dc-augment --dim-nuclei)"
        )
      }
      if training && noisySampleFraction > 0 {
        throw DeepCellError(
          .usage, "--noise-fraction",
          "\(subject) holds finished batches; add their noise when making them (dc-augment --noise-fraction)"
        )
      }
      if y == nil && settings.contactWeight > 0 {
        throw DeepCellError(
          .usage, "--contact-weight",
          "\(subject) holds finished batches without their labels (y), which the contact weights need"
        )
      }
      guard x.shape[1] == crop, x.shape[2] == crop else {
        throw DeepCellError(
          .badData, subject,
          "samples are \(x.shape[1])×\(x.shape[2]); the model input (--crop) is \(crop)×\(crop)")
      }
      return try PrecomputedBatches(
        images: x, targets: targets, labels: y, seed: seed ?? settings.seed, shuffle: training,
        subject: subject)
    }
  }

  /// The text shown beside a step's progress: loss, last val_loss, learning rate and the
  /// run's remaining time `eta` (seconds).
  public static func stepDetail(_ status: TrainingStatus, eta: Double) -> String {
    var detail = "loss \(String(format: "%.5g", status.loss))"
    if let v = status.lastValidationLoss { detail += "  val_loss \(String(format: "%.5g", v))" }
    detail += "  lr \(TrainingLog.numpyFloat32(status.learningRate))"
    return detail + "  run ETA \(clockText(eta))"
  }

  /// Trains. `step(status, detail)` follows every step (``stepDetail(_:eta:)``),
  /// `epochLogged(detail)` every epoch's log row (loss, val_loss, lr); `shouldStop` is asked
  /// after each step: when it says yes the run stops, keeps the best model and the log of
  /// the finished epochs, and returns with ``TrainingStopReason/interrupted`` (no
  /// recalibration).
  public func run(
    step: (TrainingStatus, String) -> Void = { _, _ in },
    epochLogged: (String) -> Void = { _ in }, shouldStop: () -> Bool = { false }
  ) throws -> Outcome {
    var architecture = self.architecture
    do { try architecture.validate() } catch let e as DeepCellError {
      throw DeepCellError(.usage, "architecture", e.reason)
    }
    let statePath = resolvedStatePath
    if resume, !FileManager.default.fileExists(atPath: statePath) {
      throw DeepCellError(.noInput, statePath, "no training state to resume (see --state)")
    }
    let heads = architecture.semanticClasses.count
    let normalizer =
      normalize ? StackNormalizer(inputTransform.applied(to: HistogramNormalization())) : nil
    var trainData = try TrainingDataset.read(input, normalizer: normalizer, heads: heads)
    let valData: TrainingDataset
    if let validation {
      valData = try TrainingDataset.read(validation, normalizer: normalizer, heads: heads)
    } else {
      (trainData, valData) = try trainData.split(
        fraction: validationSplit, seed: settings.seed, subject: input)
    }
    architecture.inputChannels = trainData.images.shape[3]
    var trainSource = try source(trainData, training: true, subject: input)
    var valSource = try source(valData, training: false, subject: validation ?? input)

    let network = try PanopticNet(architecture, seed: settings.seed)
    if let initialWeights {
      let (start, _) = try ModelFile.load(initialWeights, expecting: architecture)
      try network.registry.load(start.registry.exported(), strict: true, subject: initialWeights)
    }
    let trainer = PanopticTrainer(network: network, settings: settings)
    let resumeSettings = self.resumeSettings
    let resumed =
      resume ? try TrainingStateFile.load(statePath, into: trainer, settings: resumeSettings) : nil
    var description = ModelDescription(architecture: architecture)
    description.normalization = "histogram_normalization"
    description.inputTransform = inputTransform == .none ? nil : inputTransform
    description.diameter = diameter
    description.training = resumeSettings.merging(
      ["epochs": "\(settings.epochs)", "train": input]) { $1 }
    let logPath = resolvedLogPath
    var logText = ""
    let started = Date()
    let firstEpoch = resumed?.progress.nextEpoch ?? 0
    var bestEpoch = resumed?.progress.history.min { $0.logs["val_loss"]! < $1.logs["val_loss"]! }?
      .epoch
    // fit's progress parameter is optional, hence escaping; `step` does not outlive it.
    if settings.epochs > 0 {
      try withoutActuallyEscaping(step) { step in
        _ = try trainer.fit(
          train: &trainSource, validation: &valSource, resume: resumed,
          checkpoint: { epoch, val in
            description.training["best_epoch"] = "\(epoch)"
            description.training["best_val_loss"] = "\(Double(val))"
            try ModelFile.save(network, description: description, to: output)
            bestEpoch = epoch
          },
          logRow: { row in
            logText += row
            try TextOutput.write(logText, to: logPath)
            if let epoch = trainer.history.last {
              let f = { (key: String) in String(format: "%.5g", epoch.logs[key] ?? .nan) }
              epochLogged(
                "loss \(f("loss"))  val_loss \(f("val_loss"))  lr \(TrainingLog.numpyFloat32(epoch.lr))"
              )
            }
          },
          epochEnd: { progress, snapshot in
            try TrainingStateFile.save(
              trainer, progress: progress, snapshot: snapshot, settings: resumeSettings,
              to: statePath)
          },
          progress: { status in
            let done = (status.epoch - firstEpoch) * status.steps + status.step
            let left = (status.epochs - status.epoch) * status.steps - status.step
            let perStep = Date().timeIntervalSince(started) / Double(max(done, 1))
            step(status, Self.stepDetail(status, eta: perStep * Double(left)))
          },
          shouldStop: shouldStop)
      }
    }
    let outcome = Outcome(
      stopReason: trainer.stopReason, epochs: trainer.history.count, bestEpoch: bestEpoch,
      lastValidationLoss: trainer.history.last.map { $0.logs["val_loss"] ?? .nan })
    if trainer.stopReason == .interrupted { return outcome }
    if recalibrateBN > 0 {
      try recalibrate(network, description: description, trainData: trainData)
    }
    return outcome
  }

  /// Gives the best model (or, with no epochs, the initial weights) precise batch-norm
  /// statistics over ``recalibrateBN`` augmented training batches and saves it.
  func recalibrate(
    _ network: PanopticNet, description: ModelDescription, trainData: TrainingDataset
  ) throws {
    var recalibrated: PanopticNet = network
    var saved = description
    if settings.epochs > 0 {
      guard FileManager.default.fileExists(atPath: output) else {
        throw DeepCellError(.badData, output, "no model was saved: nothing to recalibrate")
      }
      (recalibrated, saved) = try ModelFile.load(output, expecting: network.configuration)
    } else if let initialWeights {
      (recalibrated, saved) = try ModelFile.load(initialWeights, expecting: network.configuration)
    }
    let calibrator = PanopticTrainer(network: recalibrated, settings: settings)
    // Training augmentation from its own seed, so the batches do not depend on where
    // training stopped.
    var stream = try source(trainData, training: true, seed: settings.seed &+ 2, subject: input)
    try calibrator.recalibrateBatchNormalization(
      &stream, batches: recalibrateBN, batchSize: settings.batchSize)
    saved.training["bn_recalibration"] = "\(recalibrateBN) batches of \(settings.batchSize)"
    try ModelFile.save(recalibrated, description: saved, to: output)
  }
}
