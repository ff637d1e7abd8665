import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Buffered, position-counting output to a file descriptor: the byte sink of the NPZ and
/// NPY writers. On a seekable file, already written bytes can be patched in place
/// (ZIP local headers get their CRC and sizes after the data); a pipe can only be appended.
final class FileSink {
  /// The open descriptor.
  let descriptor: Int32
  /// Output name for error messages.
  let subject: String
  /// Whether ``patch(at:_:)`` is possible (a regular file).
  let isSeekable: Bool
  /// Bytes accepted so far (relative to where the sink started).
  private(set) var position: UInt64 = 0
  private let base: off_t
  private var buffer: [UInt8] = []
  private let capacity = 1 << 20
  private let ownsDescriptor: Bool
  private var closed = false

  /// Wraps `fd`; seekability is probed with `fstat` + `lseek`.
  init(descriptor fd: Int32, subject: String, owns: Bool) {
    descriptor = fd
    self.subject = subject
    ownsDescriptor = owns
    var info = stat()
    let regular = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    let offset = lseek(fd, 0, SEEK_CUR)
    isSeekable = regular && offset >= 0
    base = isSeekable ? offset : 0
    buffer.reserveCapacity(capacity)
  }

  deinit { if ownsDescriptor && !closed { closeDescriptor(descriptor) } }

  /// Appends bytes.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    if bytes.count >= capacity {
      try flush()
      try writeFully(bytes)
    } else {
      if buffer.count + bytes.count > capacity { try flush() }
      buffer.append(contentsOf: bytes)
    }
    position += UInt64(bytes.count)
  }

  /// Appends bytes.
  func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  /// Writes everything buffered to the descriptor.
  func flush() throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try writeFully($0) }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Overwrites already written bytes at `position` (seekable sinks only).
  func patch(at offset: UInt64, _ bytes: [UInt8]) throws {
    precondition(isSeekable, "patching a non-seekable sink")
    try flush()
    try bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let n = pwrite(
          descriptor, raw.baseAddress! + done, raw.count - done, base + off_t(offset) + off_t(done))
        if n < 0 {
          if errno == EINTR { continue }
          throw DeepCellError(.io, subject, "write failed: \(systemErrorText(errno))")
        }
        done += n
      }
    }
  }

  /// Flushes and closes an owned descriptor.
  func close() throws {
    try flush()
    if ownsDescriptor && !closed {
      closed = true
      if closeDescriptor(descriptor) != 0 && errno != EINTR {
        throw DeepCellError(.io, subject, "close failed: \(systemErrorText(errno))")
      }
    }
  }

  /// Drops buffered bytes and closes an owned descriptor without reporting errors.
  func discard() {
    buffer.removeAll()
    if ownsDescriptor && !closed {
      closed = true
      closeDescriptor(descriptor)
    }
  }

  private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
      let n = writeDescriptor(
        descriptor, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
      if n < 0 {
        if errno == EINTR { continue }
        throw DeepCellError(.io, subject, "write failed: \(systemErrorText(errno))")
      }
      done += n
    }
  }
}
