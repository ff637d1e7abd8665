import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes named arrays to an ``OutputFile`` in its format and commits it (design.md,
/// "Outputs"): several arrays go into an NPZ; TIFF, PNG and NPY hold exactly one. On any
/// failure the temporary file is removed and nothing appears at the destination.
///
/// NPZ to a stdout pipe is streamed directly (data descriptors, spec/io.md §3).
/// Throws `usage` when a single-array format is asked to hold several arrays.
public func writeBundle(_ bundle: ArrayBundle, to output: OutputFile, compressed: Bool = false)
  throws
{
  try commit(output) {
    switch output.format {
    case .npz:
      let writer = try makeNPZWriter(output, compressed: compressed)
      try writer.write(bundle)
      try writer.finish()
    case .npy, .tiff, .omeTIFF, .png:
      let array = try singleArray(bundle, output: output)
      if output.format == .npy {
        let writer = try NPYStackWriter(
          path: output.temporaryPath, subject: output.subject, dtype: array.dtype,
          frameShape: Array(array.shape.dropFirst()),
          frameCount: array.shape.first ?? 1)
        if array.rank == 0 {
          // a scalar: write the header and value directly
          writer.abort()
          try writeScalarNPY(array, output: output)
        } else {
          for i in 0..<array.shape[0] { try writer.append(array.frame(i)) }
          try writer.finish()
        }
      } else if output.format == .png {
        try ImageFormatDispatch.writePNG(array, path: output.temporaryPath, subject: output.subject)
      } else {
        guard let stack = array.asStack() else {
          throw DeepCellError(
            .usage, output.subject,
            "array of shape \(shapeText(array.shape)) is not an image stack for TIFF")
        }
        let writer = try ImageFormatDispatch.tiffStackWriter(
          path: output.temporaryPath, subject: output.subject, dtype: stack.dtype,
          frameShape: Array(stack.shape.dropFirst()),
          frameCount: stack.shape[0], compressed: compressed, ome: output.format == .omeTIFF)
        do {
          for i in 0..<stack.shape[0] { try writer.append(stack.frame(i)) }
          try writer.finish()
        } catch {
          writer.abort()
          throw error
        }
      }
    }
  }
}

/// A frame-by-frame writer of one stack to `output` (design.md, "Streaming"): frames of
/// `frameShape` ([height, width, channels]) and `dtype`, `frameCount` of them. For NPZ,
/// the `passThrough` arrays (those the tool does not change) are written first, then the
/// stream as `name` with shape (frames, height, width, channels); TIFF, NPY and PNG (one
/// frame) hold the stream alone, so `passThrough` must then be empty (`usage` otherwise).
/// `metadata` is recorded where the format holds it (``StackMetadata``; in an NPZ its
/// pixel-size array replaces any passed through). ``StackWriter/finish()`` commits the
/// output; ``StackWriter/abort()`` or any failure removes it. Its ``StackMetadata/provenance``
/// goes into TIFF descriptions and NPZ members (``StackProvenance``).
public func makeStackWriter(
  _ output: OutputFile, name: String, dtype: DType, frameShape: [Int], frameCount: Int,
  passThrough: ArrayBundle = ArrayBundle(), compressed: Bool = false,
  metadata: StackMetadata = StackMetadata()
) throws -> StackWriter {
  do {
    let inner: StackWriter
    if output.format != .npz {
      let others = passThrough.names.filter { $0 != name }
      guard others.isEmpty else {
        throw DeepCellError(
          .usage, output.subject,
          "a \(output.format.rawValue.uppercased()) file holds one array; \(others.joined(separator: ", ")) would be lost: write NPZ (-o FILE.npz or --format npz)"
        )
      }
    }
    switch output.format {
    case .npz:
      let writer = try makeNPZWriter(output, compressed: compressed)
      do {
        if let provenance = metadata.provenance {
          try writer.writeMember(StackProvenance.npzMember, bytes: Array(provenance.json.utf8))
        }
        let pixelSizeArray = metadata.pixelSizeArray
        for (other, array) in passThrough.entries
        where other != name
          && (pixelSizeArray == nil || other != StackMetadata.pixelSizeArrayName)
        {
          try writer.write(other, array)
        }
        if let pixelSizeArray, name != StackMetadata.pixelSizeArrayName {
          try writer.write(StackMetadata.pixelSizeArrayName, pixelSizeArray)
        }
        let stream = try writer.beginArray(name, shape: [frameCount] + frameShape, dtype: dtype)
        inner = NPZStackWriter(writer: writer, stream: stream, frameCount: frameCount)
      } catch {
        writer.abort()
        throw error
      }
    case .npy:
      inner = try NPYStackWriter(
        path: output.temporaryPath, subject: output.subject, dtype: dtype, frameShape: frameShape,
        frameCount: frameCount)
    case .tiff, .omeTIFF:
      inner = try ImageFormatDispatch.tiffStackWriter(
        path: output.temporaryPath, subject: output.subject, dtype: dtype, frameShape: frameShape,
        frameCount: frameCount,
        compressed: compressed, ome: output.format == .omeTIFF, metadata: metadata)
    case .png:
      guard frameCount == 1 else {
        throw DeepCellError(
          .usage, output.subject, "a PNG file holds one frame, not \(frameCount): write TIFF or NPZ"
        )
      }
      inner = PNGFrameWriter(output: output, dtype: dtype, frameShape: frameShape)
    }
    return CommittingStackWriter(inner: inner, output: output)
  } catch {
    output.abort()
    throw error
  }
}

/// An NPZ writer for `output`: streamed straight into a stdout pipe, else into the
/// temporary file.
func makeNPZWriter(_ output: OutputFile, compressed: Bool) throws -> NPZWriter {
  if output.standardOutputIsStream {
    output.settleWrittenDirectly()
    return try NPZWriter(
      fileDescriptor: output.standardOutputDescriptor, subject: output.subject,
      compressed: compressed)
  }
  do {
    return try NPZWriter(path: output.temporaryPath, compressed: compressed)
  } catch let error as DeepCellError {
    throw error.about(output.subject)
  }
}

private func singleArray(_ bundle: ArrayBundle, output: OutputFile) throws -> NDArray {
  guard bundle.entries.count == 1 else {
    let format = output.format.rawValue.uppercased()
    if bundle.isEmpty { throw DeepCellError(.usage, output.subject, "no array to write") }
    throw DeepCellError(
      .usage, output.subject,
      "a \(format) file holds one array, not \(bundle.entries.count) (\(bundle.names.joined(separator: ", "))): write NPZ (-o FILE.npz or --format npz)"
    )
  }
  return bundle.entries[0].array
}

private func writeScalarNPY(_ array: NDArray, output: OutputFile) throws {
  let fd = openEmptiedForWriting(
    output.temporaryPath, flags: O_WRONLY | O_CLOEXEC, mode: mode_t(0o666))
  guard fd >= 0 else { throw DeepCellError(.cannotCreate, output.subject, systemErrorText(errno)) }
  let sink = FileSink(descriptor: fd, subject: output.subject, owns: true)
  do {
    try sink.write(NPY.encode(array))
    try sink.close()
  } catch {
    sink.discard()
    throw error
  }
}

/// Commits the output when the inner writer finishes; removes it on abort or failure.
final class CommittingStackWriter: StackWriter {
  private let inner: StackWriter
  private let output: OutputFile

  init(inner: StackWriter, output: OutputFile) {
    self.inner = inner
    self.output = output
  }

  func append(_ frame: NDArray) throws {
    do { try inner.append(frame) } catch {
      abort()
      throw error
    }
  }

  func finish() throws {
    do {
      try inner.finish()
      try output.commit()
    } catch {
      abort()
      throw error
    }
  }

  func abort() {
    inner.abort()
    output.abort()
  }
}

/// The stream member of an NPZ being written as a ``StackWriter``: finishing ends the
/// member and the archive.
final class NPZStackWriter: StackWriter {
  private let writer: NPZWriter
  private let stream: NPZArrayStream
  private let frameCount: Int
  private var frames = 0

  init(writer: NPZWriter, stream: NPZArrayStream, frameCount: Int) {
    self.writer = writer
    self.stream = stream
    self.frameCount = frameCount
  }

  func append(_ frame: NDArray) throws {
    guard frames < frameCount else {
      throw DeepCellError(.usage, writer.subject, "more than the \(frameCount) declared frames")
    }
    try stream.append(frame)
    frames += 1
  }

  func finish() throws {
    guard frames == frameCount else {
      throw DeepCellError(
        .usage, writer.subject, "stack ended after \(frames) of \(frameCount) frames")
    }
    try stream.end()
    try writer.finish()
  }

  func abort() { writer.abort() }
}

/// Holds the one frame of a PNG output and encodes it at finish.
final class PNGFrameWriter: StackWriter {
  private let output: OutputFile
  private let dtype: DType
  private let frameShape: [Int]
  private var frame: NDArray?

  init(output: OutputFile, dtype: DType, frameShape: [Int]) {
    self.output = output
    self.dtype = dtype
    self.frameShape = frameShape
  }

  func append(_ frame: NDArray) throws {
    guard self.frame == nil else {
      throw DeepCellError(.usage, output.subject, "a PNG file holds one frame")
    }
    guard frame.count == frameShape.reduce(1, *) else {
      throw DeepCellError(
        .usage, output.subject,
        "frame of shape \(shapeText(frame.shape)) does not fit \(shapeText(frameShape))")
    }
    let typed = frame.dtype == dtype ? frame : frame.converted(to: dtype)
    self.frame = typed.reshaped([1] + frameShape)
  }

  func finish() throws {
    guard let frame else { throw DeepCellError(.usage, output.subject, "no frame to write") }
    try ImageFormatDispatch.writePNG(frame, path: output.temporaryPath, subject: output.subject)
  }

  func abort() { frame = nil }
}

/// Writes the NPZ at `path` atomically: `members` fills an ``NPZWriter`` on a temporary file
/// beside it, which replaces `path` only once everything is written; on any failure `path` is
/// left as it was (model files, training state).
public func writeNPZFile(_ path: String, members: (NPZWriter) throws -> Void) throws {
  let output = try OutputFile(path: path, format: .npz)
  try commit(output) {
    let writer = try makeNPZWriter(output, compressed: false)
    do {
      try members(writer)
      try writer.finish()
    } catch {
      writer.abort()
      throw error
    }
  }
}

/// Runs `body` (which fills `output`'s temporary file), then commits `output`; on any failure
/// the temporary file is removed and the error rethrown.
private func commit(_ output: OutputFile, after body: () throws -> Void) throws {
  do {
    try body()
    try output.commit()
  } catch {
    output.abort()
    throw error
  }
}
