import ArgumentParser
import CLI
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

  @OptionGroup var training: TrainingOptions

  @OptionGroup var network: ArchitectureOptions

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
    guard training.epochs >= (initialWeights == nil ? 1 : 0), training.batchSize >= 1 else {
      throw ValidationError(
        "--epochs and --batch-size must be ≥ 1 (--epochs 0 only with --initial-weights)")
    }
    guard recalibrateBN >= 0 else { throw ValidationError("--recalibrate-bn must be ≥ 0") }
    if training.freezeBackbone, initialWeights == nil {
      throw ValidationError("--freeze-backbone needs --initial-weights (the features to keep)")
    }
    if training.epochs == 0, recalibrateBN == 0 {
      throw ValidationError("--epochs 0 does nothing without --recalibrate-bn")
    }
  }

  func run() throws {
    runtime.apply()
    var job = TrainingRun(
      input: input, output: output,
      architecture: network.configuration(inputSize: training.crop), settings: training.settings)
    job.logPath = log
    job.validation = validation
    job.validationSplit = training.validationSplit
    job.zoomMin = training.zoomMin
    job.dimmedObjectFraction = training.dimming.dimNuclei
    job.dimmedObjectMinFactor = training.dimming.dimFactorMin
    job.noisySampleFraction = training.noise.noiseFraction
    job.noiseMaxStandardDeviation = training.noise.noiseMax
    job.normalize = !training.noNormalize
    job.inputTransform = training.transform
    job.diameter = training.diameter
    job.statePath = state
    job.resume = resume
    job.initialWeights = initialWeights
    job.recalibrateBN = recalibrateBN
    job.threads = runtime.workerCount
    let stop = StopFlag()
    InterruptCleanup.onFirstInterrupt { stop.set() }
    var bar: ProgressBar? = nil
    var barEpoch = -1
    let outcome = try job.run(
      step: { status, detail in
        if status.epoch != barEpoch {
          bar = ProgressBar(
            label: "epoch \(status.epoch + 1)/\(status.epochs)", total: status.steps,
            unit: "steps", quiet: runtime.quiet)
          barEpoch = status.epoch
        }
        bar?.setDetail(detail)
        bar?.advance()
      },
      epochLogged: { detail in
        guard barEpoch >= 0 else { return }
        bar?.setDetail(detail)
        bar?.finish()
        barEpoch = -1
      }, shouldStop: { stop.isSet })
    InterruptCleanup.onFirstInterrupt(nil)
    if outcome.stopReason == .interrupted {
      bar?.finish()
      let text =
        "dc-train: interrupted; \(outcome.epochs) epoch(s) finished, "
        + (outcome.bestEpoch.map { "best model (epoch \($0)) kept in \(output)" }
          ?? "no model written yet") + "; go on with --resume\n"
      FileHandle.standardError.write(Data(text.utf8))
      Foundation.exit(130)
    }
    if !runtime.quiet, let last = outcome.lastValidationLoss {
      let how = outcome.stopReason == .stoppedEarly ? " (stopped early, best weights restored)" : ""
      let text =
        "dc-train: trained \(outcome.epochs) epoch(s)\(how); last val_loss \(last); best model \(output)\n"
      FileHandle.standardError.write(Data(text.utf8))
    }
  }
}

ToolRunner.main(DCTrain.self)
