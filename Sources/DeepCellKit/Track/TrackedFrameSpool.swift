import Foundation

/// The frames of a first tracking pass (track and CTC labels, one Int32 each per pixel), kept
/// in a temporary file so that ``TrackingJob``'s writing pass reads them back in order instead
/// of tracking the movie again. The tracker is deterministic, so the frames are the ones a
/// second run would give; the file keeps memory bounded for long movies. Each label frame is
/// stored run-length encoded (label images are constant along most of a row: a 1024² frame of
/// nuclei takes tens of kilobytes instead of 4 MiB), as its run count, then (label, length)
/// pairs.
final class TrackedFrameSpool {
  private let file: SpoolFile
  private let pixels: Int
  private var path: String { file.path }
  private var handle: FileHandle { file.handle }

  /// An empty spool for frames of `pixels` pixels.
  init(pixels: Int) throws {
    self.pixels = pixels
    file = try SpoolFile(tool: "dc-track", suffix: ".i32")
  }

  deinit { file.remove() }

  /// Appends a frame's track labels, then its CTC labels.
  func append(_ frame: TrackedFrame) throws {
    var runs = [Int32]()
    for labels in [frame.trackLabels, frame.segmentLabels] {
      runs.removeAll(keepingCapacity: true)
      runs.append(0)
      var p = 0
      while p < labels.count {
        let v = labels[p]
        var q = p + 1
        while q < labels.count && labels[q] == v { q += 1 }
        runs.append(v)
        runs.append(Int32(q - p))
        p = q
      }
      runs[0] = Int32((runs.count - 1) / 2)
      do {
        try runs.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
      } catch { throw DeepCellError(.io, path, "spool write failed: \(error)") }
    }
  }

  /// Goes back to the first frame for ``next()``.
  func rewind() throws {
    do { try handle.seek(toOffset: 0) } catch {
      throw DeepCellError(.io, path, "spool seek failed: \(error)")
    }
  }

  /// The next frame's (track labels, CTC labels), in the order they were appended.
  func next() throws -> (trackLabels: [Int32], segmentLabels: [Int32]) {
    (try read(), try read())
  }

  private func read() throws -> [Int32] {
    let count = try readInt32s(1)[0]
    let runs = try readInt32s(2 * Int(count))
    var labels = [Int32](repeating: 0, count: pixels)
    var p = 0
    for r in 0..<Int(count) {
      let length = Int(runs[2 * r + 1])
      guard length > 0, p + length <= pixels else {
        throw DeepCellError(.io, path, "spool holds a bad run")
      }
      let value = runs[2 * r]
      if value != 0 { for q in p..<(p + length) { labels[q] = value } }
      p += length
    }
    guard p == pixels else { throw DeepCellError(.io, path, "spool holds a short frame") }
    return labels
  }

  private func readInt32s(_ n: Int) throws -> [Int32] {
    let bytes = n * MemoryLayout<Int32>.size
    let data: Data?
    do { data = try handle.read(upToCount: bytes) } catch {
      throw DeepCellError(.io, path, "spool read failed: \(error)")
    }
    guard let data, data.count == bytes else {
      throw DeepCellError(.io, path, "spool ended early")
    }
    return [Int32](unsafeUninitializedCapacity: n) { buffer, count in
      _ = data.copyBytes(to: buffer)
      count = n
    }
  }
}
