import Foundation

/// libFuzzer entry point: the input bytes as a PNG file, read with ``PNGCodec/read(path:)``.
/// Errors are expected; crashes, leaks past ASan's limits and hangs are the findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = NSTemporaryDirectory() + "dc-fuzz-png-\(getpid()).png"
  guard let file = fopen(path, "wb") else { return 0 }
  fwrite(data, 1, size, file)
  fclose(file)
  defer { unlink(path) }
  _ = try? PNGCodec.read(path: path)
  return 0
}
