/// An input of a dc tool (design.md, "Inputs"): a path, or `-`/nil for stdin (a pipe is
/// spooled so it can be read at any offset; so is a named pipe such as `<(cmd)`). The
/// format comes from the magic bytes only — TIFF, PNG, NPY or NPZ — and the content is
/// seen as named arrays: the members of an NPZ, or one array named `arr_0` for the
/// single-array formats, as numpy names positional arrays.
public final class InputFile {
  /// The path, or `-` for stdin: what error messages name.
  public let subject: String
  /// The format found from the magic bytes.
  public let format: FileFormat
  /// Lines for the tool to print (skipped object arrays of an NPZ; how a TIFF's
  /// description was read, e.g. an OME-TIFF's skipped series).
  public let warnings: [String]

  private let file: RandomAccessFile
  private let npz: NPZReader?
  /// A TIFF's reader, opened to learn its warnings and handed out by the first
  /// ``stackReader(name:)`` call.
  private var openedTIFF: StackReader? = nil
  /// The first page's ImageDescription of a TIFF input.
  private var tiffDescription: String? = nil

  /// The name single-array formats give their array.
  public static let singleArrayName = "arr_0"

  /// Opens `path` (nil or `-`: stdin) and identifies its format. Throws `noInput` for a
  /// missing or unreadable file or a directory, `badData` for an empty file, unknown
  /// magic bytes or a malformed NPY/NPZ directory.
  public convenience init(path: String?) throws {
    try self.init(path: path, standardInput: 0)
  }

  /// As ``init(path:)`` with another descriptor standing for stdin (tests).
  init(path: String?, standardInput: Int32) throws {
    if let path, path != "-" {
      file = try StdinSpool.open(path: path)
      subject = path
    } else {
      file = try StdinSpool.open(descriptor: standardInput)
      subject = "-"
    }
    guard file.size > 0 else { throw DeepCellError(.badData, subject, "empty file") }
    guard let format = FileFormat.sniff(try file.read(at: 0, count: min(16, file.size))) else {
      throw DeepCellError(.badData, subject, "not a TIFF, PNG, NPY or NPZ file")
    }
    self.format = format
    switch format {
    case .npz:
      let reader = try NPZReader(file: file)
      npz = reader
      warnings = reader.warnings
    case .npy:
      let header = try NPY.readHeader(file)
      guard header.dataBytes <= file.size - header.dataOffset else {
        throw DeepCellError(
          .badData, subject,
          "truncated NPY data (\(file.size - header.dataOffset) of \(header.dataBytes) bytes)")
      }
      npz = nil
      warnings = []
    case .tiff, .omeTIFF:
      npz = nil
      let reader = try ImageFormatDispatch.tiffStackReader(path: file.accessPath, subject: subject)
      openedTIFF = reader
      let tiff = ((reader as? RenamingStackReader)?.inner ?? reader) as? TIFFStackReader
      warnings = tiff?.layoutWarnings ?? []
      tiffDescription = tiff?.imageDescription
    case .png:
      npz = nil
      warnings = []
    }
  }

  /// The array names: NPZ members in archive order, else `["arr_0"]`.
  public var arrayNames: [String] { npz?.names ?? [InputFile.singleArrayName] }

  /// The name `name` stands for: nil means `X` when present, else the first array.
  /// Throws `badData` ("no array 'NAME' in FILE") when there is no such array.
  public func resolve(_ name: String?) throws -> String {
    let names = arrayNames
    if let name {
      guard names.contains(name) else {
        throw DeepCellError(.badData, subject, "no array '\(name)' in \(subject)")
      }
      return name
    }
    if names.contains(ArrayName.image) { return ArrayName.image }
    guard let first = names.first else {
      throw DeepCellError(.badData, subject, "no readable array in \(subject)")
    }
    return first
  }

  /// Frame-by-frame access to array `name` (nil: `X`, else the first array), dispatched
  /// to the TIFF, PNG, NPY or NPZ reader. Throws `badData` for a missing array, an array
  /// that is not a stack of rank 2–4, or an empty stack.
  public func stackReader(name: String? = nil) throws -> StackReader {
    let resolved = try resolve(name)
    switch format {
    case .npz: return try npz!.stackReader(resolved)
    case .npy: return try NPYStackReader(file: file)
    case .tiff, .omeTIFF:
      if let reader = openedTIFF {
        openedTIFF = nil
        return reader
      }
      return try ImageFormatDispatch.tiffStackReader(path: file.accessPath, subject: subject)
    case .png:
      return try ArrayStackReader(
        ImageFormatDispatch.decodePNG(
          try file.read(at: 0, count: file.size), subject: subject), subject: subject)
    }
  }

  /// The record of what the dc tools did to this file's data (``StackProvenance``): the
  /// `dc_tools.json` member of an NPZ or the `dc_tools` entry of a TIFF's description; nil
  /// when there is none (files from elsewhere, NPY, PNG). Throws `badData` when the record
  /// is malformed.
  public func provenance() throws -> StackProvenance? {
    switch format {
    case .npz:
      guard let npz, npz.memberNames.contains(StackProvenance.npzMember) else { return nil }
      return try StackProvenance.decode(
        try npz.readMember(StackProvenance.npzMember), subject: subject)
    case .tiff, .omeTIFF:
      guard let text = tiffDescription else { return nil }
      return try StackProvenance.parse(description: text, subject: subject)
    case .npy, .png:
      return nil
    }
  }

  /// Reads array `name` (nil: `X`, else the first array) whole: NPY/NPZ arrays keep their
  /// shape; TIFF and PNG give a (frames, height, width, channels) stack. Throws `io` before
  /// reading when the decoded array would not fit `budget` beside what it holds.
  public func readArray(name: String? = nil, budget: MemoryBudget = .process) throws -> NDArray {
    let resolved = try resolve(name)
    let what = "\(subject): \(resolved)"
    switch format {
    case .npz:
      try budget.check(try npz!.header(resolved).dataBytes, for: what)
      return try npz!.readArray(resolved)
    case .npy:
      try budget.check(try NPY.readHeader(file).dataBytes, for: what)
      return try NPY.readArray(file)
    case .tiff, .omeTIFF, .png:
      let reader = try stackReader(name: resolved)
      try budget.check(
        byteCount([reader.frameCount, reader.dtype.size] + reader.frameShape) ?? .max, for: what)
      return try reader.readAll()
    }
  }

  /// Reads every array, in order.
  public func readBundle() throws -> ArrayBundle {
    if let npz { return try npz.readAll() }
    return ArrayBundle([(InputFile.singleArrayName, try readArray())])
  }

  /// The raw bytes of an NPZ member that is not an array (e.g. `model.json`).
  public func readMember(_ memberName: String) throws -> [UInt8] {
    guard let npz else {
      throw DeepCellError(
        .badData, subject, "no member '\(memberName)' in \(subject) (not an NPZ file)")
    }
    return try npz.readMember(memberName)
  }
}
