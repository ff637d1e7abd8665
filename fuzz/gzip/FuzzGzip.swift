import Foundation

/// The input bytes through the gzip layer of the `.trk` reader (``MaybeGzipReader``:
/// concatenated members, plain data passed through), read to the end in chunks of sizes
/// taken from the input's first byte.
func fuzzGzip(_ data: UnsafePointer<UInt8>, _ size: Int) {
  guard let path = fuzzScratchPath(data, size, suffix: ".gz") else { return }
  defer { unlink(path) }
  guard let handle = FileHandle(forReadingAtPath: path) else { return }
  defer { try? handle.close() }
  guard let reader = try? MaybeGzipReader(handle: handle, subject: "fuzz") else { return }
  let chunk = size > 0 ? 1 + Int(data[0]) * 97 : 512
  var buffer = [UInt8](repeating: 0, count: chunk)
  var total = 0
  while total < 1 << 26 {
    let n = buffer.withUnsafeMutableBytes { (try? reader.read(into: $0)) ?? 0 }
    if n == 0 { break }
    total += n
  }
  _ = try? reader.readExactly(512)
}
