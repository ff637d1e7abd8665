import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes an `.npz` archive that `np.load` reads (spec/io.md §3): one `NAME.npy` member
/// per array, stored (method 0, as `np.savez`) or deflated (method 8, as
/// `np.savez_compressed`), CRC-32 always filled.
///
/// To a seekable file each local header carries numpy's forced Zip64 extra field and is
/// patched with the CRC and sizes after the data. To a pipe, flag bit 3 is set, the local
/// sizes and CRC are zero and a data descriptor follows the data (the Zip64 form when the
/// member may pass 4 GiB). Members or offsets past 4 GiB, or more than 65 534 members,
/// get Zip64 central-directory extras and the Zip64 end record with its locator.
public final class NPZWriter {
  /// The output name used in error messages (the path or `-`).
  public let subject: String
  private let sink: FileSink
  private let compressed: Bool
  private let removeOnAbort: String?
  private var deflater: RawDeflater?
  private var records: [CentralRecord] = []
  private var memberNames = Set<String>()
  private var current: OpenMember?
  private var state = State.open
  /// Sizes and offsets at or above this use Zip64 fields; tests lower it to exercise Zip64
  /// without writing 4 GiB.
  var zip64Limit: UInt64 = 0xFFFF_FFFF

  private enum State { case open, finished, aborted }

  private struct CentralRecord {
    var nameBytes: [UInt8]
    var flags: UInt16
    var method: UInt16
    var crc: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var offset: UInt64
  }

  private struct OpenMember {
    var record: CentralRecord
    var zip64Local: Bool
    var expectedSize: UInt64
  }

  /// Creates (or truncates) the archive at `path`. Throws `cannotCreate` when it cannot.
  public convenience init(path: String, compressed: Bool = false) throws {
    let fd = openEmptiedForWriting(path, flags: O_WRONLY | O_CLOEXEC, mode: mode_t(0o666))
    guard fd >= 0 else { throw DeepCellError(.cannotCreate, path, systemErrorText(errno)) }
    try self.init(
      sink: FileSink(descriptor: fd, subject: path, owns: true), compressed: compressed,
      removeOnAbort: path)
  }

  /// Writes the archive to an open descriptor, e.g. 1 for stdout; a pipe gets the
  /// streaming form with data descriptors. The descriptor is not closed.
  public convenience init(fileDescriptor: Int32, subject: String = "-", compressed: Bool = false)
    throws
  {
    try self.init(
      sink: FileSink(descriptor: fileDescriptor, subject: subject, owns: false),
      compressed: compressed, removeOnAbort: nil)
  }

  private init(sink: FileSink, compressed: Bool, removeOnAbort: String?) throws {
    self.sink = sink
    subject = sink.subject
    self.compressed = compressed
    self.removeOnAbort = removeOnAbort
    if compressed { deflater = try RawDeflater() }
  }

  deinit { if state == .open { abort() } }

  /// Writes array `name` as member `name.npy` (C order, little endian).
  public func write(_ name: String, _ array: NDArray) throws {
    let stream = try beginArray(name, shape: array.shape, dtype: array.dtype)
    try array.bytes.withUnsafeBytes { try stream.append(bytes: $0) }
    try stream.end()
  }

  /// Writes every array of `bundle` in order.
  public func write(_ bundle: ArrayBundle) throws {
    for (name, array) in bundle.entries { try write(name, array) }
  }

