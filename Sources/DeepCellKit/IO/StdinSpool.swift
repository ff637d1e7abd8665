import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Makes standard input readable at any offset (design.md, "Inputs": `-` or no path is
/// stdin): a regular file redirected to stdin is used in place; a pipe is copied in 1 MiB
/// chunks to a temporary file in `$TMPDIR` (or /tmp) that is unlinked at once, so memory
/// stays bounded, readers can seek, and nothing is left behind however the tool ends.
enum StdinSpool {
  /// The file at `path` for random access; a named pipe or device (a shell's `<(cmd)` gives
  /// `/dev/fd/63`) is spooled like stdin. Throws `noInput` as ``RandomAccessFile`` does.
  static func open(path: String) throws -> RandomAccessFile {
    let file = try RandomAccessFile(path: path)
    var info = stat()
    guard fstat(file.descriptor, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG else {
      return file
    }
    return try open(descriptor: file.descriptor, subject: path)
  }

  /// A random-access view of everything on `descriptor` (stdin by default).
  static func open(descriptor: Int32 = 0, subject: String = "-") throws -> RandomAccessFile {
    var info = stat()
    if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
      lseek(descriptor, 0, SEEK_CUR) == 0
    {
      return try RandomAccessFile(descriptor: descriptor, subject: subject, owns: false)
    }
    let folder =
      ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(folder)/dc-stdin.XXXXXX".utf8CString)
    let spool = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard spool >= 0 else {
      throw DeepCellError(
        .io, subject, "cannot spool the input to \(folder): \(systemErrorText(errno))")
    }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    do {
      var buffer = [UInt8](repeating: 0, count: 1 << 20)
      while true {
        let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        if n < 0 {
          if errno == EINTR { continue }
          throw DeepCellError(.io, subject, "read failed: \(systemErrorText(errno))")
        }
        if n == 0 { break }
        var done = 0
        while done < n {
          let w = buffer.withUnsafeBytes {
            writeDescriptor(spool, $0.baseAddress! + done, n - done)
          }
          if w < 0 {
            if errno == EINTR { continue }
            throw DeepCellError(
              .io, subject, "cannot spool the input to \(folder): \(systemErrorText(errno))")
          }
          done += w
        }
      }
      return try RandomAccessFile(descriptor: spool, subject: subject, owns: true)
    } catch {
      closeDescriptor(spool)
      throw error
    }
  }
}
