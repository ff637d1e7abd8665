import Foundation

/// One scratch file per fuzzing process (in /dev/shm when there is one), rewritten with
/// each input and handed to the readers as a ``RandomAccessFile``, as ``InputFile`` does.
final class FuzzInputFile {
  nonisolated(unsafe) static let shared = FuzzInputFile()
  private let descriptor: Int32

  private init() {
    let folder =
      FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = "\(folder)/dc-fuzz-file-\(getpid())"
    descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    unlink(path)
  }

  /// The bytes as an open file, or nil when the scratch file cannot be written.
  func load(_ data: UnsafePointer<UInt8>, _ size: Int) -> RandomAccessFile? {
    guard descriptor >= 0, ftruncate(descriptor, 0) == 0 else { return nil }
    var done = 0
    while done < size {
      let n = pwrite(descriptor, data + done, size - done, off_t(done))
      if n <= 0 { return nil }
      done += n
    }
    return try? RandomAccessFile(descriptor: descriptor, subject: "fuzz", owns: false)
  }
}
