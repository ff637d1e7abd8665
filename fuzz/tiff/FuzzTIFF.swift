import Foundation

/// The input bytes as a TIFF file, opened with ``TIFFStackReader`` and every frame (up to 64)
/// decoded.
func fuzzTIFF(_ data: UnsafePointer<UInt8>, _ size: Int) {
  guard let path = fuzzScratchPath(data, size, suffix: ".tif") else { return }
  defer { unlink(path) }
  do {
    let reader = try TIFFStackReader(path: path)
    for i in 0..<min(reader.frameCount, 64) { _ = try reader.readFrame(i) }
  } catch {}
}
