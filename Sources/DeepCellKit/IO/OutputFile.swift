import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An output of a dc tool (design.md, "Outputs"): a path, or `-`/nil for stdout. Writers
/// write to ``temporaryPath`` (`.NAME.tmp-XXXXXX` beside the destination, or a file in
/// `$TMPDIR` for stdout); ``commit()`` renames it into place (or copies it to stdout), and
/// ``abort()`` — or dropping the object uncommitted — removes it, so a failed run never
/// leaves a truncated file behind. An existing destination that is no regular file (a
/// device such as `/dev/null`, a named pipe) is written into at commit, never replaced.
public final class OutputFile {
  /// The destination path, nil for stdout.
  public let path: String?
  /// The path, or `-` for stdout: what error messages name.
  public let subject: String
  /// The format to write: `--format`, else the path's extension, else TIFF for one
  /// array and NPZ for several.
  public let format: FileFormat
  /// Where writers write; renamed (or copied to stdout) by ``commit()``.
  public let temporaryPath: String
  private var settled = false
  private let standardOutput: Int32
  /// The destination exists and is no regular file (a device such as `/dev/null`, a named
  /// pipe): it is written into at commit, never replaced by a rename.
  private let destinationIsSpecial: Bool

  /// Prepares the output `path` (nil or `-`: stdout) with `format` when given, else the
  /// extension, else by `arrayCount`. Throws `cannotCreate` naming the output when its
  /// folder is missing or unwritable, or when the path is a directory.
  public convenience init(path: String?, format: FileFormat? = nil, arrayCount: Int = 1) throws {
    try self.init(path: path, format: format, arrayCount: arrayCount, standardOutput: 1)
  }

  /// As ``init(path:format:arrayCount:)`` with another descriptor standing for stdout (tests).
  init(path: String?, format: FileFormat?, arrayCount: Int, standardOutput: Int32) throws {
    let destination = (path == nil || path == "-") ? nil : path
    self.path = destination
    subject = destination ?? "-"
    self.standardOutput = standardOutput
    self.format =
      format ?? destination.flatMap(FileFormat.fromExtension) ?? (arrayCount > 1 ? .npz : .tiff)
    let template: String
    var info = stat()
    let existing = destination.map { stat($0, &info) == 0 } ?? false
    let kind = info.st_mode & S_IFMT
    destinationIsSpecial = existing && kind != S_IFREG && kind != S_IFDIR
    if let destination, !destinationIsSpecial {
      if existing && kind == S_IFDIR {
        throw DeepCellError(.cannotCreate, destination, "is a directory")
      }
      let url = URL(fileURLWithPath: destination)
      let folder = url.deletingLastPathComponent().path
      template = "\(folder)/.\(url.lastPathComponent).tmp-XXXXXX"
    } else {
      let folder =
        ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
      template = "\(folder)/dc-stdout.tmp-XXXXXX"
    }
    var name = Array(template.utf8CString)
    let fd = name.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
      let folder = URL(fileURLWithPath: template).deletingLastPathComponent().path
      throw DeepCellError(
        .cannotCreate, subject, "cannot create a file in \(folder): \(systemErrorText(errno))")
    }
    let mask = umask(0o022)
    umask(mask)
    fchmod(fd, 0o666 & ~mask)  // mkstemp makes 0600; give the file the usual permissions
    closeDescriptor(fd)
    temporaryPath = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }

  deinit { abort() }

  /// Whether the destination is stdout.
  public var isStandardOutput: Bool { path == nil }

  /// Whether stdout is a pipe or terminal (not a regular file), where an NPZ may be
  /// streamed directly instead of through the temporary file.
  var standardOutputIsStream: Bool {
    var info = stat()
    return isStandardOutput && fstat(standardOutput, &info) == 0
      && (info.st_mode & S_IFMT) != S_IFREG
  }

  /// The descriptor standing for stdout.
  var standardOutputDescriptor: Int32 { standardOutput }

  /// Makes the written temporary file the output: renames it to the path, or copies it
  /// to stdout and removes it. Throws `cannotCreate` when the rename fails and `io` when
  /// copying fails; the temporary file is removed either way.
  public func commit() throws {
    guard !settled else { return }
    settled = true
    defer { unlink(temporaryPath) }
    if let path, !destinationIsSpecial {
      guard rename(temporaryPath, path) == 0 else {
        throw DeepCellError(.cannotCreate, path, systemErrorText(errno))
      }
      return
    }
    var target = standardOutput
    if let path {
      target = open(path, O_WRONLY | O_CLOEXEC)
      guard target >= 0 else {
        throw DeepCellError(.cannotCreate, path, systemErrorText(errno))
      }
    }
    defer { if target != standardOutput { closeDescriptor(target) } }
    let fd = open(temporaryPath, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw DeepCellError(.io, subject, "cannot reopen temporary file: \(systemErrorText(errno))")
    }
    defer { closeDescriptor(fd) }
    let sink = FileSink(descriptor: target, subject: subject, owns: false)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw DeepCellError(.io, subject, "read failed: \(systemErrorText(errno))")
      }
      if n == 0 { break }
      try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    try sink.flush()
  }

  /// Marks an output written directly to stdout (an NPZ streamed through a pipe):
  /// the temporary file is removed and ``commit()`` has nothing left to do.
  func settleWrittenDirectly() {
    guard !settled else { return }
    settled = true
    unlink(temporaryPath)
  }

  /// Removes the temporary file; the destination is left untouched. Safe to call twice.
  public func abort() {
    guard !settled else { return }
    settled = true
    unlink(temporaryPath)
  }
}
