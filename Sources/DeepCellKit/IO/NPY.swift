import Foundation

/// The `.npy` array format (NEP 1; spec/io.md §2): versions 1.0–3.0, little and big endian,
/// C and Fortran order, the dtypes of ``DType``. Writes version 1.0 (2.0 when the header
/// needs it), C order, little endian, header padded to 64 bytes as numpy does.
public enum NPY {
  /// The parsed header of an `.npy` stream.
  public struct Header: Sendable, Equatable {
    /// Element type.
    public var dtype: DType
    /// Whether the stored elements are big-endian.
    public var bigEndian: Bool
    /// Whether the stored elements are in column-major order.
    public var fortranOrder: Bool
    /// Array shape.
    public var shape: [Int]
    /// Offset of the first data byte from the start of the stream.
    public var dataOffset: Int
    /// Number of data bytes.
    public var dataBytes: Int { shape.reduce(1, *) * dtype.size }
  }

  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

  /// The reason ``parseHeader(_:subject:)`` gives for an object (`|O`, pickled) array,
  /// which NPZ readers skip with a warning (spec/io.md §1).
  public static let objectArrayReason = "object array (pickled Python objects) cannot be read"

  /// Largest header accepted (numpy itself refuses headers over 10 000 bytes by default).
  static let maximumHeaderSize = 1 << 20

  /// The total header size (the offset of the first data byte) from the first 12 bytes
  /// of a stream (10 suffice for version 1.0). Throws `badData` for a bad magic string,
  /// an unknown version or an oversized header.
  public static func headerSize<C: Collection>(preamble: C, subject: String) throws -> Int
  where C.Element == UInt8, C.Index == Int {
    let p = Array(preamble.prefix(12))
    guard p.count >= 10, Array(p[0..<6]) == magic else {
      throw DeepCellError(
        .badData, subject,
        p.count < 10 && p == Array(magic.prefix(p.count))
          ? "truncated NPY header" : "not an NPY array (bad magic)")
    }
    let size: Int
    switch p[6] {
    case 1:
      size = 10 + (Int(p[8]) | Int(p[9]) << 8)
    case 2, 3:
      guard p.count >= 12 else { throw DeepCellError(.badData, subject, "truncated NPY header") }
      size = 12 + (Int(p[8]) | Int(p[9]) << 8 | Int(p[10]) << 16 | Int(p[11]) << 24)
    default:
      throw DeepCellError(.badData, subject, "unsupported NPY format version \(p[6]).\(p[7])")
    }
    guard size <= maximumHeaderSize else {
      throw DeepCellError(.badData, subject, "NPY header too large (\(size) bytes)")
    }
    return size
  }

  /// Parses the header at the start of `prefix` (which needs to hold at least the whole
  /// header). Throws ``DeepCellError`` (`badData`) naming `subject` when it is malformed.
  public static func parseHeader<C: Collection>(_ prefix: C, subject: String) throws -> Header
  where C.Element == UInt8, C.Index == Int {
    let p = Array(prefix.prefix(maximumHeaderSize))
    let size = try headerSize(preamble: p, subject: subject)
    let major = p[6]
    let start = major == 1 ? 10 : 12
    guard p.count >= size else {
      throw DeepCellError(.badData, subject, "truncated NPY header")
    }
    guard let text = String(bytes: p[start..<size], encoding: major == 3 ? .utf8 : .ascii)
    else { throw DeepCellError(.badData, subject, "NPY header is not text") }
    var header = try parseDictionary(text, subject: subject)
    header.dataOffset = size
    return header
  }

