/// One member of a ZIP archive as its central directory describes it (APPNOTE §4.3.12,
/// with Zip64 values from §4.5.3 substituted for 0xFFFFFFFF placeholders).
struct ZipEntry {
  /// The member's file name (UTF-8 when flag bit 11 is set, else taken as UTF-8/ASCII).
  var name: String
  var flags: UInt16
  var method: UInt16
  var crc32: UInt32
  var compressedSize: Int
  var uncompressedSize: Int
  var localHeaderOffset: Int
}

/// Reads the member list of a ZIP archive from its central directory, the only record
/// the NPZ reader trusts (spec/io.md §3): finds the end-of-central-directory record, and
/// the Zip64 end record through its locator when present (APPNOTE §4.3.14–16).
enum ZipCentralDirectory {
  /// The members of the archive in `file`, in directory order. Throws `badData` for a
  /// file that is not a complete, single-part ZIP archive.
  static func read(_ file: RandomAccessFile) throws -> [ZipEntry] {
    let subject = file.subject
    let eocdSize = ZipRecord.endOfCentralDirectorySize
    guard file.size >= eocdSize else {
      throw DeepCellError(.badData, subject, "truncated NPZ (too short for a ZIP archive)")
    }
    // The end record sits in the last 22 + 65535 (comment) bytes.
    let tailLength = min(file.size, eocdSize + 0xFFFF)
    let tailStart = file.size - tailLength
    let tail = try file.read(at: tailStart, count: tailLength)
    var eocd = -1
    var i = tail.count - eocdSize
    while i >= 0 {
      if tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06 {
        let commentLength = Int(tail[i + 20]) | Int(tail[i + 21]) << 8
        if i + eocdSize + commentLength <= tail.count {
          eocd = i
          break
        }
      }
      i -= 1
    }
    guard eocd >= 0 else {
      throw DeepCellError(
        .badData, subject, "truncated NPZ or not a ZIP archive (no end of central directory)")
    }
    var r = LittleEndianReader(tail, offset: eocd + 4)
    let disk = r.u16()
    let directoryDisk = r.u16()
    _ = r.u16()
    var entryCount = UInt64(r.u16())
    var directorySize = UInt64(r.u32())
    var directoryOffset = UInt64(r.u32())
    var directoryEnd = tailStart + eocd
    guard disk == 0 && directoryDisk == 0 else {
      throw DeepCellError(.badData, subject, "multi-part ZIP archives are not supported")
    }

    // Zip64: a locator right before the end record points at the Zip64 end record.
    let locatorSize = ZipRecord.zip64LocatorSize
    let eocdAbsolute = tailStart + eocd
    if eocdAbsolute >= locatorSize {
      let locator = try file.read(at: eocdAbsolute - locatorSize, count: locatorSize)
      var l = LittleEndianReader(locator)
      if l.u32() == ZipRecord.zip64LocatorSignature {
        _ = l.u32()
        let recordOffset = try checkedInt(
          l.u64(), limit: eocdAbsolute - locatorSize, subject, "Zip64 end record offset")
        guard recordOffset + ZipRecord.zip64EndOfCentralDirectorySize <= eocdAbsolute - locatorSize
        else {
          throw DeepCellError(.badData, subject, "bad Zip64 end of central directory locator")
        }
        let record = try file.read(
          at: recordOffset, count: ZipRecord.zip64EndOfCentralDirectorySize)
        var z = LittleEndianReader(record)
        guard z.u32() == ZipRecord.zip64EndOfCentralDirectorySignature else {
          throw DeepCellError(.badData, subject, "bad Zip64 end of central directory record")
        }
        _ = z.u64()  // record size
        _ = z.u16()  // version made by
        _ = z.u16()  // version needed
        let disk64 = z.u32()
        let directoryDisk64 = z.u32()
        _ = z.u64()
        guard disk64 == 0 && directoryDisk64 == 0 else {
          throw DeepCellError(.badData, subject, "multi-part ZIP archives are not supported")
        }
        entryCount = z.u64()
        directorySize = z.u64()
        directoryOffset = z.u64()
        directoryEnd = recordOffset
      }
    }

    let size = try checkedInt(directorySize, limit: directoryEnd, subject, "central directory size")
    let offset = try checkedInt(
      directoryOffset, limit: directoryEnd - size, subject, "central directory offset")
    guard entryCount <= UInt64(size / ZipRecord.centralHeaderSize) else {
      throw DeepCellError(
        .badData, subject, "central directory too small for \(entryCount) entries")
    }
    let directory = try file.read(at: offset, count: size)
    var entries = [ZipEntry]()
    entries.reserveCapacity(Int(entryCount))
    var d = LittleEndianReader(directory)
    for _ in 0..<Int(entryCount) {
      guard d.remaining >= ZipRecord.centralHeaderSize, d.u32() == ZipRecord.centralHeaderSignature
      else {
        throw DeepCellError(.badData, subject, "corrupt central directory")
      }
      _ = d.u16()  // version made by
      _ = d.u16()  // version needed
      let flags = d.u16()
      let method = d.u16()
      _ = d.u16()  // time
      _ = d.u16()  // date
      let crc = d.u32()
      var compressed = UInt64(d.u32())
      var uncompressed = UInt64(d.u32())
      let nameLength = Int(d.u16())
      let extraLength = Int(d.u16())
      let commentLength = Int(d.u16())
      let startDisk = d.u16()
      _ = d.u16()  // internal attributes
      _ = d.u32()  // external attributes
      var localOffset = UInt64(d.u32())
      guard d.remaining >= nameLength + extraLength + commentLength else {
        throw DeepCellError(.badData, subject, "corrupt central directory")
      }
      let nameBytes = Array(directory[d.offset..<(d.offset + nameLength)])
      d.offset += nameLength
      let extraEnd = d.offset + extraLength
      while d.offset + 4 <= extraEnd {
        let id = d.u16()
        let length = Int(d.u16())
        guard d.offset + length <= extraEnd else {
          throw DeepCellError(.badData, subject, "corrupt extra field in central directory")
        }
        let next = d.offset + length
        if id == ZipRecord.zip64ExtraID {
          var available = length
          func take() throws -> UInt64 {
            guard available >= 8 else {
              throw DeepCellError(.badData, subject, "Zip64 extra field is missing a value")
            }
            available -= 8
            return d.u64()
          }
          if uncompressed == 0xFFFF_FFFF { uncompressed = try take() }
          if compressed == 0xFFFF_FFFF { compressed = try take() }
          if localOffset == 0xFFFF_FFFF { localOffset = try take() }
        }
        d.offset = next
      }
      d.offset = extraEnd + commentLength
      guard startDisk == 0 || startDisk == 0xFFFF else {
        throw DeepCellError(.badData, subject, "multi-part ZIP archives are not supported")
      }
      let name = String(decoding: nameBytes, as: UTF8.self)
      entries.append(
        ZipEntry(
          name: name, flags: flags, method: method, crc32: crc,
          compressedSize: try checkedInt(compressed, limit: file.size, subject, "member size"),
          uncompressedSize: try checkedInt(
            uncompressed, limit: Int(Int64.max / 2), subject, "member size"),
          localHeaderOffset: try checkedInt(localOffset, limit: offset, subject, "member offset")))
    }
    return entries
  }