  /// Starts member `name.npy` holding an array of `shape` whose data is then appended
  /// frame by frame (C order along the first axis); ``NPZArrayStream/end()`` completes it.
  public func beginArray(_ name: String, shape: [Int], dtype: DType) throws -> NPZArrayStream {
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw DeepCellError(.usage, name, "negative extent in shape \(shape)")
    }
    let header = NPY.headerBytes(shape: shape, dtype: dtype)
    let dataBytes = shape.reduce(1, *) * dtype.size
    try beginMember(name + ".npy", size: UInt64(header.count + dataBytes))
    try header.withUnsafeBytes { try writeMemberData($0) }
    return NPZArrayStream(writer: self, name: name, shape: shape, dtype: dtype)
  }

  /// Writes a member with raw content, e.g. a model file's `model.json`.
  public func writeMember(_ memberName: String, bytes: [UInt8]) throws {
    try beginMember(memberName, size: UInt64(bytes.count))
    try bytes.withUnsafeBytes { try writeMemberData($0) }
    try endMember()
  }

  /// Writes the central directory and closes the archive. Throws `io` when writing fails.
  public func finish() throws {
    guard state == .open else {
      throw DeepCellError(
        .usage, subject, "archive already \(state == .finished ? "finished" : "aborted")")
    }
    if let current {
      throw DeepCellError(
        .usage, subject,
        "member '\(String(decoding: current.record.nameBytes, as: UTF8.self))' was not ended")
    }
    do {
      try writeCentralDirectory()
      try sink.close()
      state = .finished
    } catch {
      abort()
      throw error
    }
  }

  /// Stops writing; a file created by ``init(path:compressed:)`` is removed.
  public func abort() {
    guard state == .open else { return }
    state = .aborted
    sink.discard()
    if let removeOnAbort { unlink(removeOnAbort) }
  }

  // MARK: members

  private func beginMember(_ memberName: String, size: UInt64) throws {
    guard state == .open else { throw DeepCellError(.usage, subject, "archive is closed") }
    guard current == nil else { throw DeepCellError(.usage, subject, "a member is still open") }
    let nameBytes = Array(memberName.utf8)
    guard !nameBytes.isEmpty, nameBytes.count <= 0xFFFF else {
      throw DeepCellError(.usage, memberName, "bad member name")
    }
    guard memberNames.insert(memberName).inserted else {
      throw DeepCellError(.usage, subject, "duplicate array name '\(memberName)'")
    }
    var flags: UInt16 = nameBytes.contains { $0 >= 0x80 } ? ZipRecord.flagUTF8 : 0
    let streaming = !sink.isSeekable
    let zip64Local: Bool
    if streaming {
      flags |= ZipRecord.flagDataDescriptor
      // deflate's worst case adds 5 bytes per 16 KiB block plus a few
      let bound = compressed ? size + size / 3000 + 64 : size
      zip64Local = bound >= zip64Limit
    } else {
      zip64Local = true  // numpy's forced Zip64 local header
    }
    let record = CentralRecord(
      nameBytes: nameBytes, flags: flags,
      method: compressed ? ZipRecord.methodDeflated : ZipRecord.methodStored,
      crc: 0, compressedSize: 0, uncompressedSize: 0, offset: sink.position)
    var h = [UInt8]()
    h.appendLE(ZipRecord.localHeaderSignature)
    h.appendLE(UInt16(streaming && zip64Local ? 45 : 20))
    h.appendLE(flags)
    h.appendLE(record.method)
    h.appendLE(UInt16(0))
    h.appendLE(ZipRecord.dosDate1980)
    h.appendLE(UInt32(0))  // CRC-32, sizes: patched or in the data descriptor
    h.appendLE(UInt32(0))
    h.appendLE(UInt32(0))
    h.appendLE(UInt16(nameBytes.count))
    h.appendLE(UInt16(zip64Local ? 20 : 0))
    h += nameBytes
    if zip64Local {
      h.appendLE(ZipRecord.zip64ExtraID)
      h.appendLE(UInt16(16))
      h.appendLE(UInt64(0))
      h.appendLE(UInt64(0))
    }
    try sink.write(h)
    deflater?.reset()
    current = OpenMember(record: record, zip64Local: zip64Local, expectedSize: size)
  }

  fileprivate func writeMemberData(_ bytes: UnsafeRawBufferPointer) throws {
    guard current != nil else { throw DeepCellError(.usage, subject, "no member is open") }
    guard current!.record.uncompressedSize + UInt64(bytes.count) <= current!.expectedSize else {
      throw DeepCellError(.usage, subject, "more data than the array's shape holds")
    }
    current!.record.crc = crc32Update(current!.record.crc, bytes)
    current!.record.uncompressedSize += UInt64(bytes.count)
    if let deflater {
      var produced: UInt64 = 0
      try deflater.deflate(bytes, finish: false) { chunk in
        try sink.write(chunk)
        produced += UInt64(chunk.count)
      }
      current!.record.compressedSize += produced
    } else {
      try sink.write(bytes)
      current!.record.compressedSize += UInt64(bytes.count)
    }
  }

  fileprivate func endMember() throws {
    guard var member = current else { throw DeepCellError(.usage, subject, "no member is open") }
    guard member.record.uncompressedSize == member.expectedSize else {
      throw DeepCellError(
        .usage, subject,
        "member '\(String(decoding: member.record.nameBytes, as: UTF8.self))' got \(member.record.uncompressedSize) of \(member.expectedSize) bytes"
      )
    }
    if let deflater {
      var produced: UInt64 = 0
      try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { chunk in
        try sink.write(chunk)
        produced += UInt64(chunk.count)
      }
      member.record.compressedSize += produced
    }
    let r = member.record
    let large = r.compressedSize >= zip64Limit || r.uncompressedSize >= zip64Limit
    if sink.isSeekable {
      var fixed = [UInt8]()
      fixed.appendLE(UInt16(large ? 45 : 20))
      try sink.patch(at: r.offset + 4, fixed)
      var sizes = [UInt8]()
      sizes.appendLE(r.crc)
      sizes.appendLE(large ? 0xFFFF_FFFF : UInt32(r.compressedSize))
      sizes.appendLE(large ? 0xFFFF_FFFF : UInt32(r.uncompressedSize))
      try sink.patch(at: r.offset + 14, sizes)
      var extra = [UInt8]()
      extra.appendLE(r.uncompressedSize)
      extra.appendLE(r.compressedSize)
      try sink.patch(
        at: r.offset + UInt64(ZipRecord.localHeaderSize + r.nameBytes.count + 4), extra)
    } else {
      guard member.zip64Local || !large else {
        throw DeepCellError(.io, subject, "member grew past its Zip64 estimate")
      }
      var d = [UInt8]()
      d.appendLE(ZipRecord.dataDescriptorSignature)
      d.appendLE(r.crc)
      if member.zip64Local {
        d.appendLE(r.compressedSize)
        d.appendLE(r.uncompressedSize)
      } else {
        d.appendLE(UInt32(r.compressedSize))
        d.appendLE(UInt32(r.uncompressedSize))
      }
      try sink.write(d)
    }
    records.append(r)
    current = nil
  }

  private func writeCentralDirectory() throws {
    let directoryStart = sink.position
    for r in records {
      let bigUncompressed = r.uncompressedSize >= zip64Limit
      let bigCompressed = r.compressedSize >= zip64Limit
      let bigOffset = r.offset >= zip64Limit
      var extra = [UInt8]()
      if bigUncompressed { extra.appendLE(r.uncompressedSize) }
      if bigCompressed { extra.appendLE(r.compressedSize) }
      if bigOffset { extra.appendLE(r.offset) }
      if !extra.isEmpty { extra = [0x01, 0x00, UInt8(extra.count), 0x00] + extra }
      let version: UInt16 = extra.isEmpty ? 20 : 45
      var h = [UInt8]()
      h.appendLE(ZipRecord.centralHeaderSignature)
      h.appendLE(UInt16(3 << 8) | version)  // made by: Unix
      h.appendLE(version)
      h.appendLE(r.flags)
      h.appendLE(r.method)
      h.appendLE(UInt16(0))
      h.appendLE(ZipRecord.dosDate1980)
      h.appendLE(r.crc)
      h.appendLE(bigCompressed ? 0xFFFF_FFFF : UInt32(r.compressedSize))
      h.appendLE(bigUncompressed ? 0xFFFF_FFFF : UInt32(r.uncompressedSize))
      h.appendLE(UInt16(r.nameBytes.count))
      h.appendLE(UInt16(extra.count))
      h.appendLE(UInt16(0))  // comment
      h.appendLE(UInt16(0))  // disk
      h.appendLE(UInt16(0))  // internal attributes
      h.appendLE(UInt32(0o100644) << 16)  // regular file, rw-r--r--
      h.appendLE(bigOffset ? 0xFFFF_FFFF : UInt32(r.offset))
      h += r.nameBytes
      h += extra
      try sink.write(h)
    }
    let directorySize = sink.position - directoryStart
    let count = UInt64(records.count)
    let zip64 =
      count >= 0xFFFF || count >= zip64Limit || directorySize >= zip64Limit
      || directoryStart >= zip64Limit
    var e = [UInt8]()
    if zip64 {
      let recordOffset = sink.position
      e.appendLE(ZipRecord.zip64EndOfCentralDirectorySignature)
      e.appendLE(UInt64(ZipRecord.zip64EndOfCentralDirectorySize - 12))
      e.appendLE(UInt16(3 << 8 | 45))
      e.appendLE(UInt16(45))
      e.appendLE(UInt32(0))
      e.appendLE(UInt32(0))
      e.appendLE(count)
      e.appendLE(count)
      e.appendLE(directorySize)
      e.appendLE(directoryStart)
      e.appendLE(ZipRecord.zip64LocatorSignature)
      e.appendLE(UInt32(0))
      e.appendLE(recordOffset)
      e.appendLE(UInt32(1))
    }
    let shortCount: UInt16 = zip64 ? 0xFFFF : UInt16(count)
    e.appendLE(ZipRecord.endOfCentralDirectorySignature)
    e.appendLE(UInt16(0))
    e.appendLE(UInt16(0))
    e.appendLE(shortCount)
    e.appendLE(shortCount)
    e.appendLE(directorySize >= zip64Limit || zip64 ? 0xFFFF_FFFF : UInt32(directorySize))
    e.appendLE(directoryStart >= zip64Limit || zip64 ? 0xFFFF_FFFF : UInt32(directoryStart))
    e.appendLE(UInt16(0))
    try sink.write(e)
  }
}

