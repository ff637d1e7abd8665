import ArgumentParser
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

  @Option(help: ArgumentHelp("Random rotation range in degrees (±).", valueName: "deg"))
  var rotation: Double = 180

  @Option(
    name: .customLong("zoom-min"),
    help: ArgumentHelp("Smallest zoom; zoom is drawn per axis from [min, max].", valueName: "z"))
  var zoomMin: Double = 0.75

  @Option(
    name: .customLong("zoom-max"),
    help: ArgumentHelp("Largest zoom (default: 1/zoom-min).", valueName: "z"))
  var zoomMax: Double?

  @Flag(name: .customLong("no-horizontal-flip"), help: "No random left-right flips.")
  var noHorizontalFlip = false

  @Flag(name: .customLong("no-vertical-flip"), help: "No random up-down flips.")
  var noVerticalFlip = false

  @Flag(name: .customLong("no-flips"), help: "No random flips at all.")
  var noFlips = false

  @Option(help: ArgumentHelp("Crop size, N or ROWS,COLS.", valueName: "n|r,c"))
  var crop: String = "256"

  @Flag(name: .customLong("no-crop"), help: "Keep the whole image (no random crop).")
  var noCrop = false

  @Option(
    name: .customLong("fill-mode"),
    help: "Fill outside the image: constant, nearest, reflect or wrap.")
  var fillMode: FillMode = .nearest

  @Option(help: ArgumentHelp("Fill value for --fill-mode constant.", valueName: "v"))
  var cval: Double = 0

  @Option(
    help: ArgumentHelp(
      "Targets in output order, comma-separated: inner-distance, outer-distance, fgbg, pixelwise.",
      valueName: "list"))
  var targets: String = "inner-distance,outer-distance,fgbg"

  @Option(
    name: .customLong("inner-alpha"),
    help: ArgumentHelp("Inner-distance alpha: auto or a number.", valueName: "a"))
  var innerAlpha: String = "auto"

  @Option(
    name: .customLong("inner-beta"), help: ArgumentHelp("Inner-distance beta.", valueName: "b"))
  var innerBeta: Double = 1

  @Option(
    name: .customLong("inner-erosion"),
    help: ArgumentHelp("Inner-distance erosion width.", valueName: "px"))
  var innerErosion: Int = 0

  @Option(
    name: .customLong("outer-erosion"),
    help: ArgumentHelp("Outer-distance erosion width.", valueName: "px"))
  var outerErosion: Int = 1

  @Option(
    name: .customLong("distance-bins"),
    help: ArgumentHelp(
      "One-hot encode the distance maps into K bins (DeepCell's distance_bins).", valueName: "k"))
  var distanceBins: Int?

  @Option(
    name: .customLong("pixelwise-dilation"),
    help: ArgumentHelp("Pixelwise edge dilation radius.", valueName: "r"))
  var pixelwiseDilation: Int?

  @Flag(
    name: .customLong("separate-edge-classes"), help: "Pixelwise: four classes (two edge classes).")
  var separateEdgeClasses = false

  @Option(
    name: .customLong("min-objects"),
    help: ArgumentHelp("Fewest objects an image and a sample must show.", valueName: "n"))
  var minObjects: Int = 1

  @Option(
    name: .customLong("max-draws"),
    help: ArgumentHelp("Random transforms tried per sample; the last one is kept.", valueName: "n"))
  var maxDraws: Int = 100

  @Flag(
    name: .customLong("no-redraw"),
    help: "Keep samples with too few objects (as the reference does).")
  var noRedraw = false

  @Option(help: ArgumentHelp("Seed of every random draw.", valueName: "n"))
  var seed: UInt64 = 0

  @Flag(name: .customLong("no-shuffle"), help: "Visit the images in order in every pass.")
  var noShuffle = false

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
    _ = try cropSize()
    _ = try targetList()
  }

  /// `--crop` as (rows, columns), nil with `--no-crop`.
  func cropSize() throws -> [Int]? {
    if noCrop { return nil }
    let parts = crop.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard (1...2).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw ValidationError("--crop must be N or ROWS,COLS with positive integers, not '\(crop)'")
    }
    let values = parts.map { $0! }
    return values.count == 1 ? [values[0], values[0]] : values
  }

  /// `--targets` and their parameters.
  func targetList() throws -> [TargetTransform] {
    let alpha: InnerDistanceAlpha
    if innerAlpha.lowercased() == "auto" {
      alpha = .auto
    } else if let a = Double(innerAlpha) {
      alpha = .fixed(a)
    } else {
      throw ValidationError("--inner-alpha must be 'auto' or a number, not '\(innerAlpha)'")
    }
    return try targets.split(separator: ",").map { raw in
      switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
      case "inner-distance", "inner_distance":
        return .innerDistance(
          alpha: alpha, beta: innerBeta, erosionWidth: innerErosion, bins: distanceBins)
      case "outer-distance", "outer_distance":
        return .outerDistance(erosionWidth: outerErosion, bins: distanceBins)
      case "fgbg":
        return .fgbg
      case "pixelwise", "deepcell":
        return .pixelwise(
          dilationRadius: pixelwiseDilation, separateEdgeClasses: separateEdgeClasses)
      default:
        throw ValidationError(
          "unknown target '\(raw)' (inner-distance, outer-distance, fgbg, pixelwise)")
      }
    }
  }

  func settings() throws -> AugmentationSettings {
    var s = AugmentationSettings()
    s.rotationRange = rotation
    s.zoomRange = [zoomMin, zoomMax ?? 1 / zoomMin]
    s.horizontalFlip = !(noFlips || noHorizontalFlip)
    s.verticalFlip = !(noFlips || noVerticalFlip)
    s.cropSize = try cropSize()
    s.fillMode = fillMode
    s.cval = cval
    s.targets = try targetList()
    s.minObjects = minObjects
    s.maxDraws = maxDraws
    s.redrawSparseSamples = !noRedraw
    s.shuffle = !noShuffle
    try s.validate()
    return s
  }

  func run() throws {
    runtime.apply()
    let settings = try settings()
    let input = try io.openInput()
    if !runtime.quiet { for warning in input.warnings { warn(warning) } }
    let result =
      try targetsOnly
      ? targetsOfStack(input, settings: settings) : augmented(input, settings: settings)
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

  /// The image and label arrays: `--labels` file, else the NPZ's arrays.
  func imagesAndLabels(_ input: InputFile) throws -> (NDArray, NDArray, String) {
    if let labels {
      let labelFile = try InputFile(path: labels)
      let labelName =
        labelFile.format == .npz ? try labelFile.resolve(labelArray) : InputFile.singleArrayName
      let imageName =
        input.format == .npz ? try input.resolve(imageArray) : InputFile.singleArrayName
      return (
        try input.readArray(name: imageName), try labelFile.readArray(name: labelName),
        labelFile.subject
      )
    }
    guard input.format == .npz else {
      throw DeepCellError(
        .usage, input.subject,
        "an image stack needs its labels: give --labels FILE (or an NPZ with X and y)")
    }
    let names = input.arrayNames
    guard names.contains(imageArray), names.contains(labelArray) else {
      throw DeepCellError(
        .badData, input.subject,
        "the NPZ must hold the arrays \(imageArray) and \(labelArray) (it has \(names.joined(separator: ", ")))"
      )
    }
    return (
      try input.readArray(name: imageArray), try input.readArray(name: labelArray), input.subject
    )
  }

  /// Augmented samples: `--count`, or `--epochs` passes (default one).
  func augmented(_ input: InputFile, settings: AugmentationSettings) throws -> (
    bundle: ArrayBundle, preview: AugmentedBatch?
  ) {
    let (images, labels, labelSubject) = try imagesAndLabels(input)
    var generator: AugmentationGenerator
    do {
      generator = try AugmentationGenerator(
        images: images, labels: labels, settings: settings, seed: seed, threads: runtime.workerCount
      )
    } catch let error as DeepCellError
      where error.subject == ArrayName.labels || error.subject == ArrayName.image
    {
      throw error.about(
        "\(error.subject == ArrayName.labels ? labelSubject : input.subject): \(error.subject)")
    }
    let total = count ?? (epochs ?? 1) * generator.sampleCount
    let progress = ProgressBar(
      label: "dc-augment", total: total, unit: "samples", quiet: runtime.quiet)
    let chunk = max(runtime.workerCount * 4, 16)
    var parts: [AugmentedBatch] = []
    var done = 0
    while done < total {
      let n = min(chunk, total - done)
      do {
        parts.append(try generator.nextSamples(n))
      } catch let error as DeepCellError where error.subject == ArrayName.labels {
        throw error.about("\(labelSubject): \(error.subject)")
      }
      done += n
      progress.advance(by: n)
    }
    progress.finish()
    let batch = AugmentedBatch.concatenating(parts)!
    return (batch.bundle, batch)
  }

  /// `--targets-only`: the targets of the whole label stack, after the input's arrays; the
  /// preview batch (full-stack float32 and int32 copies of the labels) only with --preview.
  func targetsOfStack(_ input: InputFile, settings: AugmentationSettings) throws -> (
    bundle: ArrayBundle, preview: AugmentedBatch?
  ) {
    var bundle: ArrayBundle
    var labels: NDArray
    var subject = input.subject
    if let labelsPath = self.labels {
      let labelFile = try InputFile(path: labelsPath)
      labels = try labelFile.readArray(
        name: labelFile.format == .npz ? try labelFile.resolve(labelArray) : nil)
      subject = labelFile.subject
      bundle = try input.readBundle()
      if input.format != .npz, let only = bundle[InputFile.singleArrayName] {
        bundle = ArrayBundle([(ArrayName.image, only)])
      }
      bundle[ArrayName.labels] = labels
    } else if input.format == .npz {
      bundle = try input.readBundle()
      guard let y = bundle[labelArray] else {
        throw DeepCellError(
          .badData, input.subject,
          "the NPZ has no label array \(labelArray) (it has \(input.arrayNames.joined(separator: ", ")))"
        )
      }
      labels = y
    } else {
      labels = try input.readArray()
      bundle = ArrayBundle([(ArrayName.labels, labels)])
    }
    var preview: [(String, NDArray)] = []
    for target in settings.targets {
      let map: NDArray
      do {
        map = try target.apply(to: labels, threads: runtime.workerCount)
      } catch let error as DeepCellError {
        throw error.about("\(subject): \(labelArray)")
      }
      bundle[target.arrayName] = map
      preview.append((target.arrayName, map))
    }
    guard self.preview != nil else { return (bundle, nil) }
    let first = preview.first!.1
    let images =
      bundle[ArrayName.image].flatMap { $0.asStack() }.flatMap {
        $0.shape.prefix(3) == first.shape.prefix(3) ? $0.converted(to: .float32) : nil
      } ?? labels.asStack()!.converted(to: .float32)
    let batch = AugmentedBatch(
      images: images, targets: preview, labels: labels.asStack()!.converted(to: .int32),
      sourceIndices: Array(0..<first.shape[0]))
    return (bundle, batch)
  }

  func warn(_ text: String) {
    FileHandle.standardError.write(Data("dc-augment: warning: \(text)\n".utf8))
  }
}

extension FillMode: ExpressibleByArgument {}

ToolRunner.main(DCAugment.self)
