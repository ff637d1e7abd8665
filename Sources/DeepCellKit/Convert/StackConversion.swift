import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a ``StackConversion`` writes.
public enum ConversionDestination {
  /// One file (or stdout) in the output's format.
  case file(OutputFile)
  /// One file a frame in `directory` (created when missing, its parent must exist), named
  /// by `pattern`, in the pattern's format.
  case split(directory: String, pattern: SplitPattern)
}

/// Reads a stack, selects channels and frames, converts the dtype (or normalizes), and
/// writes it as one file or one file a frame: the batch conversion `dc-normalize` runs with
/// `--method none`, `--frames`, `--split` or a folder or glob as input.
///
/// The source is a file (TIFF, OME-TIFF, PNG, NPY, NPZ; `-` or nil for stdin) or a
/// sequence of files read as one stack (``FileSequenceReader``). Frames stream one at a time
/// from reader to writer (normalization takes a few at a time), so memory stays flat however
/// long the stack; `--rescale` reads the stack once or twice more first to measure its
/// range (``RescaleRange``). The pixel size travels to outputs that hold one, and an
/// OME-TIFF's Z slices to an OME-TIFF output when every frame is kept (``StackMetadata``).
/// So does the input's provenance record (``StackProvenance``: what the dc tools did to the
/// pixels) when the values are kept, i.e. without `--rescale`; normalizing records the
/// normalization instead (``normalizationName``).
/// An NPZ input's other arrays pass through to an NPZ output unchanged.
///
/// Failures leave nothing behind: a single output is written under a temporary name and
/// renamed when complete; split frames are written under hidden names and renamed only once
/// every frame is written, and the folder is removed again if this run created it.
public struct StackConversion {
  /// The NPZ array to convert (nil: `X`, else the only image array).
  public var arrayName: String?
  /// Channels kept, in order (nil: all).
  public var channels: [Int]?
  /// Z slices and time points kept of a hyperstack (nil: all), before ``frames``.
  public var hyperstack: HyperstackSelection?
  /// Frames kept (nil: all).
  public var frames: FrameSlice?
  /// Output dtype (nil: the input's, or float32 when normalizing).
  public var dtype: DType?
  /// Rescale this range of the input onto the output dtype's range (nil: values kept).
  public var rescale: RescaleRange?
  /// Normalize every plane with this method instead of converting (output float32).
  public var normalization: (any PlaneNormalization)?
  /// The normalization's name recorded in the output (`clahe`, `zscore`, `percentile`;
  /// ``StackProvenance/normalization``); nil records none.
  public var normalizationName: String?
  /// Intensity transform applied before ``normalization``, and recorded with it.
  public var transform: IntensityTransform = .none
  /// Deflate-compress TIFF and NPZ outputs.
  public var compressed = false
  /// Worker threads for normalization (nil: ``Parallel/defaultThreads``).
  public var threads: Int?

  /// A conversion that copies the stack as it is.
  public init() {}

  /// What a run did.
  public struct Summary: Sendable, Equatable {
    /// Frames written.
    public var frames: Int
    /// The files written (the output, or the split frames), in order; `-` for stdout.
    public var files: [String]
  }

