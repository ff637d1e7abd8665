/// Reads the uncompressed bytes of one ZIP member by offset: stored members (method 0)
/// straight from the file, deflated ones (method 8) by inflating forward, restarting from
/// the beginning when asked for an earlier offset. Bytes read in sequence from offset 0
/// are checksummed; reaching the end checks the CRC-32 the directory records.
final class ZipMemberReader {
  let entry: ZipEntry
  private let file: RandomAccessFile
  private let dataStart: Int
  /// `FILE: member 'NAME'`-style subject for errors.
  let subject: String
  private var inflater: RawInflater?
  /// How far the sequential stream (and its running CRC) has advanced.
  private(set) var position = 0
  private var crc: UInt32 = 0
  private var verified = false
  private var compressedConsumed = 0
  private var input = [UInt8]()
  private var inputStart = 0
  private var inputEnd = 0

  init(entry: ZipEntry, file: RandomAccessFile) throws {
    self.entry = entry
    self.file = file
    subject = file.subject
    if entry.flags & ZipRecord.flagEncrypted != 0 {
      throw DeepCellError(.badData, subject, "member '\(entry.name)' is encrypted")
    }
    switch entry.method {
    case ZipRecord.methodStored:
      guard entry.compressedSize == entry.uncompressedSize else {
        throw DeepCellError(
          .badData, subject, "stored member '\(entry.name)' has inconsistent sizes")
      }
    case ZipRecord.methodDeflated:
      // Deflate cannot expand data more than 1032:1; larger claims are corrupt.
      guard entry.uncompressedSize / 1032 <= entry.compressedSize + 1 else {
        throw DeepCellError(.badData, subject, "member '\(entry.name)' claims an impossible size")
      }
      inflater = try RawInflater()
    default:
      throw DeepCellError(
        .badData, subject,
        "member '\(entry.name)' uses unsupported compression method \(entry.method)")
    }
    dataStart = try ZipCentralDirectory.dataOffset(of: entry, in: file)
  }

  /// Uncompressed member size.
  var size: Int { entry.uncompressedSize }

  /// The `count` bytes at uncompressed `offset`.
  func read(at offset: Int, count: Int) throws -> [UInt8] {
    try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
      initialized = count
    }
  }

  /// Fills `buffer` with the bytes at uncompressed `offset`. Throws `badData` when the
  /// member is shorter, its deflate stream is corrupt or its CRC-32 does not match.
  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
    let count = buffer.count
    guard offset >= 0, offset <= size, count <= size - offset else {
      throw DeepCellError(.badData, subject, "member '\(entry.name)' is truncated (\(size) bytes)")
    }
    if inflater == nil {
      try file.read(at: dataStart + offset, into: buffer)
      if offset == position {
        advance(over: UnsafeRawBufferPointer(buffer))
        try verifyIfComplete()
      }
      return
    }
    if offset < position { restart() }
    if offset > position {
      var scratch = [UInt8](repeating: 0, count: min(offset - position, 1 << 20))
      while position < offset {
        let n = min(scratch.count, offset - position)
        try scratch.withUnsafeMutableBytes {
          try inflateSequential(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]))
        }
      }
    }
    try inflateSequential(into: buffer)
  }

  /// Reads whatever is left of the member in sequence and checks its CRC-32 (a no-op when
  /// already checked). Readers call it after the last frame so trailing bytes count too.
  func verifyToEnd() throws {
    guard !verified, position < size || size == 0 else { return }
    if size == 0 {
      try verifyIfComplete()
      return
    }
    var scratch = [UInt8](repeating: 0, count: min(size - position, 1 << 20))
    while position < size {
      let n = min(scratch.count, size - position)
      if inflater == nil {
        let start = position
        try scratch.withUnsafeMutableBytes {
          try read(at: start, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]))
        }
      } else {
        try scratch.withUnsafeMutableBytes {
          try inflateSequential(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]))
        }
      }
    }
  }

  private func restart() {
    inflater?.reset()
    position = 0
    crc = 0
    compressedConsumed = 0
    inputStart = 0
    inputEnd = 0
  }

  private func advance(over bytes: UnsafeRawBufferPointer) {
    crc = crc32Update(crc, bytes)
    position += bytes.count
  }

  private func verifyIfComplete() throws {
    guard position == size, !verified else { return }
    verified = true
    guard crc == entry.crc32 else {
      throw DeepCellError(
        .badData, subject, "CRC-32 mismatch in member '\(entry.name)' (data corrupt)")
    }
  }

  /// Inflates exactly `buffer.count` bytes at the current position.
  private func inflateSequential(into buffer: UnsafeMutableRawBufferPointer) throws {
    guard let inflater else { return }
    var produced = 0
    while produced < buffer.count {
      if inputStart == inputEnd && compressedConsumed < entry.compressedSize {
        // small first reads for headers, then up to 256 KiB at a time
        let n = min(max(4096, min(compressedConsumed, 1 << 18)), entry.compressedSize - compressedConsumed)
        if input.count < n { input = [UInt8](repeating: 0, count: n) }
        try input.withUnsafeMutableBytes {
          try file.read(
            at: dataStart + compressedConsumed,
            into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]))
        }
        compressedConsumed += n
        inputStart = 0
        inputEnd = n
      }
      let (consumed, made) = try input.withUnsafeBytes { inBytes in
        try inflater.inflate(
          UnsafeRawBufferPointer(rebasing: inBytes[inputStart..<inputEnd]),
          into: UnsafeMutableRawBufferPointer(rebasing: buffer[produced...]), subject: subject)
      }
      inputStart += consumed
      if made > 0 {
        advance(over: UnsafeRawBufferPointer(rebasing: buffer[produced..<(produced + made)]))
      }
      produced += made
      if made == 0 && consumed == 0 {
        if inflater.finished {
          throw DeepCellError(
            .badData, subject, "member '\(entry.name)' is shorter than the directory says")
        }
        if inputStart == inputEnd && compressedConsumed >= entry.compressedSize {
          throw DeepCellError(
            .badData, subject, "truncated deflate stream in member '\(entry.name)'")
        }
        throw DeepCellError(.badData, subject, "corrupt deflate stream in member '\(entry.name)'")
      }
    }
    try verifyIfComplete()
  }
}
