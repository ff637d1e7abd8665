/// A dc-augment run (augment.md): augmented samples and their DeepCell targets drawn from
/// an image stack and its labels (``AugmentationGenerator``), or, with ``targetsOnly``, the
/// targets of the whole label stack beside the input's arrays. The output is built in memory
/// and returned as one ``ArrayBundle`` with the batch the preview montage is drawn from.
public struct AugmentationRun {
  /// Augmentation and target settings.
  public var settings: AugmentationSettings
  /// A label stack paired with the image input (nil: the NPZ's ``labelArray``).
  public var labelsPath: String?
  /// The image array of an NPZ input.
  public var imageArray = ArrayName.image
  /// The label array of an NPZ input (or of the ``labelsPath`` NPZ).
  public var labelArray = ArrayName.labels
  /// Samples to write (nil: ``epochs`` passes).
  public var count: Int?
  /// Passes over the images (nil with no ``count``: one).
  public var epochs: Int?
  /// Seed of every random draw.
  public var seed: UInt64 = 0
  /// No augmentation: the targets of the whole label stack.
  public var targetsOnly = false
  /// Workers; the output is identical for any value.
  public var threads = Parallel.defaultThreads
  /// Whether the caller draws a preview: with ``targetsOnly``, the preview batch (full-stack
  /// float32 and int32 copies of the labels) is built only then.
  public var wantsPreview = true

  public init(settings: AugmentationSettings) { self.settings = settings }

  /// Runs on `input`: `start(total)` once with the number of samples, `progress(n)` after
  /// each chunk of `n` samples (augmentation only).
  public func run(
    _ input: InputFile, start: (Int) -> Void = { _ in }, progress: (Int) -> Void = { _ in }
  ) throws -> (bundle: ArrayBundle, preview: AugmentedBatch?) {
    try targetsOnly ? targetsOfStack(input) : augmented(input, start: start, progress: progress)
  }

  /// The image and label arrays: `--labels` file, else the NPZ's arrays.
  func imagesAndLabels(_ input: InputFile) throws -> (NDArray, NDArray, String) {
    if let labelsPath {
      let labelFile = try InputFile(path: labelsPath)
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
  func augmented(_ input: InputFile, start: (Int) -> Void, progress: (Int) -> Void) throws
    -> (bundle: ArrayBundle, preview: AugmentedBatch)
  {
    let (images, labels, labelSubject) = try imagesAndLabels(input)
    var generator: AugmentationGenerator
    do {
      generator = try AugmentationGenerator(
        images: images, labels: labels, settings: settings, seed: seed, threads: threads
      )
    } catch let error as DeepCellError
      where error.subject == ArrayName.labels || error.subject == ArrayName.image
    {
      throw error.about(
        "\(error.subject == ArrayName.labels ? labelSubject : input.subject): \(error.subject)")
    }
    let total = count ?? (epochs ?? 1) * generator.sampleCount
    start(total)
    let chunk = max(threads * 4, 16)
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
      progress(n)
    }
    let batch = AugmentedBatch.concatenating(parts)!
    return (batch.bundle, batch)
  }

  /// `--targets-only`: the targets of the whole label stack, after the input's arrays; the
  /// preview batch only when ``wantsPreview``.
  func targetsOfStack(_ input: InputFile) throws -> (
    bundle: ArrayBundle, preview: AugmentedBatch?
  ) {
    var bundle: ArrayBundle
    var labels: NDArray
    var subject = input.subject
    if let labelsPath {
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
        map = try target.apply(to: labels, threads: threads)
      } catch let error as DeepCellError {
        throw error.about("\(subject): \(labelArray)")
      }
      bundle[target.arrayName] = map
      preview.append((target.arrayName, map))
    }
    guard wantsPreview else { return (bundle, nil) }
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
}
