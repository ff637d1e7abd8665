import CPNG
import Foundation

/// Reads and writes single-frame PNG images through libpng's simplified `png_image` API
/// (ISO 15948; spec/io.md §5), which reports failures as messages instead of `longjmp`.
///
/// Reading keeps the stored sample values: colour-space chunks (gAMA, sRGB, iCCP, cHRM) are
/// dropped before decoding so libpng applies no gamma conversion, and 8-bit data stay
/// 8-bit, 16-bit data 16-bit. Palette images expand to RGB(A); 1/2/4-bit gray scales to 8
/// bits (libpng's expansion, e.g. 1-bit 1 → 255); a tRNS chunk adds an alpha channel.
public enum PNGCodec {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Reads the PNG at `path` as a [1, H, W, C] array: uint8 for bit depths ≤ 8, uint16 for
  /// 16; C = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. 16-bit images with alpha are returned
  /// with straight (unassociated) colour, exact where alpha is opaque.
  /// Throws `noInput` for a missing path or a directory, `badData` for a corrupt file.
  public static func read(path: String) throws -> NDArray {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw DeepCellError(
        .noInput, path, errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      throw DeepCellError(.noInput, path, "is a directory, not a PNG file")
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw DeepCellError(.noInput, path, String(cString: strerror(errno))) }
    defer { close(fd) }
    var data = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw DeepCellError(.io, path, String(cString: strerror(errno))) }
      if n == 0 { break }
      data.append(contentsOf: chunk[0..<n])
    }
    return try decode(data, subject: path)
  }

  /// Decodes a whole PNG file image (see ``read(path:)``); `subject` names it in errors.
  public static func decode(_ bytes: [UInt8], subject: String) throws -> NDArray {
    if bytes.isEmpty { throw DeepCellError(.badData, subject, "empty file, not a PNG") }
    guard bytes.count >= 8, Array(bytes.prefix(8)) == signature else {
      throw DeepCellError(.badData, subject, "not a PNG file (bad signature)")
    }
    // libpng keeps reading from this memory until png_image_finish_read: it must outlive
    // both calls, so it lives in a buffer owned here, not in a Swift array's closure scope.
    let chunks = withoutColorSpaceChunks(bytes)
    let stream = UnsafeMutableRawBufferPointer.allocate(byteCount: chunks.count, alignment: 16)
    defer { stream.deallocate() }
    stream.copyBytes(from: chunks)
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    let begun = png_image_begin_read_from_memory(&image, stream.baseAddress, stream.count)
    guard begun != 0 else {
      throw DeepCellError(.badData, subject, "corrupt PNG: \(message(&image))")
    }
    let stored = image.format
    let linear = stored & PNG_FORMAT_FLAG_LINEAR != 0
    let alpha = stored & PNG_FORMAT_FLAG_ALPHA != 0
    image.format = stored & (PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_LINEAR)
    let channels = Int(image.format & (PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR)) + 1
    let dtype: DType = linear ? .uint16 : .uint8
    let (h, w) = (Int(image.height), Int(image.width))
    // Deflate expands at most about 1032:1: refuse sizes the file cannot hold before allocating.
    let (elements, overflow) = (h * w).multipliedReportingOverflow(by: channels * dtype.size)
    guard !overflow, elements <= max(1 << 26, bytes.count * 1100) else {
      throw DeepCellError(
        .badData, subject, "corrupt PNG: \(w)×\(h) image cannot be stored in \(bytes.count) bytes")
    }
    var array = NDArray(zeros: [1, h, w, channels], dtype: dtype)
    let finished = array.bytes.withUnsafeMutableBytes {
      png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * channels), nil)
    }
    guard finished != 0 else {
      throw DeepCellError(.badData, subject, "corrupt PNG: \(message(&image))")
    }
    if linear && alpha {
      array.withUnsafeMutableBufferPointer(UInt16.self) { unpremultiply($0, channels: channels) }
    }
    return array
  }

  /// libpng's error text from `image.message`.
  static func message(_ image: inout png_image) -> String {
    withUnsafeBytes(of: &image.message) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  /// The PNG chunk stream without gAMA, sRGB, iCCP and cHRM chunks, so libpng's simplified
  /// reader leaves sample values as stored. A stream whose chunk structure is broken is
  /// returned unchanged (libpng reports it).
  static func withoutColorSpaceChunks(_ bytes: [UInt8]) -> [UInt8] {
    let drop: Set<String> = ["gAMA", "sRGB", "iCCP", "cHRM"]
    var out = Array(bytes.prefix(8))
    out.reserveCapacity(bytes.count)
    var p = 8
    while p + 12 <= bytes.count {
      let length =
        Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
      let end = p + 12 + length
      guard length <= Int(Int32.max), end <= bytes.count else { return bytes }
      let type = String(decoding: bytes[(p + 4)..<(p + 8)], as: UTF8.self)
      if !drop.contains(type) { out.append(contentsOf: bytes[p..<end]) }
      p = end
      if type == "IEND" { return out }
    }
    return bytes
  }

  /// Undoes libpng's alpha association of 16-bit linear output: colour = round(c · 65535 / a).
  static func unpremultiply(_ samples: UnsafeMutableBufferPointer<UInt16>, channels: Int) {
    var i = 0
    while i + channels <= samples.count {
      let a = UInt32(samples[i + channels - 1])
      for c in 0..<(channels - 1) {
        samples[i + c] =
          a == 0 ? 0 : UInt16(min(65535, (UInt32(samples[i + c]) * 65535 + a / 2) / a))
      }
      i += channels
    }
  }

  /// Writes one frame ([H, W, C], [H, W] or [1, H, W, C]) as a PNG: uint8 data as 8-bit
  /// gray, gray+alpha, RGB or RGBA (C = 1…4); uint16 and other integer data with values in
  /// 0…65535 as 16-bit gray or RGB (label images; big-endian, as PNG stores them).
  /// Throws `badData` for values outside 0…65535 (suggesting TIFF) or unsupported types,
  /// `cannotCreate` when the file cannot be written.
  public static func write(_ frame: NDArray, to path: String) throws {
    var shape = frame.shape
    if shape.count == 4 && shape[0] == 1 { shape.removeFirst() }
    if shape.count == 2 { shape.append(1) }
    guard shape.count == 3, shape[0] >= 1, shape[1] >= 1, shape[0] <= 1 << 24, shape[1] <= 1 << 24,
      (1...4).contains(shape[2])
    else {
      throw DeepCellError(
        .badData, path, "PNG holds one 2-D image of 1–4 channels, not shape \(frame.shape)")
    }
    let (h, w, c) = (shape[0], shape[1], shape[2])
    var samples: NDArray
    switch frame.dtype {
    case .uint8, .uint16:
      samples = frame
    case _ where frame.dtype.isInteger || frame.dtype == .bool:
      let values = frame.integerValues()
      if let bad = values.first(where: { $0 < 0 || $0 > 65535 }) {
        throw DeepCellError(
          .badData, path,
          "value \(bad) does not fit a 16-bit PNG; write TIFF for labels above 65535")
      }
      samples = NDArray(shape: frame.shape, values: values.map { UInt16(truncatingIfNeeded: $0) })
    default:
      throw DeepCellError(
        .badData, path,
        "PNG stores 8/16-bit integers, not \(frame.dtype); write TIFF for float data")
    }
    let sixteen = samples.dtype == .uint16
    if sixteen && (c == 2 || c == 4) {
      throw DeepCellError(
        .badData, path, "16-bit PNG output is gray or RGB; \(c)-channel 16-bit data needs TIFF")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(w)
    image.height = UInt32(h)
    image.format = UInt32(c - 1) | (sixteen ? PNG_FORMAT_FLAG_LINEAR : 0)
    defer { png_image_free(&image) }
    let ok = samples.bytes.withUnsafeBytes {
      png_image_write_to_file(&image, path, 0, $0.baseAddress, Int32(w * c), nil)
    }
    guard ok != 0 else {
      let reason = message(&image)
      unlink(path)
      throw DeepCellError(.cannotCreate, path, reason.isEmpty ? "cannot write the PNG" : reason)
    }
  }
}
