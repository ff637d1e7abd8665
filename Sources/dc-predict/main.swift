import ArgumentParser
import CLI
import DeepCellKit
import Foundation

/// dc-predict: a PanopticNet model file run over an image stack (predict.md).
struct DCPredict: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-predict",
    abstract: "Predict DeepCell's inner and outer distance maps with a PanopticNet model.",
    discussion: """
      Each frame is normalized with DeepCell's histogram_normalization (CLAHE) unless it is \
      already normalized (dc-normalize records that in its output, so `dc-normalize | \
      dc-predict` gives exactly the maps of `dc-predict` alone; --normalize/--no-normalize \
      force either way; a model that records an intensity transform, such as sqrt, has it \
      applied first, and dc-normalize applies it by default too), resized so its nuclei are as large as the model's training nuclei, \
      cut into model-sized tiles with stride 0.75 of a tile, predicted in batches of \
      --batch-size tiles, blended back with spline windows and resized back: the maps \
      (float32 inner_distance and outer_distance, plus fgbg with --all-heads) are at the \
      input's resolution, so labels align with the raw image.

      Scale: --diameter D says nuclei are about D pixels across; --diameter auto (the default \
      for models that record a training diameter, like the shipped one) estimates it from a \
      first segmentation at several scales and reports it on stderr; --image-mpp uses pixel \
      sizes instead. Models without a training diameter (DeepCell's, trained at a pixel size) \
      use the pixel size the file records (ImageJ or OME-TIFF resolution in µm), else run at \
      the input's scale.

      The output NPZ records the scale used and the post-processing settings the model was \
      tuned with (member dc_tools.json); dc-watershed uses them, so `dc-predict img | \
      dc-watershed` needs no flags. Test-time mirror flips (--augment) are on when the model \
      recommends them; --no-augment turns them off.

      Without --model, the nuclear model that ships with dc-tools (models/nuclear.npz, \
      featurenet PanopticNet trained on DSB-2018 fluorescence nuclei) is used.

      Examples:
        dc-predict raw.tif | dc-watershed -o labels.tif     # the shipped model, no flags
        dc-normalize raw.tif | dc-predict -o maps.npz       # same maps as dc-predict raw.tif
        dc-predict movie.tif --diameter 40 -o maps.npz      # nuclei about 40 px across
        dc-predict raw.tif --model model.npz --image-mpp 0.325 -o maps.npz
        dc-predict raw.tif --all-heads --batch-size 8 -o maps.npz
      """)

  @OptionGroup var io: InputOutputOptions

  @Option(
    help: ArgumentHelp(
      "Model file written by dc-train (.npz) (default: the shipped nuclear model, or $DC_MODEL).",
      valueName: "file"))
  var model: String?

  @Option(
    help: ArgumentHelp("Array of an NPZ input (default: X, or the only array).", valueName: "name"))
  var array: String?

  @OptionGroup var channel: ChannelOptions

  @Flag(
    inversion: .prefixedNo,
    help:
      "Normalize the input with histogram_normalization (default: unless dc-normalize already did, or the model takes raw input)."
  )
  var normalize: Bool?

  @Option(help: IntensityTransformChoice.help(automatic: "the default: the one the model records"))
  var transform: IntensityTransformChoice = .auto

  @Option(help: ArgumentHelp("Tiles per forward pass.", valueName: "n"))
  var batchSize: Int = 4

  @OptionGroup var scale: NucleusScaleOptions

  @Option(
    help: ArgumentHelp(
      "Padding of axes longer than a tile: reflect or constant.", valueName: "mode"))
  var padMode: String = "reflect"

  @Option(help: ArgumentHelp("Tile stride as a fraction of the tile.", valueName: "r"))
  var strideRatio: Double = 0.75

  @Option(
    help: ArgumentHelp(
      "Convolution arithmetic: auto (bf16 where the CPU has native bfloat16 dot products, AVX512_BF16 or AMX, else fp32), fp32 (exact) or bf16 (bfloat16 inputs and weights, float32 sums; batch norm folded).",
      valueName: "p"))
  var precision: String = "auto"

  @Flag(help: "Also write the fgbg (foreground/background softmax) head.")
  var allHeads = false

  @Flag(
    inversion: .prefixedNo,
    help:
      "Test-time augmentation: average the predictions of the frame and its three mirror flips, four times the work (default: as the model recommends)."
  )
  var augment: Bool?

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard strideRatio > 0, strideRatio <= 1 else {
      throw ValidationError("--stride-ratio must lie in (0, 1]")
    }
    guard precision == "auto" || NNPrecision(rawValue: precision) != nil else {
      throw ValidationError("--precision must be auto, fp32 or bf16")
    }
    guard TilePadMode(rawValue: padMode) != nil else {
      throw ValidationError("--pad-mode must be reflect or constant")
    }
  }

  func run() throws {
    runtime.apply()
    let model = try self.model ?? DefaultModel.locate()
    let (network, description) = try ModelFile.load(model)
    let input = try io.openInput()
    let name = try input.imageArrayName(array)
    let subject = input.format == .npz ? "\(input.subject): \(name)" : input.subject
    let reader = try channel.apply(to: try input.stackReader(name: name), subject: subject)
    var settings = MapPredictionSettings()
    settings.heads = allHeads ? Array(network.configuration.semanticClasses.indices) : nil
    settings.batchSize = batchSize
    settings.strideRatio = strideRatio
    settings.padMode = TilePadMode(rawValue: padMode)!
    settings.precision = NNPrecision(rawValue: precision) ?? .native
    settings.testTimeFlips = augment ?? description.testTimeFlips ?? false
    if let warning = MapPredictionJob.prepareInput(
      &settings, normalizeFlag: normalize, transformFlag: transform.fixed,
      provenance: try input.provenance(), description: description), !runtime.quiet
    {
      FileHandle.standardError.write(Data("dc-predict: warning: \(warning)\n".utf8))
    }
    var job = MapPredictionJob(network: network, description: description, settings: settings)
    job.scale = try scale.scale()
    job.modelDiameter = scale.modelDiameter
    job.modelMPP = scale.modelMpp
    let output = try io.openOutput(arrayCount: job.arrayNames.count)
    let progress = ProgressBar(label: "dc-predict", total: reader.frameCount, quiet: runtime.quiet)
    let report = try job.run(reader: reader, subject: subject, output: output) {
      progress.advance(by: $0)
    }
    progress.finish()
    InterruptCleanup.untrack(output.temporaryPath)
    if !runtime.quiet {
      for line in [report.pixelSizeSummary, report.estimationSummary].compactMap({ $0 }) {
        FileHandle.standardError.write(Data("dc-predict: \(line)\n".utf8))
      }
    }
  }
}

ToolRunner.main(DCPredict.self)
