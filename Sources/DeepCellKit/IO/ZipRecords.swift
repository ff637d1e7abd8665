/// The ZIP record layouts NPZ files use (PKWARE APPNOTE 6.3: §4.3.7 local file header,
/// §4.3.9 data descriptor, §4.3.12 central directory header, §4.3.14–16 Zip64 end of
/// central directory record and locator, end of central directory record; §4.5.3 the
/// Zip64 extended information extra field). All integers little endian.
enum ZipRecord {
  static let localHeaderSignature: UInt32 = 0x0403_4B50
  static let dataDescriptorSignature: UInt32 = 0x0807_4B50
  static let centralHeaderSignature: UInt32 = 0x0201_4B50
  static let endOfCentralDirectorySignature: UInt32 = 0x0605_4B50
  static let zip64EndOfCentralDirectorySignature: UInt32 = 0x0606_4B50
  static let zip64LocatorSignature: UInt32 = 0x0706_4B50
  /// Extra-field id of the Zip64 extended information.
  static let zip64ExtraID: UInt16 = 0x0001
  /// Fixed sizes of the records.
  static let localHeaderSize = 30
  static let centralHeaderSize = 46
  static let endOfCentralDirectorySize = 22
  static let zip64EndOfCentralDirectorySize = 56
  static let zip64LocatorSize = 20
  /// General-purpose flags: bit 0 encrypted, bit 3 sizes in a data descriptor, bit 11 UTF-8 name.
  static let flagEncrypted: UInt16 = 1 << 0
  static let flagDataDescriptor: UInt16 = 1 << 3
  static let flagUTF8: UInt16 = 1 << 11
  /// Compression methods.
  static let methodStored: UInt16 = 0
  static let methodDeflated: UInt16 = 8
  /// MS-DOS date of 1980-01-01, the timestamp numpy leaves on members.
  static let dosDate1980: UInt16 = (0 << 9) | (1 << 5) | 1
}

/// Reads little-endian integers from a byte array at a moving offset.
struct LittleEndianReader {
  let bytes: [UInt8]
  var offset: Int

  init(_ bytes: [UInt8], offset: Int = 0) {
    self.bytes = bytes
    self.offset = offset
  }

  var remaining: Int { bytes.count - offset }

  mutating func u16() -> UInt16 {
    defer { offset += 2 }
    return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
  }

  mutating func u32() -> UInt32 {
    defer { offset += 4 }
    var v: UInt32 = 0
    for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * i) }
    return v
  }

  mutating func u64() -> UInt64 {
    defer { offset += 8 }
    var v: UInt64 = 0
    for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * i) }
    return v
  }
}

/// Appends little-endian integers to a byte array.
extension Array where Element == UInt8 {
  mutating func appendLE(_ v: UInt16) { append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }
  mutating func appendLE(_ v: UInt32) {
    for i in 0..<4 { append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) }
  }
  mutating func appendLE(_ v: UInt64) {
    for i in 0..<8 { append(UInt8((v >> (8 * UInt64(i))) & 0xFF)) }
  }
}
