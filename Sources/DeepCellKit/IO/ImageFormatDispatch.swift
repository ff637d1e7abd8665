/// The TIFF and PNG codecs (``TIFFStackReader``, ``TIFFStackWriter``, ``PNGCodec``) as the
/// unified input/output layer calls them, with errors naming what the user named (`-` for
/// stdin rather than the descriptor path the codec was given).
enum ImageFormatDispatch {
  /// A frame reader over the TIFF file at `path`; errors name `subject`.
  static func tiffStackReader(path: String, subject: String) throws -> StackReader {
    let reader = try renaming(path, subject) { try TIFFStackReader(path: path) }
    return path == subject ? reader : RenamingStackReader(reader, from: path, to: subject)
  }

  /// The PNG image in `bytes` as a (1, H, W, C) array; errors name `subject`.
  static func decodePNG(_ bytes: [UInt8], subject: String) throws -> NDArray {
    try PNGCodec.decode(bytes, subject: subject)
  }

  /// A TIFF stack writer writing to `path` (uncompressed, or deflate when `compressed`;
  /// ImageJ metadata, or OME-XML when `ome`; the pixel size and Z slices of `metadata`;
  /// BigTIFF when needed); errors name `subject`.
  static func tiffStackWriter(
    path: String, subject: String, dtype: DType, frameShape: [Int], frameCount: Int,
    compressed: Bool, ome: Bool = false, metadata: StackMetadata = StackMetadata()
  ) throws -> StackWriter {
    let options = TIFFWriteOptions(
      compression: compressed ? .deflate : .none, ome: ome, slices: metadata.slices,
      pixelSize: metadata.pixelSize, provenance: metadata.provenance)
    let writer = try renaming(path, subject) {
      try TIFFStackWriter(
        path: path, dtype: dtype, frameShape: frameShape, frameCount: frameCount, options: options)
    }
    return RenamingStackWriter(writer, from: path, to: subject)
  }

  /// Writes one image (rank 2–4, one frame) as PNG to `path`; errors name `subject`.
  static func writePNG(_ image: NDArray, path: String, subject: String) throws {
    try renaming(path, subject) { try PNGCodec.write(image, to: path) }
  }

  /// Runs `body`, replacing `path` by `subject` in the subject of a thrown DeepCellError.
  static func renaming<T>(_ path: String, _ subject: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as DeepCellError where error.subject.hasPrefix(path) {
      throw DeepCellError(error.kind, subject + error.subject.dropFirst(path.count), error.reason)
    }
  }
}

/// A stack reader whose errors name the user's input instead of the codec's path.
final class RenamingStackReader: StackReader {
  let inner: StackReader
  private let path: String
  private let subject: String

  init(_ inner: StackReader, from path: String, to subject: String) {
    self.inner = inner
    self.path = path
    self.subject = subject
  }

  var frameCount: Int { inner.frameCount }
  var frameShape: [Int] { inner.frameShape }
  var dtype: DType { inner.dtype }
  var metadata: StackMetadata { inner.metadata }

  func readFrame(_ index: Int) throws -> NDArray {
    try ImageFormatDispatch.renaming(path, subject) { try inner.readFrame(index) }
  }
}

/// A stack writer whose errors name the user's output instead of its temporary path.
final class RenamingStackWriter: StackWriter {
  private let inner: StackWriter
  private let path: String
  private let subject: String

  init(_ inner: StackWriter, from path: String, to subject: String) {
    self.inner = inner
    self.path = path
    self.subject = subject
  }

  func append(_ frame: NDArray) throws {
    try ImageFormatDispatch.renaming(path, subject) { try inner.append(frame) }
  }

  func finish() throws { try ImageFormatDispatch.renaming(path, subject) { try inner.finish() } }

  func abort() { inner.abort() }
}
