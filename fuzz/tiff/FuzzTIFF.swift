import Foundation

/// libFuzzer entry point: the input bytes as a TIFF file, opened with ``TIFFStackReader``
/// and every frame (up to 64) decoded. Errors are expected; crashes, leaks past ASan's
/// limits and hangs are the findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTIFF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = NSTemporaryDirectory() + "dc-fuzz-tiff-\(getpid()).tif"
  guard let file = fopen(path, "wb") else { return 0 }
  fwrite(data, 1, size, file)
  fclose(file)
  defer { unlink(path) }
  do {
    let reader = try TIFFStackReader(path: path)
    for i in 0..<min(reader.frameCount, 64) { _ = try reader.readFrame(i) }
  } catch {}
  return 0
}
