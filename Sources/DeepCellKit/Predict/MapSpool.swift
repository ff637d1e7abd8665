import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One output map's frames, spooled to a temporary file until every frame is predicted (an
/// NPZ holds one array after another, and the maps are produced side by side).
final class MapSpool {
  let name: String
  let path: String
  let handle: FileHandle

  init(name: String) throws {
    self.name = name
    path = NSTemporaryDirectory() + "/dc-predict-\(getpid())-\(UUID().uuidString)-\(name).f32"
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let h = FileHandle(forUpdatingAtPath: path)
    else { throw DeepCellError(.cannotCreate, path, "cannot create a spool file") }
    handle = h
    InterruptCleanup.track(path)
  }

  func append(_ values: [Float]) throws {
    do {
      try values.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
    } catch { throw DeepCellError(.io, path, "\(error)") }
  }

  func copy(frameBytes: Int, into stream: NPZArrayStream) throws {
    do {
      try handle.seek(toOffset: 0)
      while let data = try handle.read(upToCount: frameBytes), !data.isEmpty {
        try data.withUnsafeBytes { try stream.append(bytes: $0) }
      }
    } catch let e as DeepCellError { throw e } catch { throw DeepCellError(.io, path, "\(error)") }
  }

  func remove() {
    try? handle.close()
    unlink(path)
    InterruptCleanup.untrack(path)
  }
}
