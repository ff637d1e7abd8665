/// Streams the frames of an `.npy` file (spec/io.md §2) by reading each frame's bytes at
/// its offset, so memory holds one frame at a time; big-endian data is swapped per frame.
/// Fortran-order arrays are read whole and reordered once.
final class NPYStackReader: StackReader {
  private let file: RandomAccessFile
  private let header: NPY.Header
  private let layout: StackLayout
  private let inMemory: ArrayStackReader?

  /// Opens the array in `file`. Throws `badData` for a malformed or truncated file or a
  /// shape that is not a stack.
  init(file: RandomAccessFile) throws {
    self.file = file
    header = try NPY.readHeader(file)
    layout = try StackLayout(shape: header.shape, subject: file.subject)
    guard header.dataBytes <= file.size - header.dataOffset else {
      throw DeepCellError(
        .badData, file.subject,
        "truncated NPY data (\(file.size - header.dataOffset) of \(header.dataBytes) bytes)")
    }
    if header.fortranOrder {
      let data = try file.read(at: header.dataOffset, count: header.dataBytes)
      inMemory = try ArrayStackReader(NPY.array(header: header, data: data), subject: file.subject)
    } else {
      inMemory = nil
    }
  }

  var frameCount: Int { layout.frameCount }
  var frameShape: [Int] { layout.frameShape }
  var dtype: DType { header.dtype }

  func readFrame(_ index: Int) throws -> NDArray {
    if let inMemory { return try inMemory.readFrame(index) }
    guard index >= 0 && index < frameCount else {
      throw DeepCellError(.usage, file.subject, "frame \(index) out of range 0..<\(frameCount)")
    }
    let n = layout.frameBytes(header.dtype)
    var bytes = try file.read(at: header.dataOffset + index * n, count: n)
    if header.bigEndian { NPY.swapByteOrder(&bytes, elementSize: header.dtype.size) }
    return NDArray(shape: frameShape, dtype: dtype, bytes: bytes)
  }
}

extension NPY {
  /// Reads and parses the header at the start of `file`.
  static func readHeader(_ file: RandomAccessFile) throws -> Header {
    let preamble = try file.read(at: 0, count: min(12, file.size))
    let size = try headerSize(preamble: preamble, subject: file.subject)
    guard size <= file.size else {
      throw DeepCellError(.badData, file.subject, "truncated NPY header")
    }
    return try parseHeader(try file.read(at: 0, count: size), subject: file.subject)
  }

  /// Reads a whole `.npy` file into memory.
  static func readArray(_ file: RandomAccessFile) throws -> NDArray {
    let header = try readHeader(file)
    guard header.dataBytes <= file.size - header.dataOffset else {
      throw DeepCellError(
        .badData, file.subject,
        "truncated NPY data (\(file.size - header.dataOffset) of \(header.dataBytes) bytes)")
    }
    return array(
      header: header, data: try file.read(at: header.dataOffset, count: header.dataBytes))
  }
}