  /// Parses numpy's header dict literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
  static func parseDictionary(_ text: String, subject: String) throws -> Header {
    func value(after key: String) -> Substring? {
      guard let r = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\"") else { return nil }
      var rest = text[r.upperBound...].drop { $0 == " " }
      guard rest.first == ":" else { return nil }
      rest = rest.dropFirst().drop { $0 == " " }
      return rest
    }
    guard let descrStart = value(after: "descr"), let quote = descrStart.first,
      quote == "'" || quote == "\"",
      let end = descrStart.dropFirst().firstIndex(of: quote)
    else { throw DeepCellError(.badData, subject, "NPY header has no 'descr'") }
    let descr = String(descrStart[descrStart.index(after: descrStart.startIndex)..<end])
    guard let fortran = value(after: "fortran_order") else {
      throw DeepCellError(.badData, subject, "NPY header has no 'fortran_order'")
    }
    let fortranOrder: Bool
    if fortran.hasPrefix("True") {
      fortranOrder = true
    } else if fortran.hasPrefix("False") {
      fortranOrder = false
    } else {
      throw DeepCellError(.badData, subject, "NPY header has a bad 'fortran_order'")
    }
    guard let shapeText = value(after: "shape"), shapeText.first == "(",
      let close = shapeText.firstIndex(of: ")")
    else { throw DeepCellError(.badData, subject, "NPY header has no 'shape'") }
    var shape = [Int]()
    for part in shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(
      separator: ",")
    {
      let t = part.trimmingCharacters(in: " L")
      if t.isEmpty { continue }
      guard let n = Int(t), n >= 0 else {
        throw DeepCellError(.badData, subject, "NPY header has a bad shape")
      }
      shape.append(n)
    }
    let (dtype, bigEndian) = try parseDescr(descr, subject: subject)
    var total = 1
    for n in shape {
      let (m, overflow) = total.multipliedReportingOverflow(by: n)
      guard !overflow, m <= Int(Int64.max) / 8 else {
        throw DeepCellError(.badData, subject, "NPY shape \(shape) is too large")
      }
      total = m
    }
    return Header(
      dtype: dtype, bigEndian: bigEndian, fortranOrder: fortranOrder, shape: shape, dataOffset: 0)
  }

  /// Maps a numpy type string (`<f4`, `>u2`, `|b1`, …) to a dtype and byte order.
  public static func parseDescr(_ descr: String, subject: String) throws -> (DType, bigEndian: Bool)
  {
    if descr == "O"
      || (descr.count >= 2 && "|<>=".contains(descr.first!) && descr.dropFirst().hasPrefix("O"))
    {
      throw DeepCellError(.badData, subject, objectArrayReason)
    }
    guard descr.count >= 3, let order = descr.first else {
      throw DeepCellError(.badData, subject, "unsupported dtype '\(descr)'")
    }
    let code = String(descr.dropFirst())
    let table: [String: DType] = [
      "b1": .bool, "u1": .uint8, "i1": .int8, "u2": .uint16, "i2": .int16, "u4": .uint32,
      "i4": .int32,
      "u8": .uint64, "i8": .int64, "f2": .float16, "f4": .float32, "f8": .float64,
    ]
    guard let dtype = table[code], "<>|=".contains(order) else {
      throw DeepCellError(.badData, subject, "unsupported dtype '\(descr)'")
    }
    return (dtype, order == ">" && dtype.size > 1)
  }

  /// Converts stored data (any byte order, any memory order) to a native C-order array.
  public static func array(header: Header, data: [UInt8]) -> NDArray {
    var bytes = data
    if header.bigEndian { swapByteOrder(&bytes, elementSize: header.dtype.size) }
    var array = NDArray(shape: header.shape, dtype: header.dtype, bytes: bytes)
    if header.fortranOrder && header.shape.count > 1 {
      array = transposedFromFortran(array)
    }
    return array
  }

  /// Reverses the bytes of every `elementSize`-byte element (big ↔ little endian).
  public static func swapByteOrder(_ bytes: inout [UInt8], elementSize: Int) {
    guard elementSize > 1 else { return }
    bytes.withUnsafeMutableBytes { raw in
      switch elementSize {
      case 2:
        let v = raw.bindMemory(to: UInt16.self)
        for i in v.indices { v[i] = v[i].byteSwapped }
      case 4:
        let v = raw.bindMemory(to: UInt32.self)
        for i in v.indices { v[i] = v[i].byteSwapped }
      case 8:
        let v = raw.bindMemory(to: UInt64.self)
        for i in v.indices { v[i] = v[i].byteSwapped }
      default:
        var i = 0
        while i + elementSize <= raw.count {
          var lo = i
          var hi = i + elementSize - 1
          while lo < hi {
            raw.swapAt(lo, hi)
            lo += 1
            hi -= 1
          }
          i += elementSize
        }
      }
    }
  }

  /// Reorders column-major elements into row-major order for the same shape.
  static func transposedFromFortran(_ a: NDArray) -> NDArray {
    let shape = a.shape
    let size = a.dtype.size
    let n = a.count
    var out = [UInt8](repeating: 0, count: a.bytes.count)
    var fstrides = [Int](repeating: 1, count: shape.count)
    for d in 1..<shape.count { fstrides[d] = fstrides[d - 1] * shape[d - 1] }
    var index = [Int](repeating: 0, count: shape.count)
    a.bytes.withUnsafeBytes { src in
      out.withUnsafeMutableBytes { dst in
        for c in 0..<n {
          var f = 0
          for d in 0..<shape.count { f += index[d] * fstrides[d] }
          dst.baseAddress!.advanced(by: c * size).copyMemory(
            from: src.baseAddress!.advanced(by: f * size), byteCount: size)
          var d = shape.count - 1
          while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { break }
            index[d] = 0
            d -= 1
          }
        }
      }
    }
    return NDArray(shape: shape, dtype: a.dtype, bytes: out)
  }

  /// Decodes a whole `.npy` file image. Throws `badData` naming `subject` when the bytes
  /// are not a complete NPY array.
  public static func decode(_ bytes: [UInt8], subject: String) throws -> NDArray {
    let header = try parseHeader(bytes.prefix(min(bytes.count, 1 << 20)), subject: subject)
    guard bytes.count - header.dataOffset >= header.dataBytes else {
      throw DeepCellError(
        .badData, subject,
        "truncated NPY data (\(bytes.count - header.dataOffset) of \(header.dataBytes) bytes)")
    }
    return array(
      header: header, data: Array(bytes[header.dataOffset..<(header.dataOffset + header.dataBytes)])
    )
  }

  /// The header bytes numpy writes for an array of `shape` and `dtype` (C order, little
  /// endian), padded with spaces and a newline to a multiple of 64 bytes.
  public static func headerBytes(shape: [Int], dtype: DType) -> [UInt8] {
    let shapeText: String
    switch shape.count {
    case 0: shapeText = "()"
    case 1: shapeText = "(\(shape[0]),)"
    default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
    let dict = "{'descr': '\(dtype.numpyDescr)', 'fortran_order': False, 'shape': \(shapeText), }"
    var version: UInt8 = 1
    var prefix = 10
    if dict.utf8.count + 1 + prefix + 64 > 65535 {
      version = 2
      prefix = 12
    }
    let unpadded = prefix + dict.utf8.count + 1
    let padded = (unpadded + 63) / 64 * 64
    let headerLength = padded - prefix
    var out = magic + [version, 0]
    if version == 1 {
      out += [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
    } else {
      out += (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xFF) }
    }
    out += Array(dict.utf8)
    out += [UInt8](repeating: 0x20, count: padded - unpadded)
    out.append(0x0A)
    return out
  }

  /// Encodes an array as a complete `.npy` file image.
  public static func encode(_ array: NDArray) -> [UInt8] {
    headerBytes(shape: array.shape, dtype: array.dtype) + array.bytes
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: String) -> String {
    var s = self
    while let f = s.first, set.contains(f) { s = s.dropFirst() }
    while let l = s.last, set.contains(l) { s = s.dropLast() }
    return String(s)
  }
}
