import Foundation

/// The input bytes as an `.npz` archive, opened with ``NPZReader``; every array is read whole
/// and frame by frame (forwards, then back to frame 0, which re-inflates a deflated member),
/// every member read raw.
func fuzzNPZ(_ data: UnsafePointer<UInt8>, _ size: Int) {
  guard let file = FuzzInputFile.shared.load(data, size) else { return }
  guard let reader = try? NPZReader(file: file) else { return }
  for name in reader.names {
    _ = try? reader.header(name)
    _ = try? reader.readArray(name)
    if let frames = try? reader.stackReader(name) {
      for i in 0..<min(frames.frameCount, 16) { _ = try? frames.readFrame(i) }
      if frames.frameCount > 1 { _ = try? frames.readFrame(0) }
    }
  }
  for member in reader.memberNames { _ = try? reader.readMember(member) }
  _ = try? reader.readArray("missing")
}
