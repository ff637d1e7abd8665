import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a (frames, height, width, channels) stack as one `.npy` file (spec/io.md §2:
/// version 1.0 header, C order, little endian) frame by frame, so memory holds one frame.
final class NPYStackWriter: StackWriter {
  private let sink: FileSink
  private let shape: [Int]
  private let dtype: DType
  private let frameElements: Int
  private var framesWritten = 0
  private var open = true

  /// Creates `path` (truncating it) for an array of `frameCount` frames of `frameShape`.
  init(path: String, subject: String, dtype: DType, frameShape: [Int], frameCount: Int) throws {
    let fd = openEmptiedForWriting(path, flags: O_WRONLY | O_CLOEXEC, mode: mode_t(0o666))
    guard fd >= 0 else { throw DeepCellError(.cannotCreate, subject, systemErrorText(errno)) }
    sink = FileSink(descriptor: fd, subject: subject, owns: true)
    shape = [frameCount] + frameShape
    self.dtype = dtype
    frameElements = frameShape.reduce(1, *)
    try sink.write(NPY.headerBytes(shape: shape, dtype: dtype))
  }

  func append(_ frame: NDArray) throws {
    guard open else { throw DeepCellError(.usage, sink.subject, "stack writer is closed") }
    guard framesWritten < shape[0] else {
      throw DeepCellError(.usage, sink.subject, "more than the \(shape[0]) declared frames")
    }
    guard frame.count == frameElements else {
      throw DeepCellError(
        .usage, sink.subject,
        "frame of shape \(shapeText(frame.shape)) does not fit stack \(shapeText(shape))")
    }
    let typed = frame.dtype == dtype ? frame : frame.converted(to: dtype)
    try sink.write(typed.bytes)
    framesWritten += 1
  }

  func finish() throws {
    guard open else { throw DeepCellError(.usage, sink.subject, "stack writer is closed") }
    guard framesWritten == shape[0] else {
      abort()
      throw DeepCellError(
        .usage, sink.subject, "stack ended after \(framesWritten) of \(shape[0]) frames")
    }
    open = false
    try sink.close()
  }

  func abort() {
    guard open else { return }
    open = false
    sink.discard()
  }
}