/// One array being written into an ``NPZWriter`` frame by frame (spec/io.md §3): the
/// header is already written; ``append(_:)`` adds frames in order; ``end()`` checks that
/// the declared shape was filled and completes the member.
public final class NPZArrayStream {
  /// The array name (member `name.npy`).
  public let name: String
  /// The declared shape.
  public let shape: [Int]
  /// The declared dtype.
  public let dtype: DType
  private let writer: NPZWriter
  private let frameElements: Int

  fileprivate init(writer: NPZWriter, name: String, shape: [Int], dtype: DType) {
    self.writer = writer
    self.name = name
    self.shape = shape
    self.dtype = dtype
    frameElements = shape.dropFirst().reduce(1, *)
  }

  /// Appends the next frame: as many elements as one index of the first axis holds,
  /// converted to the declared dtype when it differs.
  public func append(_ frame: NDArray) throws {
    guard frame.count == frameElements else {
      throw DeepCellError(
        .usage, name,
        "frame of shape \(shapeText(frame.shape)) does not fit array of shape \(shapeText(shape))")
    }
    let typed = frame.dtype == dtype ? frame : frame.converted(to: dtype)
    try typed.bytes.withUnsafeBytes { try writer.writeMemberData($0) }
  }

  /// Appends raw little-endian C-order element bytes.
  public func append(bytes: UnsafeRawBufferPointer) throws {
    try writer.writeMemberData(bytes)
  }

  /// Completes the member; throws `usage` when fewer bytes than the shape holds came.
  public func end() throws {
    try writer.endMember()
  }
}
