import Foundation

/// One output map's frames, spooled to a temporary file until every frame is predicted (an
/// NPZ holds one array after another, and the maps are produced side by side).
final class MapSpool {
  let name: String
  private let file: SpoolFile
  private var path: String { file.path }
  private var handle: FileHandle { file.handle }

  init(name: String) throws {
    self.name = name
    file = try SpoolFile(tool: "dc-predict", suffix: "-\(name).f32")
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

  func remove() { file.remove() }
}
