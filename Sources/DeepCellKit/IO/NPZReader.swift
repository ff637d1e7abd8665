import Foundation

/// Reads an `.npz` archive (spec/io.md §3): a ZIP file whose members `NAME.npy` hold the
/// arrays, stored (`np.savez`) or deflated (`np.savez_compressed`), with Zip64 records,
/// data descriptors and members past 4 GiB. Only the central directory is trusted.
///
/// Object (pickled) members such as DeepCell's `meta` are skipped: they are left out of
/// ``names`` and described in ``warnings`` for the caller to print.
public final class NPZReader {
  /// The path (or `-`) used in error messages.
  public let subject: String
  /// The readable arrays in archive order (member names without `.npy`).
  public private(set) var names: [String] = []
  /// Every member name in the archive, e.g. `X.npy`, `model.json`.
  public private(set) var memberNames: [String] = []
  /// One line per skipped member, e.g. `skipped array 'meta': object array …`.
  public private(set) var warnings: [String] = []

  private let file: RandomAccessFile
  private var entries: [String: ZipEntry] = [:]
  private var headers: [String: NPY.Header] = [:]

  /// Opens the archive at `path`. Throws `noInput` when it cannot be opened and
  /// `badData` when it is not a readable NPZ archive.
  public convenience init(path: String) throws {
    try self.init(file: RandomAccessFile(path: path))
  }

  /// Opens the archive in an open file (used by ``InputFile`` for stdin).
  init(file: RandomAccessFile) throws {
    self.file = file
    subject = file.subject
    var order: [String] = []
    for entry in try ZipCentralDirectory.read(file) {
      if entries[entry.name] == nil { order.append(entry.name) }
      entries[entry.name] = entry  // a repeated name: the last one wins, as in np.load
    }
    memberNames = order
    for member in order where member.hasSuffix(".npy") {
      let name = String(member.dropLast(4))
      do {
        headers[name] = try readHeader(of: entries[member]!)
        names.append(name)
      } catch let error as DeepCellError where error.reason.hasSuffix(NPY.objectArrayReason) {
        warnings.append("skipped array '\(name)': \(NPY.objectArrayReason)")
      }
    }
  }

  /// The header of array `name`. Throws `badData` when there is no such array.
  public func header(_ name: String) throws -> NPY.Header {
    guard let header = headers[name] else { throw missingArray(name) }
    return header
  }

  /// Reads array `name` whole (native byte order, C order), checking the member's CRC-32.
  public func readArray(_ name: String) throws -> NDArray {
    let header = try header(name)
    let member = try ZipMemberReader(entry: entries[name + ".npy"]!, file: file)
    _ = try member.read(at: 0, count: header.dataOffset)  // in sequence, for the checksum
    let data = try member.read(at: header.dataOffset, count: header.dataBytes)
    try member.verifyToEnd()
    return NPY.array(header: header, data: data)
  }

  /// Reads every readable array, in archive order.
  public func readAll() throws -> ArrayBundle {
    var bundle = ArrayBundle()
    for name in names { bundle[name] = try readArray(name) }
    return bundle
  }

  /// Frame-by-frame access to array `name` (rank 2–4, see ``StackLayout``): stored
  /// members are read at each frame's offset, deflated ones inflated in order.
  public func stackReader(_ name: String) throws -> StackReader {
    let header = try header(name)
    let subjectName = "\(subject): \(name)"
    if header.fortranOrder {
      return try ArrayStackReader(try readArray(name), subject: subjectName)
    }
    let member = try ZipMemberReader(entry: entries[name + ".npy"]!, file: file)
    return try NPZStackReader(member: member, header: header, subject: subjectName)
  }

  /// The raw bytes of any member (e.g. a model file's `model.json`), CRC-checked.
  public func readMember(_ memberName: String) throws -> [UInt8] {
    guard let entry = entries[memberName] else {
      throw DeepCellError(.badData, subject, "no member '\(memberName)' in \(subject)")
    }
    let member = try ZipMemberReader(entry: entry, file: file)
    let bytes = try member.read(at: 0, count: member.size)
    try member.verifyToEnd()
    return bytes
  }

  func missingArray(_ name: String) -> DeepCellError {
    DeepCellError(.badData, subject, "no array '\(name)' in \(subject)")
  }

  private func readHeader(of entry: ZipEntry) throws -> NPY.Header {
    let member = try ZipMemberReader(entry: entry, file: file)
    let what = "\(subject): member '\(entry.name)'"
    let preamble = try member.read(at: 0, count: min(12, member.size))
    let size = try NPY.headerSize(preamble: preamble, subject: what)
    guard size <= member.size else { throw DeepCellError(.badData, what, "truncated NPY header") }
    let header = try NPY.parseHeader(try member.read(at: 0, count: size), subject: what)
    guard header.dataBytes <= member.size - header.dataOffset else {
      throw DeepCellError(
        .badData, what,
        "truncated NPY data (\(member.size - header.dataOffset) of \(header.dataBytes) bytes)")
    }
    return header
  }
}

/// Streams the frames of one NPZ member; reading the frames in order reads the member
/// once and checks its CRC-32 at the last frame.
final class NPZStackReader: StackReader {
  private let member: ZipMemberReader
  private let header: NPY.Header
  private let layout: StackLayout
  private let lock = NSLock()

  init(member: ZipMemberReader, header: NPY.Header, subject: String) throws {
    layout = try StackLayout(shape: header.shape, subject: subject)
    self.member = member
    self.header = header
    _ = try member.read(at: 0, count: header.dataOffset)  // keeps the checksum sequential
  }

  var frameCount: Int { layout.frameCount }
  var frameShape: [Int] { layout.frameShape }
  var dtype: DType { header.dtype }

  func readFrame(_ index: Int) throws -> NDArray {
    guard index >= 0 && index < frameCount else {
      throw DeepCellError(.usage, member.subject, "frame \(index) out of range 0..<\(frameCount)")
    }
    let n = layout.frameBytes(header.dtype)
    lock.lock()
    defer { lock.unlock() }
    var bytes = try member.read(at: header.dataOffset + index * n, count: n)
    if index == frameCount - 1 && member.position == header.dataOffset + header.dataBytes {
      try member.verifyToEnd()
    }
    if header.bigEndian { NPY.swapByteOrder(&bytes, elementSize: header.dtype.size) }
    return NDArray(shape: frameShape, dtype: dtype, bytes: bytes)
  }
}
