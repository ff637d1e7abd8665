/// The TIFF and PNG codecs as the unified input/output layer calls them.
/// (Interim: the TIFF/PNG codecs are not in this build yet; these report it as a usage error.)
enum ImageFormatDispatch {
  /// A frame reader over the TIFF file at `path`; errors name `subject`.
  static func tiffStackReader(path: String, subject: String) throws -> StackReader {
    throw DeepCellError(.usage, subject, "TIFF input is not supported by this build")
  }

  /// The PNG image at `path` as a (1, H, W, C) array; errors name `subject`.
  static func readPNG(path: String, subject: String) throws -> NDArray {
    throw DeepCellError(.usage, subject, "PNG input is not supported by this build")
  }

  /// A TIFF stack writer writing to `path`; errors name `subject`.
  static func tiffStackWriter(
    path: String, subject: String, dtype: DType, frameShape: [Int], frameCount: Int,
    compressed: Bool
  ) throws -> StackWriter {
    throw DeepCellError(.usage, subject, "TIFF output is not supported by this build")
  }

  /// Writes one image (rank 2–4, one frame) as PNG to `path`; errors name `subject`.
  static func writePNG(_ image: NDArray, path: String, subject: String) throws {
    throw DeepCellError(.usage, subject, "PNG output is not supported by this build")
  }
}
