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
      first segmentation at several scales of the stack's first frame (or, if that one shows \
      no nuclei, of the first with nuclei among up to 8 frames spread over the stack) and \
      reports it on stderr; one scale serves the whole stack; --image-mpp uses pixel \
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

  @OptionGroup var prediction: PredictionOptions

  @OptionGroup var scale: NucleusScaleOptions

  @OptionGroup var runtime: RuntimeOptions

  func run() throws {
    runtime.apply()
    let (network, description) = try ModelFile.load(try model ?? DefaultModel.locate())
    let input = try io.openInput()
    let name = try input.imageArrayName(array)
    let subject = input.format == .npz ? "\(input.subject): \(name)" : input.subject
    let reader = try channel.apply(to: try input.stackReader(name: name), subject: subject)
    let (settings, warning) = prediction.settings(
      network: network, description: description, provenance: try input.provenance())
    if let warning, !runtime.quiet { report("warning: \(warning)") }
    var job = MapPredictionJob(network: network, description: description, settings: settings)
    job.scale = try scale.scale()
    job.modelDiameter = scale.modelDiameter
    job.modelMPP = scale.modelMpp
    let output = try io.openOutput(arrayCount: job.arrayNames.count)
    let progress = ProgressBar(label: "dc-predict", total: reader.frameCount, quiet: runtime.quiet)
    let outcome = try job.run(reader: reader, subject: subject, output: output) {
      progress.advance(by: $0)
    }
    progress.finish()
    InterruptCleanup.untrack(output.temporaryPath)
    if !runtime.quiet {
      [
        prediction.flipsSummary(description: description), outcome.pixelSizeSummary,
        outcome.estimationSummary,
      ].compactMap { $0 }.forEach(report)
    }
  }

  func report(_ line: String) {
    FileHandle.standardError.write(Data("dc-predict: \(line)\n".utf8))
  }
}

ToolRunner.main(DCPredict.self)