  /// Converts `input` (a path, `-`/nil for stdin, or a folder or glob) into `destination`.
  /// `warn` receives the inputs' warnings (skipped NPZ members, an OME-TIFF's other
  /// series); `progress` is told the frames written so far and the total, after each.
  ///
  /// - Throws: ``DeepCellError``: `usage` for options that do not fit the input (a
  ///   channel or frame outside it, normalizing with a dtype, a type the output cannot
  ///   hold); `badData` for unreadable input, files of a sequence that differ, or a value
  ///   the output dtype cannot hold without `--rescale`; `noInput`, `cannotCreate`, `io`
  ///   as the files decide.
  @discardableResult
  public func run(
    input: String?, to destination: ConversionDestination, warn: (String) -> Void = { _ in },
    progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
  ) throws -> Summary {
    if normalization != nil && (dtype != nil || rescale != nil) {
      throw DeepCellError(
        .usage, "--dtype", "converting the dtype needs --method none; normalizing writes float32")
    }
    let source = try open(input, destination: destination)
    source.warnings.forEach(warn)
    var reader = source.reader
    if let channels {
      reader = try ChannelSelectingReader(reader, channels: channels, subject: source.subject)
    }
    if let hyperstack {
      let (indices, slices) = try hyperstack.indices(
        frameCount: reader.frameCount, slices: reader.metadata.slices, subject: source.subject)
      reader = FrameSelectingReader(reader, indices: indices, slices: slices)
    }
    if let frames {
      let indices = try frames.indices(count: reader.frameCount, subject: source.subject)
      reader = FrameSelectingReader(reader, indices: indices)
    }
    let outputType = normalization != nil ? .float32 : (dtype ?? reader.dtype)
    var conversion: DTypeConversion? = nil
    if let rescale {
      guard DTypeConversion.targets.contains(outputType) || outputType == .float64 else {
        throw DeepCellError(
          .usage, source.subject,
          "cannot rescale onto \(outputType); choose --dtype uint8, uint16, int32 or float32")
      }
      conversion = DTypeConversion(
        target: outputType, range: try rescale.measure(reader, subject: source.subject))
    } else if outputType != reader.dtype && normalization == nil {
      conversion = DTypeConversion(target: outputType)
    }
    var metadata = reader.metadata
    metadata.pixelSize = metadata.pixelSize ?? source.pixelSize
    if normalization != nil {
      metadata.provenance = normalizationName.map {
        StackProvenance(
          normalization: $0, transform: transform.recorded,
          tool: "dc-normalize")
      }
    } else if rescale == nil {
      metadata.provenance = source.provenance
    }
    let stages = Stages(
      reader: reader, conversion: conversion,
      normalizer: normalization.map { StackNormalizer(transform.applied(to: $0)) },
      subject: source.subject,
      threads: threads)
    switch destination {
    case .file(let output):
      if output.format != .omeTIFF || reader.frameCount % max(1, metadata.slices) != 0 {
        metadata.slices = 1
      }
      let writer = try makeStackWriter(
        output, name: source.outputName, dtype: outputType, frameShape: reader.frameShape,
        frameCount: reader.frameCount, passThrough: source.passThrough, compressed: compressed,
        metadata: metadata)
      do {
        try stages.forEachBatch { first, frames in
          for frame in frames { try writer.append(frame) }
          progress(first + frames.count, reader.frameCount)
        }
        try writer.finish()
      } catch {
        writer.abort()
        throw error
      }
      return Summary(frames: reader.frameCount, files: [output.subject])
    case .split(let directory, let pattern):
      metadata.slices = 1
      return try split(
        stages, into: directory, pattern: pattern, dtype: outputType, metadata: metadata,
        progress: progress)
    }
  }

  /// The opened input: the image array's reader and what travels with it.
  struct Source {
    var reader: any StackReader
    var subject: String
    var outputName = ArrayName.image
    var passThrough = ArrayBundle()
    var pixelSize: PixelSize?
    /// The input file's provenance record (nil for a sequence of files).
    var provenance: StackProvenance?
    var warnings: [String] = []
  }

  /// Opens a file or a sequence; an NPZ's other arrays are kept for an NPZ output (and
  /// must fit any other single-array output, which refuses them).
  func open(_ input: String?, destination: ConversionDestination) throws -> Source {
    if let input, input != "-", FileSequenceReader.isSequence(input) {
      let sequence = try FileSequenceReader(path: input)
      return Source(reader: sequence, subject: input, warnings: sequence.warnings)
    }
    let file = try InputFile(path: input)
    let sizeName = StackMetadata.pixelSizeArrayName
    let name = try file.imageArrayName(arrayName, ignoring: [sizeName])
    let isNPZ = file.format == .npz
    let subject = isNPZ ? "\(file.subject): \(name)" : file.subject
    var source = Source(
      reader: try file.stackReader(name: name), subject: subject,
      provenance: try file.provenance(), warnings: file.warnings)
    guard isNPZ else { return source }
    source.outputName = name
    if file.arrayNames.contains(sizeName) {
      source.pixelSize = StackMetadata.pixelSize(fromArray: try file.readArray(name: sizeName))
    }
    if case .file = destination {
      for other in file.arrayNames where other != name && other != sizeName {
        source.passThrough[other] = try file.readArray(name: other)
      }
    }
    return source
  }

