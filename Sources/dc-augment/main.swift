import ArgumentParser
import CLI
import DeepCellKit
import Foundation

/// dc-augment: DeepCell's training targets and seeded augmentation (augment.md).
struct DCAugment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-augment",
    abstract: "Make augmented training samples and their DeepCell targets from images and labels.",
    discussion: """
      Reads a DeepCell dataset (an NPZ with X, the images, and y, the instance labels) or \
      an image stack plus a label stack given with --labels, and writes an NPZ with X and \
      the targets inner_distance, outer_distance and fgbg (and y, the labels warped the \
      same way) — what DeepCell's CroppingDataGenerator feeds a PanopticNet.

      Each sample: the targets are computed on the whole label image, then image and \
      targets get the same random crop, rotation, per-axis zoom and flips (bilinear for the \
      image and the distance maps, nearest for fgbg and labels; fill 'nearest' by \
      default). Images with fewer than --min-objects objects are dropped once; a sample \
      that shows fewer objects after cropping is redrawn, at most --max-draws times, then \
      the last draw is kept as it is. The defaults are the DeepCell nuclear notebook's: \
      rotation 180, zoom 0.75 to 1/0.75, both flips, 256x256 crops, outer-distance \
      erosion 1, inner-distance alpha auto, beta 1, no erosion, min objects 1, seed 0.

      --seed makes the output identical bit for bit on every run and for every --threads. \
      The random sequence is dc-tools' own (xoshiro256**), not numpy's, so the samples \
      are not the reference's samples. --targets-only skips the augmentation and writes \
      the targets of the whole label stack beside the input arrays.

      The output is built in memory (--count samples at the crop size) and written \
      atomically: after an error nothing is written.

      Examples:
        dc-augment train.npz -o train-aug.npz
        dc-augment train.npz --count 512 --seed 7 -o aug.npz --preview aug.png
        dc-augment images.tif --labels labels.tif --crop 128 --epochs 4 -o aug.npz
        dc-augment train.npz --rotation 0 --zoom-min 1 --no-flips --crop 256 -o crops.npz
        dc-augment labels.tif --targets-only -o targets.npz
        dc-normalize train.npz | dc-augment --count 64 > aug.npz
      """)

  @OptionGroup var io: InputOutputOptions

  @Option(
    help: ArgumentHelp(
      "Label stack to pair with the image input (default: y of the input NPZ).", valueName: "file"))
  var labels: String?

  @Option(
    name: .customLong("image-array"),
    help: ArgumentHelp("Image array of an NPZ input.", valueName: "name"))
  var imageArray: String = ArrayName.image

  @Option(
    name: .customLong("label-array"),
    help: ArgumentHelp("Label array of an NPZ input.", valueName: "name"))
  var labelArray: String = ArrayName.labels

  @Option(help: ArgumentHelp("Samples to write (default: one pass, --epochs 1).", valueName: "n"))
  var count: Int?

  @Option(
    help: ArgumentHelp(
      "Passes over the images to write (each a fresh random order).", valueName: "e"))
  var epochs: Int?

  @OptionGroup var augmentation: AugmentationOptions

  @Flag(
    name: .customLong("targets-only"),
    help: "No augmentation, no crop: the targets of the whole label stack.")
  var targetsOnly = false

  @Option(
    help: ArgumentHelp(
      "Also write a PNG montage of the first samples: image and each target.", valueName: "png"))
  var preview: String?

  @Option(
    name: .customLong("preview-samples"),
    help: ArgumentHelp("Samples (rows) in the preview.", valueName: "n"))
  var previewSamples: Int = 4

  @Flag(help: "Deflate-compress the output NPZ.")
  var compress = false

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    if count != nil && epochs != nil { throw ValidationError("give --count or --epochs, not both") }
    if let count, count < 1 { throw ValidationError("--count must be at least 1, not \(count)") }
    if let epochs, epochs < 1 {
      throw ValidationError("--epochs must be at least 1, not \(epochs)")
    }
    if previewSamples < 1 { throw ValidationError("--preview-samples must be at least 1") }
  }

  func run() throws {
    runtime.apply()
    var job = AugmentationRun(settings: try augmentation.settings())
    job.labelsPath = labels
    job.imageArray = imageArray
    job.labelArray = labelArray
    job.count = count
    job.epochs = epochs
    job.seed = augmentation.seed
    job.targetsOnly = targetsOnly
    job.threads = runtime.workerCount
    job.wantsPreview = preview != nil
    let input = try io.openInput()
    if !runtime.quiet { for warning in input.warnings { warn(warning) } }
    var progress: ProgressBar?
    let result = try job.run(
      input,
      start: {
        progress = ProgressBar(
          label: "dc-augment", total: $0, unit: "samples", quiet: runtime.quiet)
      }, progress: { progress?.advance(by: $0) })
    progress?.finish()
    if let preview, let batch = result.preview {
      let file = try OutputFile(path: preview, format: .png)
      InterruptCleanup.track(file.temporaryPath)
      try writeBundle(
        ArrayBundle([
          ("preview", AugmentationPreview.montage(batch, maxSamples: previewSamples))
        ]), to: file)
      InterruptCleanup.untrack(file.temporaryPath)
    }
    let output = try io.openOutput(arrayCount: result.bundle.entries.count)
    try writeBundle(result.bundle, to: output, compressed: compress)
    InterruptCleanup.untrack(output.temporaryPath)
  }

  func warn(_ text: String) {
    FileHandle.standardError.write(Data("dc-augment: warning: \(text)\n".utf8))
  }
}

ToolRunner.main(DCAugment.self)
