import ArgumentParser
import DeepCellKit
import Foundation

/// dc-train: trains a PanopticNet from DeepCell dataset NPZ files (model.md §8–§9).
struct DCTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-train",
    abstract: "Train a PanopticNet (featurenet backbone) for nuclear segmentation.",
    discussion: """
      Reads a DeepCell dataset NPZ (X images, y labels), normalizes X with DeepCell's \
      histogram_normalization (CLAHE; --no-normalize when already done), and trains as the \
      seed notebook does: on-the-fly augmentation (rotation, zoom, flips, crop), inner and \
      outer distance targets (MSE) and fgbg (0.01 × weighted cross-entropy), Adam with \
      clipnorm 0.001, lr · 0.99^epoch, ReduceLROnPlateau, EarlyStopping. The best model by \
      val_loss is written to -o after each improvement (atomically), and the Keras CSV log \
      to --log. Validation data: --validation FILE.npz, else --validation-split of X.

      An NPZ that already holds the targets (inner_distance, outer_distance, fgbg: the batches \
      dc-augment writes) is trained on as it is: no augmentation and no normalization \
      (normalize before dc-augment); its samples must be --crop pixels square.

      After every epoch the resumable state (weights, Adam moments, stream position, \
      callbacks) is written to --state (default MODEL.state.npz). Ctrl-C stops after the \
      current step, keeps the best model and the log of the finished epochs, and exits 130; \
      --resume goes on from the last finished epoch exactly as an uninterrupted run would.

      Examples:
        dc-train train.npz -o nuclear.npz --log nuclear.csv
        dc-train train.npz --validation val.npz --epochs 32 --batch-size 8 -o model.npz
        dc-train train.npz --validation val.npz -o model.npz --resume   # after Ctrl-C
        dc-augment train.npz --count 4096 --crop 256 -o batches.npz && \\
          dc-train batches.npz --validation val.npz -o model.npz
        dc-train train.npz --crop 128 --feature-size 128 --backbone-levels 3,4,5 -o small.npz
      """)

  @Argument(help: ArgumentHelp("Training NPZ with X and y.", valueName: "train.npz"))
  var input: String

  @Option(
    name: [.short, .long], help: ArgumentHelp("Model file to write (.npz).", valueName: "file"))
  var output: String

  @Option(help: ArgumentHelp("CSV log (default: the model path with .csv).", valueName: "file"))
  var log: String?

  @Option(help: ArgumentHelp("Validation NPZ with X and y.", valueName: "file"))
  var validation: String?

  @Option(
    help: ArgumentHelp(
      "Fraction of X held out for validation when no --validation.", valueName: "f"))
  var validationSplit: Double = 0.2

  @Option(help: "Epochs.") var epochs: Int = 16
  @Option(help: "Samples per step.") var batchSize: Int = 16
  @Option(help: "Initial learning rate.") var lr: Float = 1e-4
  @Option(help: "Square crop size = model input size (a power of two).") var crop: Int = 256
  @Option(help: "Smallest zoom (range [zoom-min, 1/zoom-min]).") var zoomMin: Double = 0.75
  @Option(help: "Seed of weights, split and augmentation.") var seed: UInt64 = 0
  @Option(help: "Steps per epoch (default: training samples // batch size).") var stepsPerEpoch:
    Int?
  @Option(help: "Validation steps (default: validation samples // batch size).")
  var validationSteps: Int?
  @Flag(
    help:
      "X is already normalized with histogram_normalization: skip it here (automatic for dc-normalize output). The model still expects normalized input."
  ) var noNormalize = false

  @Option(
    help: ArgumentHelp(
      "Median nucleus diameter in pixels the training images were resized to; recorded in the model so dc-predict can rescale other images to it (--diameter).",
      valueName: "d"))
  var diameter: Double?
  @Option(help: ArgumentHelp("Backbone levels feeding the FPN, e.g. 1,2,3,4,5.", valueName: "list"))
  var backboneLevels: String = "1,2,3,4,5"
  @Option(help: "FPN width.") var featureSize: Int = 256
  @Option(help: "Filters of the featurenet convolutions.") var backboneFilters: Int = 32
  @Flag(inversion: .prefixedNo, help: "Add the location channels.") var location = true

  @Option(
    help: ArgumentHelp(
      "Resumable training state written after every epoch (default: the model path with .state.npz).",
      valueName: "file"))
  var state: String?
  @Flag(help: "Go on from the state file of an interrupted run (same flags).") var resume = false
  @Option(
    help: ArgumentHelp(
      "Start from the weights of this model file (same architecture): fine-tuning.",
      valueName: "file"))
  var initialWeights: String?
  @Option(
    name: .customLong("recalibrate-bn"),
    help: ArgumentHelp(
      "After training, recompute the batch-norm statistics of the best model over this many augmented training batches (precise BN; 0 = Keras' moving averages as they are).",
      valueName: "n"))
  var recalibrateBN: Int = 0

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    if let diameter, !(diameter.isFinite && diameter > 0) {
      throw ValidationError("--diameter must be a positive number of pixels")
    }
    guard epochs >= (initialWeights == nil ? 1 : 0), batchSize >= 1 else {
      throw ValidationError(
        "--epochs and --batch-size must be ≥ 1 (--epochs 0 only with --initial-weights)")
    }
    guard recalibrateBN >= 0 else { throw ValidationError("--recalibrate-bn must be ≥ 0") }
    if epochs == 0, recalibrateBN == 0 {
      throw ValidationError("--epochs 0 does nothing without --recalibrate-bn")
    }
    guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") }
    guard validationSplit > 0, validationSplit < 1 else {
      throw ValidationError("--validation-split must lie in (0, 1)")
    }
    guard zoomMin > 0, zoomMin <= 1 else { throw ValidationError("--zoom-min must lie in (0, 1]") }
  }

  /// One input file: a DeepCell dataset (X, y) or dc-augment batches (X and the targets).
  enum Dataset {
    case images(x: NDArray, y: NDArray)
    case batches(x: NDArray, targets: [(name: String, array: NDArray)], y: NDArray?)

    var count: Int {
      switch self {
      case .images(let x, _): return x.shape[0]
      case .batches(let x, _, _): return x.shape[0]
      }
    }

    /// The samples at `indices`, in that order.
    func subset(_ indices: [Int]) -> Dataset {
      func pick(_ a: NDArray) -> NDArray { NDArray.stacking(indices.map { a.frame($0) })! }
      switch self {
      case .images(let x, let y): return .images(x: pick(x), y: pick(y))
      case .batches(let x, let t, let y):
        return .batches(x: pick(x), targets: t.map { ($0.name, pick($0.array)) }, y: y.map(pick))
      }
    }
  }

  /// The target arrays, in head order, of dc-augment batches.
  static let targetNames = [ArrayName.innerDistance, ArrayName.outerDistance, ArrayName.fgbg]

  func readDataset(_ path: String, normalizer: StackNormalizer?, heads: Int) throws -> Dataset {
    let file = try InputFile(path: path)
    guard file.arrayNames.contains(ArrayName.image) else {
      throw DeepCellError(.badData, path, "has no X array (a DeepCell dataset NPZ holds X and y)")
    }
    func stack(_ name: String) throws -> NDArray {
      let a = try file.readArray(name: name)
      guard let s = a.asStack() else {
        throw DeepCellError(.badData, "\(path): \(name)", "expected (N, H, W, C), got \(a.shape)")
      }
      guard s.shape[0] > 0 else { throw DeepCellError(.badData, "\(path): \(name)", "is empty") }
      return s
    }
    let names = Self.targetNames.prefix(heads)
    if file.arrayNames.contains(ArrayName.innerDistance) {
      guard let missing = names.first(where: { !file.arrayNames.contains($0) }) else {
        return .batches(
          x: try stack(ArrayName.image), targets: try names.map { ($0, try stack($0)) },
          y: file.arrayNames.contains(ArrayName.labels) ? try stack(ArrayName.labels) : nil)
      }
      throw DeepCellError(
        .badData, path,
        "holds inner_distance but no \(missing): not a complete dc-augment batch file")
    }
    guard file.arrayNames.contains(ArrayName.labels) else {
      throw DeepCellError(.badData, path, "has no y array: training needs labels")
    }
    var x = try stack(ArrayName.image)
    let y = try stack(ArrayName.labels)
    // X written by dc-normalize says so (StackProvenance) and is not normalized twice.
    if let normalizer, try file.provenance()?.normalization == nil {
      x = try normalizer.normalize(stack: x, subject: "\(path): X")
    }
    return .images(x: x, y: y)
  }

  /// A batch source for `data`: augmentation for images (`training`: the seed's random
  /// transforms; else random crops only, unshuffled), the samples as they are for batches.
  /// `seed` defaults to --seed for training and --seed + 1 for validation.
  func source(_ data: Dataset, training: Bool, seed: UInt64? = nil, subject: String) throws
    -> any TrainingBatchSource
  {
    switch data {
    case .images(let x, let y):
      var settings = AugmentationSettings.cropOnly
      if training {
        settings = AugmentationSettings()
        settings.zoomRange = [zoomMin, 1 / zoomMin]
      } else {
        settings.shuffle = false
      }
      settings.cropSize = [crop, crop]
      return try AugmentationGenerator(
        images: x, labels: y, settings: settings,
        seed: seed ?? (training ? self.seed : self.seed &+ 1),
        threads: runtime.workerCount)
    case .batches(let x, let targets, let y):
      guard x.shape[1] == crop, x.shape[2] == crop else {
        throw DeepCellError(
          .badData, subject,
          "samples are \(x.shape[1])×\(x.shape[2]); the model input (--crop) is \(crop)×\(crop)")
      }
      return try PrecomputedBatches(
        images: x, targets: targets, labels: y, seed: seed ?? self.seed, shuffle: training,
        subject: subject)
    }
  }

  /// Replaces the CSV log at `path` with `text` atomically, so it always holds every finished
  /// epoch and can be followed while training runs (Keras' CSVLogger appends as it goes).
  func writeLog(_ text: String, to path: String) throws {
    let file = try OutputFile(path: path, format: .npy)
    InterruptCleanup.track(file.temporaryPath)
    defer { InterruptCleanup.untrack(file.temporaryPath) }
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: file.temporaryPath))
      try file.commit()
    } catch let e as DeepCellError {
      file.abort()
      throw e
    } catch {
      file.abort()
      throw DeepCellError(
        .cannotCreate, path, "cannot write the log: \(error.localizedDescription)")
    }
  }

  /// The flags a resumed run must share with the run it resumes.
  var resumeSettings: [String: String] {
    [
      "input": input, "validation": validation ?? "split \(validationSplit)",
      "batch_size": "\(batchSize)", "lr": "\(lr)", "crop": "\(crop)", "zoom_min": "\(zoomMin)",
      "seed": "\(seed)", "steps_per_epoch": stepsPerEpoch.map(String.init) ?? "auto",
      "validation_steps": validationSteps.map(String.init) ?? "auto",
      "normalize": noNormalize ? "no" : "yes",
    ]
  }

  func run() throws {
    runtime.apply()
    var architecture = PanopticNetConfiguration()
    architecture.inputSize = crop
    architecture.location = location
    architecture.featureSize = featureSize
    architecture.backboneFilters = backboneFilters
    architecture.backboneLevels = backboneLevels.split(separator: ",").compactMap {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    do { try architecture.validate() } catch let e as DeepCellError {
      throw DeepCellError(.usage, "architecture", e.reason)
    }
    let statePath =
      state ?? (output.hasSuffix(".npz") ? String(output.dropLast(4)) : output) + ".state.npz"
    if resume, !FileManager.default.fileExists(atPath: statePath) {
      throw DeepCellError(.noInput, statePath, "no training state to resume (see --state)")
    }
    let heads = architecture.semanticClasses.count
    let normalizer = noNormalize ? nil : StackNormalizer(HistogramNormalization())
    var trainData = try readDataset(input, normalizer: normalizer, heads: heads)
    var valData: Dataset
    if let validation {
      valData = try readDataset(validation, normalizer: normalizer, heads: heads)
    } else {
      let n = trainData.count
      let held = Int((Double(n) * validationSplit).rounded())
      guard held >= 1, held < n else {
        throw DeepCellError(
          .usage, input, "\(n) image(s) cannot be split with --validation-split \(validationSplit)")
      }
      var rng = RandomGenerator(seed: seed)
      var order = Array(0..<n)
      order.shuffle(using: &rng)
      valData = trainData.subset(Array(order[0..<held]).sorted())
      trainData = trainData.subset(Array(order[held...]).sorted())
    }
    switch trainData {
    case .images(let x, _), .batches(let x, _, _): architecture.inputChannels = x.shape[3]
    }
    var trainSource = try source(trainData, training: true, subject: input)
    var valSource = try source(valData, training: false, subject: validation ?? input)

    var settings = TrainingSettings()
    settings.epochs = epochs
    settings.batchSize = batchSize
    settings.learningRate = lr
    settings.seed = seed
    settings.stepsPerEpoch = stepsPerEpoch
    settings.validationSteps = validationSteps
    let network = try PanopticNet(architecture, seed: seed)
    if let initialWeights {
      let (start, _) = try ModelFile.load(initialWeights, expecting: architecture)
      let arrays = start.registry.exported()
      try network.registry.load(arrays, strict: true, subject: initialWeights)
    }
    let trainer = PanopticTrainer(network: network, settings: settings)
    let resumed =
      resume ? try TrainingStateFile.load(statePath, into: trainer, settings: resumeSettings) : nil
    var description = ModelDescription(architecture: architecture)
    description.normalization = "histogram_normalization"
    description.diameter = diameter
    description.training = resumeSettings.merging(["epochs": "\(epochs)", "train": input]) { $1 }
    let logPath = log ?? (output.hasSuffix(".npz") ? String(output.dropLast(4)) : output) + ".csv"
    var logText = ""
    let stop = StopFlag()
    InterruptCleanup.onFirstInterrupt { stop.set() }
    let started = Date()
    let firstEpoch = resumed?.progress.nextEpoch ?? 0
    var bar: ProgressBar? = nil
    var barEpoch = -1
    var bestEpoch = resumed?.progress.history.min { $0.logs["val_loss"]! < $1.logs["val_loss"]! }?
      .epoch
    if epochs > 0 {
      try trainer.fit(
        train: &trainSource, validation: &valSource, resume: resumed,
        checkpoint: { epoch, val in
          description.training["best_epoch"] = "\(epoch)"
          description.training["best_val_loss"] = "\(Double(val))"
          try ModelFile.save(network, description: description, to: output)
          bestEpoch = epoch
        },
        logRow: { row in
          logText += row
          try writeLog(logText, to: logPath)
          if barEpoch >= 0, let epoch = trainer.history.last {
            let f = { (key: String) in String(format: "%.5g", epoch.logs[key] ?? .nan) }
            bar?.setDetail(
              "loss \(f("loss"))  val_loss \(f("val_loss"))  lr \(TrainingLog.numpyFloat32(epoch.lr))"
            )
            bar?.finish()
            barEpoch = -1
          }
        },
        epochEnd: { progress, snapshot in
          try TrainingStateFile.save(
            trainer, progress: progress, snapshot: snapshot, settings: resumeSettings,
            to: statePath)
        },
        progress: { status in
          if status.epoch != barEpoch {
            bar = ProgressBar(
              label: "epoch \(status.epoch + 1)/\(status.epochs)", total: status.steps,
              unit: "steps", quiet: runtime.quiet)
            barEpoch = status.epoch
          }
          let done = (status.epoch - firstEpoch) * status.steps + status.step
          let left = (status.epochs - status.epoch) * status.steps - status.step
          let perStep = Date().timeIntervalSince(started) / Double(max(done, 1))
          var detail = "loss \(String(format: "%.5g", status.loss))"
          if let v = status.lastValidationLoss {
            detail += "  val_loss \(String(format: "%.5g", v))"
          }
          detail += "  lr \(TrainingLog.numpyFloat32(status.learningRate))"
          detail += "  run ETA \(ProgressBar.clock(perStep * Double(left)))"
          bar?.setDetail(detail)
          bar?.advance()
        },
        shouldStop: { stop.isSet })
    }
    InterruptCleanup.onFirstInterrupt(nil)
    if trainer.stopReason == .interrupted {
      bar?.finish()
      let text =
        "dc-train: interrupted; \(trainer.history.count) epoch(s) finished, "
        + (bestEpoch.map { "best model (epoch \($0)) kept in \(output)" } ?? "no model written yet")
        + "; go on with --resume\n"
      FileHandle.standardError.write(Data(text.utf8))
      Foundation.exit(130)
    }
    if recalibrateBN > 0 {
      // The best model (or, with --epochs 0, the initial weights) gets precise BN statistics.
      var recalibrated: PanopticNet = network
      var saved = description
      if epochs > 0 {
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
      var stream = try source(trainData, training: true, seed: seed &+ 2, subject: input)
      try calibrator.recalibrateBatchNormalization(
        &stream, batches: recalibrateBN, batchSize: batchSize)
      saved.training["bn_recalibration"] = "\(recalibrateBN) batches of \(batchSize)"
      try ModelFile.save(recalibrated, description: saved, to: output)
    }
    if !runtime.quiet, let last = trainer.history.last {
      let how = trainer.stopReason == .stoppedEarly ? " (stopped early, best weights restored)" : ""
      let text =
        "dc-train: trained \(trainer.history.count) epoch(s)\(how); last val_loss \(last.logs["val_loss"] ?? .nan); best model \(output)\n"
      FileHandle.standardError.write(Data(text.utf8))
    }
  }
}

/// Set by the first Ctrl-C, read by the training loop after each step.
final class StopFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func set() { lock.withLock { value = true } }
  var isSet: Bool { lock.withLock { value } }
}

ToolRunner.main(DCTrain.self)
