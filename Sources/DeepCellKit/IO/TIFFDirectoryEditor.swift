import Foundation

/// Reads and edits, in place, the IFDs libtiff has just written to a ``TIFFWriteBackFile``:
/// the TIFF structure (TIFF 6.0 §2; BigTIFF: 8-byte counts and offsets, 20-byte entries) that
/// ``TIFFStackWriter`` needs to fill in strip locations and to replicate a page's IFD, so
/// libtiff's per-directory work (about 15 µs an IFD) is done once rather than once a page.
/// Entries are read and written in the file's byte order, which libtiff takes from the host.
struct TIFFDirectoryEditor {
  let file: TIFFWriteBackFile
  let isBigTIFF: Bool
  /// Whether the file is little-endian ("II").
  let littleEndian: Bool

  /// Bytes of an offset or of an entry's value field: 4, or 8 in a BigTIFF.
  var word: Int { isBigTIFF ? 8 : 4 }
  /// Bytes of an IFD's entry count: 2, or 8 in a BigTIFF.
  var countBytes: Int { isBigTIFF ? 8 : 2 }
  /// Bytes of one IFD entry: 12, or 20 in a BigTIFF.
  var entryBytes: Int { isBigTIFF ? 20 : 12 }

  /// Reads the header of `file` (already holding libtiff's header and IFDs).
  init(file: TIFFWriteBackFile, isBigTIFF: Bool) throws {
    self.file = file
    self.isBigTIFF = isBigTIFF
    let order = try Self.read(file, at: 0, count: 2)
    guard order == [0x49, 0x49] || order == [0x4D, 0x4D] else {
      throw DeepCellError(.io, file.path, "the TIFF header libtiff wrote is not readable")
    }
    littleEndian = order[0] == 0x49
  }

  private static func read(_ file: TIFFWriteBackFile, at offset: UInt64, count: Int) throws
    -> [UInt8]
  {
    var bytes = [UInt8](repeating: 0, count: count)
    _ = file.seek(offset, SEEK_SET)
    let n = bytes.withUnsafeMutableBytes { file.read($0.baseAddress!, count) }
    guard n == count else {
      throw DeepCellError(.io, file.path, "cannot read back the TIFF directory at \(offset)")
    }
    return bytes
  }

  /// `count` bytes of the file at `offset`.
  func read(at offset: UInt64, count: Int) throws -> [UInt8] {
    try Self.read(file, at: offset, count: count)
  }

  /// Writes `bytes` at `offset`.
  func write(_ bytes: [UInt8], at offset: UInt64) throws {
    _ = file.seek(offset, SEEK_SET)
    guard bytes.withUnsafeBytes({ file.write($0.baseAddress!, bytes.count) }) == bytes.count else {
      throw DeepCellError(.io, file.path, file.failure ?? "cannot write the TIFF directory")
    }
  }

  /// The unsigned integer of `bytes` in the file's byte order.
  func value(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var v: UInt64 = 0
    if littleEndian {
      for b in bytes.reversed() { v = v << 8 | UInt64(b) }
    } else {
      for b in bytes { v = v << 8 | UInt64(b) }
    }
    return v
  }

  /// Stores `value` as `count` bytes in the file's byte order at `index` of `bytes`.
  func store(_ value: UInt64, count: Int, in bytes: inout [UInt8], at index: Int) {
    for i in 0..<count {
      bytes[index + i] = UInt8(
        truncatingIfNeeded: value >> (8 * (littleEndian ? i : count - 1 - i)))
    }
  }

  /// The number of entries of the IFD at `directory`.
  func entryCount(_ directory: UInt64) throws -> Int {
    Int(value(try read(at: directory, count: countBytes)[...]))
  }

  /// Where the next-IFD offset of the IFD at `directory` with `entries` entries lies.
  func nextPointerOffset(_ directory: UInt64, entries: Int) -> UInt64 {
    directory + UInt64(countBytes + entries * entryBytes)
  }

  /// The offsets of the file's IFDs in chain order (the header's pointer, then each IFD's
  /// next pointer), `limit` at most.
  func directoryOffsets(limit: Int) throws -> [UInt64] {
    var offsets: [UInt64] = []
    var next = value(try read(at: isBigTIFF ? 8 : 4, count: word)[...])
    while next != 0 && offsets.count < limit {
      offsets.append(next)
      let at = nextPointerOffset(next, entries: try entryCount(next))
      next = value(try read(at: at, count: word)[...])
    }
    return offsets
  }
}