  /// Writes each frame of `stages` to its own file in `directory`.
  func split(
    _ stages: Stages, into directory: String, pattern: SplitPattern, dtype: DType,
    metadata: StackMetadata, progress: (Int, Int) -> Void
  ) throws -> Summary {
    var info = stat()
    var created = false
    if stat(directory, &info) != 0 {
      guard mkdir(directory, 0o777) == 0 else {
        throw DeepCellError(.cannotCreate, directory, systemErrorText(errno))
      }
      created = true
    } else if (info.st_mode & S_IFMT) != S_IFDIR {
      throw DeepCellError(.cannotCreate, directory, "exists and is not a directory")
    }
    let folder = directory.hasSuffix("/") ? directory : directory + "/"
    var staged: [(staging: String, final: String)] = []
    do {
      try stages.forEachBatch { first, frames in
        for (k, frame) in frames.enumerated() {
          let name = pattern.name(first + k)
          let final = folder + name
          let staging = folder + ".\(name).dc-part"
          staged.append((staging, final))
          let output = try OutputFile(path: staging, format: pattern.format)
          let writer = try makeStackWriter(
            output, name: ArrayName.image, dtype: dtype, frameShape: stages.reader.frameShape,
            frameCount: 1, compressed: compressed, metadata: metadata)
          do {
            try writer.append(frame)
            try writer.finish()
          } catch let error as DeepCellError {
            writer.abort()
            throw error.subject.hasPrefix(staging)
              ? DeepCellError(
                error.kind, final + error.subject.dropFirst(staging.count), error.reason)
              : error
          }
        }
        progress(first + frames.count, stages.reader.frameCount)
      }
      for (staging, final) in staged {
        guard rename(staging, final) == 0 else {
          throw DeepCellError(.cannotCreate, final, systemErrorText(errno))
        }
      }
    } catch {
      for (staging, _) in staged { unlink(staging) }
      if created { rmdir(directory) }
      throw error
    }
    return Summary(frames: staged.count, files: staged.map(\.final))
  }
}

/// The per-frame stages after reading: dtype conversion or normalization.
struct Stages {
  let reader: any StackReader
  let conversion: DTypeConversion?
  let normalizer: StackNormalizer?
  let subject: String
  let threads: Int?

  /// Reads, converts or normalizes the frames in order and hands them to `body` with the
  /// index of the first: one at a time, or for normalization in batches of at least one
  /// frame a worker, else as many as fit in 16 MiB (at most 64), as dc-normalize always has.
  func forEachBatch(_ body: (Int, [NDArray]) throws -> Void) throws {
    let count = reader.frameCount
    guard let normalizer else {
      for f in 0..<count {
        let frame = try reader.readFrame(f)
        try body(f, [try conversion?.convert(frame, frameIndex: f, subject: subject) ?? frame])
      }
      return
    }
    let frameBytes = max(1, reader.frameShape.reduce(4, *))
    let workers = threads ?? Parallel.defaultThreads
    let batch = max(workers, min(64, (16 << 20) / frameBytes))
    var start = 0
    while start < count {
      let end = min(count, start + batch)
      let frames = try (start..<end).map { try reader.readFrame($0) }
      try body(
        start,
        try normalizer.normalize(
          frames: frames, subject: subject, firstFrameIndex: start, threads: threads))
      start = end
    }
  }
}