  /// `value` as Int when it is at most `limit`, else `badData`.
  static func checkedInt(_ value: UInt64, limit: Int, _ subject: String, _ what: String) throws
    -> Int
  {
    guard limit >= 0, value <= UInt64(limit) else {
      throw DeepCellError(.badData, subject, "bad \(what) in ZIP directory")
    }
    return Int(value)
  }

  /// The offset of `entry`'s data: after its local header, name and extra field, whose
  /// lengths only the local header knows (APPNOTE §4.3.7).
  static func dataOffset(of entry: ZipEntry, in file: RandomAccessFile) throws -> Int {
    let header = try file.read(at: entry.localHeaderOffset, count: ZipRecord.localHeaderSize)
    var r = LittleEndianReader(header)
    guard r.u32() == ZipRecord.localHeaderSignature else {
      throw DeepCellError(.badData, file.subject, "member '\(entry.name)' has no local header")
    }
    r.offset = 26
    let start = entry.localHeaderOffset + ZipRecord.localHeaderSize + Int(r.u16()) + Int(r.u16())
    guard start <= file.size, entry.compressedSize <= file.size - start else {
      throw DeepCellError(
        .badData, file.subject, "truncated NPZ (member '\(entry.name)' runs past the end)")
    }
    return start
  }
}
