import Foundation

/// Writes a DeepCell `.trk` file (spec/track.md §5) as `save_trk` does: a gzip-compressed
/// tar with `lineage.json` (4-space indented), `raw.npy` `(T, H, W, C)` and `tracked.npy`
/// `(T, H, W, 1)` int32, in that order. Frames are streamed to private temporary files; the
/// archive is assembled by ``finish(lineage:)`` into a temporary name beside `path` and renamed,
/// so a failed run leaves nothing at `path`.
public final class TRKWriter {
  /// Destination path.
  public let path: String
  private let frameCount: Int
  private let height: Int
  private let width: Int
  private let rawChannels: Int
  private let rawType: DType
  private let folder: URL
  private let rawHandle: FileHandle
  private let trackedHandle: FileHandle
  private var written = 0
  private var closed = false

  /// Prepares a `.trk` of `frameCount` frames of `height × width`, with a raw movie of
  /// `rawChannels` channels of `rawType`.
  public init(
    path: String, frameCount: Int, height: Int, width: Int, rawChannels: Int, rawType: DType
  ) throws {
    self.path = path
    self.frameCount = frameCount
    self.height = height
    self.width = width
    self.rawChannels = rawChannels
    self.rawType = rawType
    folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "dc-track-trkw-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let rawURL = folder.appendingPathComponent("raw.npy")
      let trackedURL = folder.appendingPathComponent("tracked.npy")
      _ = FileManager.default.createFile(atPath: rawURL.path, contents: nil)
      _ = FileManager.default.createFile(atPath: trackedURL.path, contents: nil)
      rawHandle = try FileHandle(forWritingTo: rawURL)
      trackedHandle = try FileHandle(forWritingTo: trackedURL)
      try rawHandle.write(
        contentsOf: NPY.headerBytes(
          shape: [frameCount, height, width, rawChannels], dtype: rawType))
      try trackedHandle.write(
        contentsOf: NPY.headerBytes(shape: [frameCount, height, width, 1], dtype: .int32))
    } catch {
      try? FileManager.default.removeItem(at: folder)
      throw DeepCellError(
        .cannotCreate, path, "cannot create temporary files: \(error.localizedDescription)")
    }
  }

  deinit { abort() }

  /// Appends one frame: the raw frame `(H, W[, C])` and the track-id labels (row-major).
  public func append(raw: NDArray, tracked: [Int32]) throws {
    guard written < frameCount else {
      throw DeepCellError(.badData, path, "more frames than declared")
    }
    guard raw.count == height * width * rawChannels, raw.dtype == rawType,
      tracked.count == height * width
    else {
      throw DeepCellError(.badData, path, "frame \(written) does not match the movie's shape")
    }
    do {
      try rawHandle.write(contentsOf: raw.bytes)
      try tracked.withUnsafeBytes { try trackedHandle.write(contentsOf: Data($0)) }
    } catch {
      throw DeepCellError(.io, path, "write failed: \(error.localizedDescription)")
    }
    written += 1
  }

  /// Writes the archive with `lineage` and moves it to `path`.
  public func finish(lineage: Lineage) throws {
    guard written == frameCount else {
      throw DeepCellError(.badData, path, "only \(written) of \(frameCount) frames were written")
    }
    try? rawHandle.close()
    try? trackedHandle.close()
    let destination = URL(fileURLWithPath: path)
    let temporary = destination.deletingLastPathComponent().appendingPathComponent(
      ".\(destination.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
      let out = FileHandle(forWritingAtPath: temporary.path)
    else {
      throw DeepCellError(.cannotCreate, path, "cannot create output file")
    }
    do {
      defer { try? out.close() }
      let gzip = try GzipWriter(handle: out, subject: path)
      let json = Array(lineage.jsonText().utf8)
      let now = Int(Date().timeIntervalSince1970)
      try gzip.write(
        TarArchive.header(name: "lineage.json", size: json.count, modificationTime: now))
      try gzip.write(json)
      try gzip.write(TarArchive.padding(forSize: json.count))
      for name in ["raw.npy", "tracked.npy"] {
        let url = folder.appendingPathComponent(name)
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        try gzip.write(TarArchive.header(name: name, size: size, modificationTime: now))
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        var copied = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
          try chunk.withUnsafeBytes { try gzip.write($0) }
          copied += chunk.count
        }
        guard copied == size else {
          throw DeepCellError(.io, path, "temporary \(name) changed while copying")
        }
        try gzip.write(TarArchive.padding(forSize: size))
      }
      try gzip.write(TarArchive.trailer)
      try gzip.finish()
      try out.synchronize()
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      abort()
      if let e = error as? DeepCellError { throw e }
      throw DeepCellError(.io, path, "write failed: \(error.localizedDescription)")
    }
    if rename(temporary.path, destination.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      abort()
      throw DeepCellError(
        .cannotCreate, path, "cannot move the finished file into place: \(reason)")
    }
    abort()
  }

  /// Discards the temporary files (the destination is untouched unless finished).
  public func abort() {
    if closed { return }
    closed = true
    try? rawHandle.close()
    try? trackedHandle.close()
    try? FileManager.default.removeItem(at: folder)
  }
}
