import Foundation

/// The input bytes as a PNG file, read with ``PNGCodec/read(path:)``.
func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) {
  guard let path = fuzzScratchPath(data, size, suffix: ".png") else { return }
  defer { unlink(path) }
  _ = try? PNGCodec.read(path: path)
}
