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

      Examples:
        dc-train train.npz -o nuclear.npz --log nuclear.csv
        dc-train train.npz --validation val.npz --epochs 32 --batch-size 8 -o model.npz
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
  @Flag(help: "X is already normalized: skip histogram normalization.") var noNormalize = false
  @Option(help: ArgumentHelp("Backbone levels feeding the FPN, e.g. 1,2,3,4,5.", valueName: "list"))
  var backboneLevels: String = "1,2,3,4,5"
  @Option(help: "FPN width.") var featureSize: Int = 256
  @Option(help: "Filters of the featurenet convolutions.") var backboneFilters: Int = 32
  @Flag(inversion: .prefixedNo, help: "Add the location channels.") var location = true

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    guard epochs >= 1, batchSize >= 1 else {
      throw ValidationError("--epochs and --batch-size must be ≥ 1")
    }
    guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") }
    guard validationSplit > 0, validationSplit < 1 else {
      throw ValidationError("--validation-split must lie in (0, 1)")
    }
    guard zoomMin > 0, zoomMin <= 1 else { throw ValidationError("--zoom-min must lie in (0, 1]") }
  }

  func readDataset(_ path: String, normalizer: StackNormalizer?) throws -> (NDArray, NDArray) {
    let file = try InputFile(path: path)
    guard file.arrayNames.contains(ArrayName.image) else {
      throw DeepCellError(.badData, path, "has no X array (a DeepCell dataset NPZ holds X and y)")
    }
    guard file.arrayNames.contains(ArrayName.labels) else {
      throw DeepCellError(.badData, path, "has no y array: training needs labels")
    }
    var x = try file.readArray(name: ArrayName.image)
    let y = try file.readArray(name: ArrayName.labels)
    if let normalizer { x = try normalizer.normalize(stack: x, subject: "\(path): X") }
    return (x, y)
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
    let normalizer = noNormalize ? nil : StackNormalizer(HistogramNormalization())
    var (x, y) = try readDataset(input, normalizer: normalizer)
    guard let stack = x.asStack() else {
      throw DeepCellError(.badData, "\(input): X", "expected (N, H, W, C), got \(x.shape)")
    }
    architecture.inputChannels = stack.shape[3]
    x = stack
    var xv: NDArray
    var yv: NDArray
    if let validation {
      (xv, yv) = try readDataset(validation, normalizer: normalizer)
    } else {
      let n = x.shape[0]
      let held = Int((Double(n) * validationSplit).rounded())
      guard held >= 1, held < n else {
        throw DeepCellError(
          .usage, input, "\(n) image(s) cannot be split with --validation-split \(validationSplit)")
      }
      var rng = RandomGenerator(seed: seed)
      var order = Array(0..<n)
      order.shuffle(using: &rng)
      let val = Array(order[0..<held]).sorted()
      let train = Array(order[held...]).sorted()
      guard let ys = y.asStack() else {
        throw DeepCellError(.badData, "\(input): y", "expected (N, H, W, 1), got \(y.shape)")
      }
      xv = NDArray.stacking(val.map { x.frame($0) })!
      yv = NDArray.stacking(val.map { ys.frame($0) })!
      x = NDArray.stacking(train.map { x.frame($0) })!
      y = NDArray.stacking(train.map { ys.frame($0) })!
    }
    var trainSettings = AugmentationSettings()
    trainSettings.cropSize = [crop, crop]
    trainSettings.zoomRange = [zoomMin, 1 / zoomMin]
    var valSettings = AugmentationSettings.cropOnly
    valSettings.cropSize = [crop, crop]
    valSettings.shuffle = false
    var trainGen = try AugmentationGenerator(
      images: x, labels: y, settings: trainSettings, seed: seed, threads: runtime.workerCount)
    var valGen = try AugmentationGenerator(
      images: xv, labels: yv, settings: valSettings, seed: seed &+ 1, threads: runtime.workerCount)

    var settings = TrainingSettings()
    settings.epochs = epochs
    settings.batchSize = batchSize
    settings.learningRate = lr
    settings.seed = seed
    settings.stepsPerEpoch = stepsPerEpoch
    settings.validationSteps = validationSteps
    let network = try PanopticNet(architecture, seed: seed)
    let trainer = PanopticTrainer(network: network, settings: settings)
    var description = ModelDescription(architecture: architecture)
    description.normalization = noNormalize ? "none" : "histogram_normalization"
    description.training = [
      "epochs": "\(epochs)", "batch_size": "\(batchSize)", "lr": "\(lr)", "crop": "\(crop)",
      "zoom_min": "\(zoomMin)", "seed": "\(seed)", "train": input,
      "validation": validation ?? "split \(validationSplit)",
    ]
    let logPath = log ?? (output.hasSuffix(".npz") ? String(output.dropLast(4)) : output) + ".csv"
    let logOutput = try OutputFile(path: logPath, format: .npy)
    InterruptCleanup.track(logOutput.temporaryPath)
    guard let logHandle = FileHandle(forWritingAtPath: logOutput.temporaryPath) else {
      throw DeepCellError(.cannotCreate, logPath, "cannot write the log")
    }
    let steps = settings.stepsPerEpoch ?? max(1, trainGen.sampleCount / batchSize)
    var bar: ProgressBar? = nil
    var barEpoch = -1
    do {
      try trainer.fit(
        train: &trainGen, validation: &valGen,
        checkpoint: { epoch, val in
          description.training["best_epoch"] = "\(epoch)"
          description.training["best_val_loss"] = "\(Double(val))"
          try ModelFile.save(network, description: description, to: output)
        },
        logRow: { row in
          try logHandle.write(contentsOf: Data(row.utf8))
          if barEpoch >= 0 { bar?.finish() }
        },
        progress: { epoch, step, loss in
          if epoch != barEpoch {
            bar = ProgressBar(
              label: "epoch \(epoch + 1)/\(epochs)", total: steps, quiet: runtime.quiet)
            barEpoch = epoch
          }
          bar?.advance()
          _ = loss
        })
      try logHandle.close()
      try logOutput.commit()
      InterruptCleanup.untrack(logOutput.temporaryPath)
    } catch {
      try? logHandle.close()
      try? logOutput.commit()  // keep the log of the epochs that ran
      throw error
    }
    if !runtime.quiet, let last = trainer.history.last {
      let text =
        "dc-train: trained \(trainer.history.count) epoch(s); last val_loss \(last.logs["val_loss"] ?? .nan); model \(output)\n"
      FileHandle.standardError.write(Data(text.utf8))
    }
  }
}

ToolRunner.main(DCTrain.self)
