/// Frame-by-frame access to a stack in a file, so per-frame tools run in bounded memory
/// (design.md, "Streaming"). A frame is one (height, width, channels) plane set of a
/// (frames, height, width, channels) stack.
public protocol StackReader: AnyObject {
  /// Number of frames.
  var frameCount: Int { get }
  /// Shape of one frame: [height, width, channels].
  var frameShape: [Int] { get }
  /// Element type of the stored data.
  var dtype: DType { get }
  /// Reads frame `index` (0-based) with shape ``frameShape`` and dtype ``dtype``.
  func readFrame(_ index: Int) throws -> NDArray
  /// What the file states besides the pixels: pixel size, Z slices (OME-XML, ImageJ
  /// description, TIFF resolution tags); empty for formats that hold none.
  var metadata: StackMetadata { get }
}

/// Writes a stack frame by frame; nothing is visible at the destination until
/// ``finish()`` succeeds (files are written to a temporary name and renamed).
public protocol StackWriter: AnyObject {
  /// Appends the next frame, shape [height, width, channels] as declared when opened.
  func append(_ frame: NDArray) throws
  /// Completes the file (or flushes stdout) and makes it visible.
  func finish() throws
  /// Discards everything written so far; safe to call after a failure.
  func abort()
}

extension StackReader {
  /// No metadata, for formats that hold none.
  public var metadata: StackMetadata { StackMetadata() }

  /// The physical pixel size the file states, if any.
  public var pixelSize: PixelSize? { metadata.pixelSize }

  /// The pixel width in micrometres the file states (``pixelSize``'s x), if any.
  public var pixelSizeMicrons: Double? { pixelSize?.x }

  /// Reads every frame into one (frames, height, width, channels) array.
  public func readAll() throws -> NDArray {
    var bytes = [UInt8]()
    bytes.reserveCapacity(frameCount * frameShape.reduce(1, *) * dtype.size)
    for i in 0..<frameCount { bytes.append(contentsOf: try readFrame(i).bytes) }
    return NDArray(shape: [frameCount] + frameShape, dtype: dtype, bytes: bytes)
  }
}

/// The file formats the tools read and write, found from magic bytes (spec/io.md).
/// `omeTIFF` is only ever chosen for output (`--format ome-tiff` or a `.ome.tif` name):
/// reading, an OME-TIFF is a `tiff` whose OME-XML the TIFF reader follows.
public enum FileFormat: String, Sendable, CaseIterable {
  case tiff, png, npy, npz
  case omeTIFF = "ome-tiff"

  /// Whether files of this format are TIFF files (plain or OME).
  public var isTIFF: Bool { self == .tiff || self == .omeTIFF }

  /// The format whose magic bytes start `header`, or nil.
  /// TIFF `II*\0`/`MM\0*` and BigTIFF `II+\0`/`MM\0+`; PNG `\x89PNG\r\n\x1a\n`;
  /// NPY `\x93NUMPY`; NPZ (ZIP) `PK\x03\x04` or an empty archive's `PK\x05\x06`.
  public static func sniff(_ header: [UInt8]) -> FileFormat? {
    func starts(_ magic: [UInt8]) -> Bool {
      header.count >= magic.count && Array(header.prefix(magic.count)) == magic
    }
    if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A])
      || starts([0x49, 0x49, 0x2B, 0x00])
      || starts([0x4D, 0x4D, 0x00, 0x2B])
    {
      return .tiff
    }
    if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    if starts([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return .npy }
    if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .npz }
    return nil
  }

  /// The format an output path's extension names (`.ome.tif`/`.ome.tiff`, `.tif`/`.tiff`,
  /// `.png`, `.npy`, `.npz`), or nil.
  public static func fromExtension(_ path: String) -> FileFormat? {
    let lower = path.lowercased()
    if lower.hasSuffix(".ome.tif") || lower.hasSuffix(".ome.tiff") { return .omeTIFF }
    if lower.hasSuffix(".tif") || lower.hasSuffix(".tiff") { return .tiff }
    if lower.hasSuffix(".png") { return .png }
    if lower.hasSuffix(".npy") { return .npy }
    if lower.hasSuffix(".npz") { return .npz }
    return nil
  }
}
