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

      Conversion: '--method none' copies the pixels unchanged (dtype kept unless --dtype), \
      and with any method --frames (or --z and --t of a hyperstack) selects frames, --split \
      writes one file a frame, and a \
      folder or a quoted glob as input reads its files (natural order) as one stack. \
      Narrowing --dtype refuses values that do not fit (exit 65) unless --rescale maps the \
      stack's min-max (or --percentiles) onto the type's range. Pixel size and OME Z slices \
      travel to TIFF, OME-TIFF and NPZ outputs (NPZ: array pixel_size_um, y and x in µm).
        dc-normalize --method none stack.ome.tif -o train.npz
        dc-normalize --method none stack.tif --split frames/ --pattern 't{:03d}.png'
        dc-normalize --method none 01/ -o 01.tif          # t000.tif, t001.tif … as one stack
        dc-normalize --method none 'pngs/*.png' -o stack.ome.tif
        dc-normalize --method none hyper.tif --channel 1 --frames 0:100:2 -o c1.tif
        dc-normalize --method none tzcyx.ome.tif --z 3 --t 0,1 -o z3.tif
        dc-normalize --method none raw16.tif --dtype uint8 --rescale --percentiles 1,99.8 -o view.tif
      """)

  /// The normalization methods (normalize.md §2), and `none` for plain conversion.
  enum Method: String, ExpressibleByArgument, CaseIterable {
    case clahe, zscore, percentile, none
  }

  /// The dtypes `--dtype` converts to.
  enum OutputType: String, ExpressibleByArgument, CaseIterable {
    case uint8, uint16, int32, float32
  }

  @OptionGroup var io: InputOutputOptions

  @Option(
    help:
      "Normalization: clahe (DeepCell's histogram_normalization), zscore, percentile, or none (convert only)."
  )
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

  @Option(help: "Output dtype with --method none (default: the input's).")
  var dtype: OutputType?

  @Flag(
    help:
      "Map the stack's min-max (or --percentiles) onto the output dtype's range (0-1 for float32).")
  var rescale = false

  @Option(
    help: ArgumentHelp(
      "Rescale from the LOW-th to the HIGH-th percentile of the stack instead of min-max.",
      valueName: "low,high"))
  var percentiles: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Frames to keep, Python slice syntax START:STOP:STEP or one index (e.g. 0:100:2, -1).",
      valueName: "slice"))
  var frames: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Z slices of a hyperstack to keep (ImageJ slices, OME-TIFF SizeZ), 0-based, comma separated.",
      valueName: "list"))
  var z: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Time points of a hyperstack to keep, 0-based, comma separated (each with its Z slices).",
      valueName: "list"))
  var t: String?

  @Option(
    help: ArgumentHelp(
      "Write one file a frame into this folder (named by --pattern) instead of -o.",
      valueName: "dir"))
  var split: String?

  @Option(
    help: ArgumentHelp(
      "File names for --split, one {} / {:03d} field for the frame number; the extension picks the format.",
      valueName: "pattern"))
  var pattern = "t{:03d}.tif"

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
    if method != .none, dtype != nil || rescale || percentiles != nil {
      throw ValidationError("--dtype, --rescale and --percentiles need --method none")
    }
    if percentiles != nil, percentileRange == nil {
      throw ValidationError(
        "--percentiles takes LOW,HIGH with 0 ≤ LOW < HIGH ≤ 100, not '\(percentiles!)'")
    }
    for (name, list) in [("--z", z), ("--t", t)] {
      if let list, HyperstackSelection.parseList(list) == nil {
        throw ValidationError("\(name) takes indices like 0 or 2,0, not '\(list)'")
      }
    }
    if let frames, FrameSlice(parsing: frames) == nil {
      throw ValidationError(
        "--frames takes START:STOP:STEP (each optional, STEP not 0) or one index, not '\(frames)'")
    }
    if split != nil, io.output != nil {
      throw ValidationError("--split writes into a folder; leave out -o")
    }
    if split == nil, pattern != "t{:03d}.tif" {
      throw ValidationError("--pattern names the files of --split")
    }
  }

  /// `--percentiles` as (low, high), nil when absent or malformed.
  var percentileRange: (low: Double, high: Double)? {
    guard
      let parts = percentiles?.split(separator: ",").map({
        Double($0.trimmingCharacters(in: .whitespaces))
      }),
      parts.count == 2, let low = parts[0], let high = parts[1], low >= 0, low < high, high <= 100
    else { return nil }
    return (low, high)
  }

  /// Whether the run is a conversion (``StackConversion``) rather than the normalizing
  /// filter: --method none, a frame selection, a split, or a folder or glob as input.
  var converts: Bool {
    method == .none || frames != nil || split != nil || z != nil || t != nil
      || (io.input.map(FileSequenceReader.isSequence) ?? false)
  }

  /// The per-plane normalization the options select (nil for `none`).
  var normalization: (any PlaneNormalization)? {
    switch method {
    case .clahe: return HistogramNormalization(kernelSize: kernelSize)
    case .zscore: return ZScoreNormalization(epsilon: epsilon)
    case .percentile: return PercentileNormalization(percentile: percentile)
    case .none: return nil
    }
  }

  func run() throws {
    runtime.apply()
    if converts {
      try convert()
      return
    }
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
      metadata: StackMetadata(
        pixelSize: reader.metadata.pixelSize, slices: reader.metadata.slices,
        provenance: StackProvenance(normalization: method.rawValue, tool: "dc-normalize")))
    do {
      try normalizeStream(reader, into: writer, subject: subject)
      try writer.finish()
      InterruptCleanup.untrack(output.temporaryPath)
    } catch {
      writer.abort()
      throw error
    }
  }

  /// Runs the options as a ``StackConversion``.
  func convert() throws {
    var conversion = StackConversion()
    conversion.arrayName = array
    conversion.channels = channel.channels
    conversion.frames = frames.flatMap(FrameSlice.init(parsing:))
    if z != nil || t != nil {
      conversion.hyperstack = HyperstackSelection(
        z: z.flatMap(HyperstackSelection.parseList), t: t.flatMap(HyperstackSelection.parseList))
    }
    conversion.dtype = dtype.flatMap { DType(rawValue: $0.rawValue) }
    if let range = percentileRange {
      conversion.rescale = .percentiles(low: range.low, high: range.high)
    } else if rescale {
      conversion.rescale = .minMax
    }
    conversion.normalization = normalization
    conversion.compressed = compress
    conversion.threads = runtime.workerCount
    let destination: ConversionDestination
    let output: OutputFile?
    if let split {
      destination = .split(directory: split, pattern: try SplitPattern(pattern))
      output = nil
    } else {
      output = try io.openOutput()
      destination = .file(output!)
    }
    var progress: ProgressBar?
    var shown = 0
    try conversion.run(
      input: io.input, to: destination, warn: { if !runtime.quiet { warn($0) } },
      progress: { done, total in
        if progress == nil {
          progress = ProgressBar(label: "dc-normalize", total: total, quiet: runtime.quiet)
        }
        progress!.advance(by: done - shown)
        shown = done
      })
    progress?.finish()
    if let output { InterruptCleanup.untrack(output.temporaryPath) }
  }

  /// Reads, normalizes and writes the frames in batches of a bounded size: at least one
  /// frame per worker, else as many as fit in 16 MiB (at most 64).
  func normalizeStream(_ reader: StackReader, into writer: StackWriter, subject: String) throws {
    let normalizer = StackNormalizer(normalization!)
    let frameBytes = max(1, reader.frameShape.reduce(1, *) * 4)
    // About 2 MiB of frames a batch (at least one a worker): later batches reuse the first
    // one's freed memory instead of touching new pages (a 16 MiB batch held a whole
    // 16×512² stack, page-faulting in four full-stack buffers).
    let batch = max(runtime.workerCount, min(64, (2 << 20) / frameBytes))
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

InputOutputOptions.optionsWritingElsewhere = ["--split"]
ToolRunner.main(DCNormalize.self)
