import Foundation

/// The input bytes as an `.npy` file, decoded whole with ``NPY/decode(_:subject:)`` and
/// streamed with the frame reader (first 16 frames, then frame 0 again).
func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) {
  _ = try? NPY.decode(Array(UnsafeBufferPointer(start: data, count: size)), subject: "fuzz")
  guard let file = FuzzInputFile.shared.load(data, size) else { return }
  _ = try? NPY.readArray(file)
  if let frames = try? NPYStackReader(file: file) {
    for i in 0..<min(frames.frameCount, 16) { _ = try? frames.readFrame(i) }
    _ = try? frames.readFrame(0)
  }
}
