import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A read-only file read at explicit offsets (`pread`), so headers, directories and frames
/// can be fetched in any order without loading the file: the byte source of the NPY and
/// NPZ readers and of ``InputFile``.
final class RandomAccessFile {
  /// The open descriptor.
  let descriptor: Int32
  /// File size in bytes at open.
  let size: Int
  /// The name used in error messages (the path, or `-` for stdin).
  let subject: String
  /// A path that opens this same file, for readers that take paths (libtiff, libpng);
  /// for stdin or a spooled, already unlinked file it is the descriptor's `/proc` link.
  let accessPath: String
  private let ownsDescriptor: Bool

  /// Opens `path` for reading. Throws `noInput` when it is missing, unreadable or a
  /// directory.
  init(path: String, subject: String? = nil) throws {
    let name = subject ?? path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw RandomAccessFile.openError(errno, name) }
    do {
      size = try RandomAccessFile.regularFileSize(fd, subject: name)
    } catch {
      close(fd)
      throw error
    }
    descriptor = fd
    self.subject = name
    accessPath = path
    ownsDescriptor = true
  }

  /// Wraps an open descriptor of a regular file; closes it at deinit when `owns`.
  init(descriptor fd: Int32, subject: String, owns: Bool) throws {
    size = try RandomAccessFile.regularFileSize(fd, subject: subject)
    descriptor = fd
    self.subject = subject
    ownsDescriptor = owns
    #if os(Linux)
      accessPath = "/proc/self/fd/\(fd)"
    #else
      accessPath = "/dev/fd/\(fd)"
    #endif
  }

  deinit {
    if ownsDescriptor { close(descriptor) }
  }

  static func regularFileSize(_ fd: Int32, subject: String) throws -> Int {
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw DeepCellError(.noInput, subject, systemErrorText(errno))
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      throw DeepCellError(.noInput, subject, "is a directory")
    }
    return Int(info.st_size)
  }

  static func openError(_ code: Int32, _ subject: String) -> DeepCellError {
    switch code {
    case ENOENT: return DeepCellError(.noInput, subject, "no such file")
    case EACCES: return DeepCellError(.noInput, subject, "permission denied")
    case EISDIR: return DeepCellError(.noInput, subject, "is a directory")
    default: return DeepCellError(.noInput, subject, systemErrorText(code))
    }
  }

  /// Fills `buffer` with the bytes at `offset`. Throws `badData` ("truncated") when the
  /// file ends first and `io` when the read fails.
  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
    let count = buffer.count
    guard offset >= 0, offset <= size, count <= size - offset else {
      throw DeepCellError(
        .badData, subject, "truncated file (needs \(offset) + \(count) bytes, has \(size))")
    }
    var done = 0
    while done < count {
      let n = pread(
        descriptor, buffer.baseAddress! + done, min(count - done, 1 << 30), off_t(offset + done))
      if n < 0 {
        if errno == EINTR { continue }
        throw DeepCellError(.io, subject, "read failed: \(systemErrorText(errno))")
      }
      if n == 0 {
        throw DeepCellError(.badData, subject, "truncated file (ends at \(offset + done) bytes)")
      }
      done += n
    }
  }

  /// The `count` bytes at `offset` (see ``read(at:into:)``).
  func read(at offset: Int, count: Int) throws -> [UInt8] {
    guard count >= 0 else { throw DeepCellError(.badData, subject, "negative length") }
    guard offset >= 0, offset <= size, count <= size - offset else {
      throw DeepCellError(
        .badData, subject, "truncated file (needs \(offset) + \(count) bytes, has \(size))")
    }
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
      initialized = count
    }
  }
}

/// strerror text in lower case (`no space left on device`), for one-line error messages.
func systemErrorText(_ code: Int32) -> String {
  guard let text = strerror(code) else { return "error \(code)" }
  let s = String(cString: text)
  guard let first = s.first else { return s }
  return first.lowercased() + s.dropFirst()
}

/// `close(2)`, callable where a type has its own `close` method.
@discardableResult
func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }

/// `write(2)`, callable where a type has its own `write` method.
func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(fd, bytes, count)
}
