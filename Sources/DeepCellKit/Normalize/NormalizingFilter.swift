/// dc-normalize's filter (normalize.md §2, design.md "Scale"): the image array of an input
/// normalized per (frame, channel) plane into a float32 stack of the same shape, every other
/// array of an NPZ copied unchanged, and the normalization recorded in the output
/// (``StackProvenance``). Frames are read, normalized and written in batches of bounded size
/// (at least one frame per worker, else as many as fit in 16 MiB, at most 64), so memory
/// stays flat however long the stack is.
public struct NormalizingFilter {
  /// The per-plane normalization.
  public var normalization: any PlaneNormalization
  /// Its name as recorded in the output (`clahe`, `zscore`, `percentile`).
  public var methodName: String
  /// Intensity transform applied before the normalization, and recorded with it.
  public var transform: IntensityTransform = .none
  /// The image array of an NPZ input (nil: ``InputFile/imageArrayName(_:)``'s choice).
  public var arrayName: String?
  /// Channels to keep (0-based; nil: all).
  public var channels: [Int]?
  /// Deflate-compress the output.
  public var compressed = false
  /// Workers (nil: ``Parallel/defaultThreads``); sets the batch's lower bound.
  public var threads: Int?

  public init(normalization: any PlaneNormalization, methodName: String) {
    self.normalization = normalization
    self.methodName = methodName
  }

  /// Frames normalized per batch for frames of `frameShape`: about 2 MiB of frames (at least
  /// one a worker), so later batches reuse the first one's freed memory instead of touching
  /// new pages (a 16 MiB batch held a whole 16×512² stack, faulting in four such buffers).
  public func batchSize(frameShape: [Int]) -> Int {
    let frameBytes = max(1, frameShape.reduce(1, *) * 4)
    return max(threads ?? Parallel.defaultThreads, min(64, (2 << 20) / frameBytes))
  }

  /// Normalizes `input` into `output` (prepared by the caller; committed here, aborted on
  /// error). `progress(frames)` is called after each batch with the frames it held, after
  /// `start(total)` with the frame count.
  public func run(
    input: InputFile, output: (_ arrayCount: Int) throws -> OutputFile,
    start: (Int) -> Void = { _ in }, progress: (Int) -> Void = { _ in }
  ) throws -> OutputFile {
    let name = try input.imageArrayName(arrayName)
    let subject = input.format == .npz ? "\(input.subject): \(name)" : input.subject
    var reader: any StackReader = try input.stackReader(name: name)
    if let channels {
      reader = try ChannelSelectingReader(reader, channels: channels, subject: subject)
    }
    guard reader.frameCount > 0 else {
      throw DeepCellError(.badData, subject, "the stack has no frames")
    }
    // Arrays other than the image pass through unchanged (NPZ input only).
    var passThrough = ArrayBundle()
    for other in input.arrayNames where other != name {
      passThrough[other] = try input.readArray(name: other)
    }
    let outputName = input.format == .npz ? name : ArrayName.image
    let file = try output(passThrough.entries.count + 1)
    let writer = try makeStackWriter(
      file, name: outputName, dtype: .float32, frameShape: reader.frameShape,
      frameCount: reader.frameCount, passThrough: passThrough, compressed: compressed,
      metadata: StackMetadata(
        pixelSize: reader.metadata.pixelSize, slices: reader.metadata.slices,
        provenance: StackProvenance(
          normalization: methodName, transform: transform.recorded,
          tool: "dc-normalize")))
    do {
      start(reader.frameCount)
      let normalizer = StackNormalizer(transform.applied(to: normalization))
      let batch = batchSize(frameShape: reader.frameShape)
      var first = 0
      while first < reader.frameCount {
        let end = min(reader.frameCount, first + batch)
        let frames = try (first..<end).map { try reader.readFrame($0) }
        let normalized = try normalizer.normalize(
          frames: frames, subject: subject, firstFrameIndex: first)
        for frame in normalized { try writer.append(frame) }
        progress(end - first)
        first = end
      }
      try writer.finish()
    } catch {
      writer.abort()
      throw error
    }
    return file
  }
}
