import ArgumentParser
import DeepCellKit
import Foundation

/// dc-normalize: DeepCell's image pre-processing (normalize.md) as a streaming filter.
struct DCNormalize: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-normalize",
    abstract: "Normalize image stacks per frame and channel (DeepCell's CLAHE by default).",
    discussion: """
      Every (frame, channel) plane is normalized on its own and written as float32 with the \
      input's shape. The default method is DeepCell's histogram_normalization: min-max \
      rescaling, then contrast-limited adaptive histogram equalization (CLAHE) as \
      scikit-image computes it, with contextual regions of 1/8 of the frame unless \
      --kernel-size is given; a constant plane becomes zeros. 'zscore' subtracts the mean \
      and divides by the standard deviation plus 1e-7 (deepcell_toolbox.processing.normalize); \
      'percentile' clips values above the given percentile of the nonzero pixels \
      (percentile_threshold).

      The output records the normalization it applied (a dc_tools entry in the TIFF's ImageJ \
      description, a dc_tools.json member in an NPZ), so dc-predict and dc-train do not \
      normalize it again.

      In an NPZ the image array X (or --array NAME, or the only array) is normalized and \
      every other array, e.g. the labels y, is copied unchanged. Frames are processed a \
      few at a time, so memory stays flat however long the stack is. NaN or infinite \
      pixels are an error (exit 65).

      Examples:
        dc-normalize raw.tif -o norm.tif
        dc-normalize train.npz -o train-norm.npz     # y passes through
        cat raw.tif | dc-normalize > norm.tif
        dc-normalize nuclei.png --channel 0 -o norm.tif  # grey of an RGB(A) PNG
        dc-normalize raw.tif --kernel-size 64 -o norm.tif
        dc-normalize raw.tif --kernel-size 32,48 --threads 4 -o norm.npy
        dc-normalize --method percentile --percentile 99.5 raw.tif -o clipped.tif
        dc-normalize --method zscore --array X data.npz -o data-z.npz
      """)

  /// The normalization methods (normalize.md §2).
  enum Method: String, ExpressibleByArgument, CaseIterable {
    case clahe, zscore, percentile
  }

  @OptionGroup var io: InputOutputOptions

  @Option(help: "Normalization: clahe (DeepCell's histogram_normalization), zscore or percentile.")
  var method: Method = .clahe

  @Option(
    name: .customLong("kernel-size"),
    help: ArgumentHelp(
      "CLAHE contextual region size, K or KH,KW (default: frame height/8, width/8).",
      valueName: "k|kh,kw"))
  var kernelSize: KernelSize?

  @Option(
    help: ArgumentHelp(
      "Percentile of the nonzero pixels to clip at (percentile method).", valueName: "p"))
  var percentile: Double = 99.9

  @Option(help: ArgumentHelp("Added to the standard deviation (zscore method).", valueName: "eps"))
  var epsilon: Double = 1e-7

  @Option(
    help: ArgumentHelp(
      "Array of an NPZ input to normalize (default: X, or the only array).", valueName: "name"))
  var array: String?

  @OptionGroup var channel: ChannelOptions

  @Flag(help: "Deflate-compress the output (TIFF and NPZ).")
  var compress = false

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    if method != .clahe, kernelSize != nil {
      throw ValidationError("--kernel-size applies to the clahe method only")
    }
    guard percentile >= 0, percentile <= 100 else {
      throw ValidationError("--percentile must lie in [0, 100], not \(percentile)")
    }
    guard epsilon.isFinite, epsilon >= 0 else {
      throw ValidationError("--epsilon must be a finite number ≥ 0, not \(epsilon)")
    }
  }

  /// The per-plane normalization the options select.
  var normalization: any PlaneNormalization {
    switch method {
    case .clahe: return HistogramNormalization(kernelSize: kernelSize)
    case .zscore: return ZScoreNormalization(epsilon: epsilon)
    case .percentile: return PercentileNormalization(percentile: percentile)
    }
  }

  func run() throws {
    runtime.apply()
    let input = try io.openInput()
    if !runtime.quiet {
      for warning in input.warnings { warn(warning) }
    }
    let name = try imageArrayName(in: input)
    let subject = input.format == .npz ? "\(input.subject): \(name)" : input.subject
    let reader = try channel.apply(to: try input.stackReader(name: name), subject: subject)
    guard reader.frameCount > 0 else {
      throw DeepCellError(.badData, subject, "the stack has no frames")
    }

    // Arrays other than the image pass through unchanged (NPZ input only).
    var passThrough = ArrayBundle()
    for other in input.arrayNames where other != name {
      passThrough[other] = try input.readArray(name: other)
    }
    let outputName = input.format == .npz ? name : ArrayName.image
    let output = try io.openOutput(arrayCount: passThrough.entries.count + 1)
    let writer = try makeStackWriter(
      output, name: outputName, dtype: .float32, frameShape: reader.frameShape,
      frameCount: reader.frameCount, passThrough: passThrough, compressed: compress,
      provenance: StackProvenance(normalization: method.rawValue, tool: "dc-normalize"))
    do {
      try normalizeStream(reader, into: writer, subject: subject)
      try writer.finish()
      InterruptCleanup.untrack(output.temporaryPath)
    } catch {
      writer.abort()
      throw error
    }
  }

  /// Reads, normalizes and writes the frames in batches of a bounded size: at least one
  /// frame per worker, else as many as fit in 16 MiB (at most 64).
  func normalizeStream(_ reader: StackReader, into writer: StackWriter, subject: String) throws {
    let normalizer = StackNormalizer(normalization)
    let frameBytes = max(1, reader.frameShape.reduce(1, *) * 4)
    let batch = max(runtime.workerCount, min(64, (16 << 20) / frameBytes))
    let progress = ProgressBar(
      label: "dc-normalize", total: reader.frameCount, quiet: runtime.quiet)
    var start = 0
    while start < reader.frameCount {
      let end = min(reader.frameCount, start + batch)
      let frames = try (start..<end).map { try reader.readFrame($0) }
      let normalized = try normalizer.normalize(
        frames: frames, subject: subject, firstFrameIndex: start)
      for frame in normalized { try writer.append(frame) }
      progress.advance(by: end - start)
      start = end
    }
    progress.finish()
  }

  /// `--array`, else `X`, else the only array; an NPZ with several arrays and no `X` needs
  /// `--array`.
  func imageArrayName(in input: InputFile) throws -> String {
    if let array { return try input.resolve(array) }
    let names = input.arrayNames
    if names.contains(ArrayName.image) { return ArrayName.image }
    if names.count == 1 { return names[0] }
    throw DeepCellError(
      .badData, input.subject,
      names.isEmpty
        ? "holds no arrays"
        : "no array 'X' (arrays: \(names.joined(separator: ", "))); choose one with --array")
  }

  func warn(_ text: String) {
    FileHandle.standardError.write(Data("dc-normalize: warning: \(text)\n".utf8))
  }
}

extension KernelSize: ExpressibleByArgument {
  public init?(argument: String) { self.init(parsing: argument) }
}

ToolRunner.main(DCNormalize.self)
