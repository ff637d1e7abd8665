import Foundation

/// DeepCell's `.trk` tracking file (spec/track.md §5): a tar archive, gzip-compressed by
/// deepcell's `save_trk` (plain tar accepted), with members `lineage.json` (or `lineages.json`
/// holding a one-movie list), `raw.npy` `(T, H, W, C)` and `tracked.npy` `(T, H, W, 1)`.
///
/// Reading extracts the members to a private temporary folder and serves the two movies frame
/// by frame, so a large file needs little memory.
public final class TRKFile {
  /// The lineage stored in the file.
  public let lineage: Lineage
  /// The raw movie, frame by frame.
  public let raw: StackReader
  /// The tracked label movie, frame by frame.
  public let tracked: StackReader
  private let folder: URL

  /// Opens and unpacks `path`, and checks that the lineage matches the tracked masks
  /// (deepcell's `is_valid_lineage`, ``Lineage/validate(present:subject:)``).
  ///
  /// - Throws: ``DeepCellError``: `noInput` when the file cannot be opened, `badData` when it
  ///   is not a `.trk` (corrupt gzip or tar, missing member, malformed JSON or NPY, movies of
  ///   different shapes, a lineage that disagrees with the masks).
  public init(path: String) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw DeepCellError(.noInput, path, "cannot open file")
    }
    defer { try? handle.close() }
    folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "dc-track-trk-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    do {
      let source = try MaybeGzipReader(handle: handle, subject: path)
      var lineageBytes: [UInt8]?
      var found = Set<String>()
      var longName: String?
      var paxSize: Int?
      var paxPath: String?
      while true {
        let block = try source.readExactly(512)
        guard let member = try TarArchive.parseHeader(block, subject: path) else { break }
        let size = paxSize ?? member.size
        guard size >= 0, size <= TarArchive.maximumMemberSize else {
          throw DeepCellError(.badData, path, "tar member size \(size) is impossible")
        }
        let name = (longName ?? paxPath ?? member.name)
        longName = nil
        paxSize = nil
        paxPath = nil
        let padded = (size + 511) / 512 * 512
        switch member.type {
        case UInt8(ascii: "x"), UInt8(ascii: "L"):
          guard size <= 1 << 20 else {
            throw DeepCellError(.badData, path, "tar extended header of \(size) bytes (over 1 MiB)")
          }
          let content = try source.readExactly(padded)
          if member.type == UInt8(ascii: "L") {
            longName = String(decoding: content.prefix(size).prefix { $0 != 0 }, as: UTF8.self)
          } else {
            (paxSize, paxPath) = TRKFile.parsePax(Array(content.prefix(size)))
          }
          continue
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
          break
        default:
          try source.skip(padded)
          continue
        }
        let base = (name as NSString).lastPathComponent
        if base == "lineage.json" || base == "lineages.json" {
          guard size < 1 << 30 else {
            throw DeepCellError(.badData, path, "lineage member is too large")
          }
          lineageBytes = Array(try source.readExactly(padded).prefix(size))
          found.insert("lineage")
        } else if base == "raw.npy" || base == "tracked.npy" {
          try TRKFile.copy(
            source, bytes: size, padded: padded, to: folder.appendingPathComponent(base),
            subject: path)
          found.insert(base)
        } else {
          try source.skip(padded)
        }
      }
      guard let lineageBytes else {
        throw DeepCellError(.badData, path, "no lineage.json in the archive")
      }
      guard found.contains("tracked.npy") else {
        throw DeepCellError(.badData, path, "no tracked.npy in the archive")
      }
      guard found.contains("raw.npy") else {
        throw DeepCellError(.badData, path, "no raw.npy in the archive")
      }
      lineage = try Lineage.parse(lineageBytes, subject: path + ": lineage.json")
      tracked = try TRKMemberReader(
        url: folder.appendingPathComponent("tracked.npy"), subject: path + ": tracked.npy")
      raw = try TRKMemberReader(
        url: folder.appendingPathComponent("raw.npy"), subject: path + ": raw.npy")
      guard tracked.frameShape[2] == 1 else {
        throw DeepCellError(
          .badData, path, "tracked.npy has \(tracked.frameShape[2]) channels; expected one")
      }
      guard raw.frameCount == tracked.frameCount, raw.frameShape[0] == tracked.frameShape[0],
        raw.frameShape[1] == tracked.frameShape[1]
      else {
        throw DeepCellError(
          .badData, path,
          "raw.npy (\(raw.frameCount) × \(raw.frameShape)) and tracked.npy (\(tracked.frameCount) × \(tracked.frameShape)) differ in size"
        )
      }
      try lineage.validate(present: TRKFile.occurrences(of: tracked, subject: path), subject: path)
    } catch {
      try? FileManager.default.removeItem(at: folder)
      throw error
    }
  }

  deinit { try? FileManager.default.removeItem(at: folder) }

  /// Frames where each label of a label movie occurs.
  static func occurrences(of stack: StackReader, subject: String) throws -> [Int: [Int]] {
    var present = [Int: [Int]]()
    for t in 0..<stack.frameCount {
      let seen = try CellFeatures.labelsPresent(
        stack.readFrame(t), subject: "\(subject): frame \(t)")
      for v in seen { present[v, default: []].append(t) }
    }
    return present
  }

  /// The `size` and `path` records of a PAX extended header (`"%d key=value\n"` records).
  static func parsePax(_ bytes: [UInt8]) -> (Int?, String?) {
    var size: Int?
    var path: String?
    var i = 0
    while i < bytes.count {
      // A record is "LENGTH key=value\n", LENGTH counting the whole record.
      guard let space = bytes[i...].firstIndex(of: 0x20),
        let length = Int(String(decoding: bytes[i..<space], as: UTF8.self)),
        length > space + 1 - i, length <= bytes.count - i
      else { break }
      let record = String(decoding: bytes[(space + 1)..<(i + length - 1)], as: UTF8.self)
      if let eq = record.firstIndex(of: "=") {
        let key = record[..<eq]
        let value = String(record[record.index(after: eq)...])
        if key == "size" { size = Int(value) }
        if key == "path" { path = value }
      }
      i += length
    }
    return (size, path)
  }

  private static func copy(
    _ source: MaybeGzipReader, bytes: Int, padded: Int, to url: URL, subject: String
  ) throws {
    guard FileManager.default.createFile(atPath: url.path, contents: nil),
      let out = FileHandle(forWritingAtPath: url.path)
    else {
      throw DeepCellError(.cannotCreate, url.path, "cannot create temporary file")
    }
    defer { try? out.close() }
    var remaining = padded
    var toKeep = bytes
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while remaining > 0 {
      let n = min(remaining, buffer.count)
      let got = try buffer.withUnsafeMutableBytes {
        try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n]))
      }
      guard got == n else { throw DeepCellError(.badData, subject, "archive is truncated") }
      let keep = min(toKeep, n)
      if keep > 0 {
        do { try out.write(contentsOf: buffer[0..<keep]) } catch {
          throw DeepCellError(.io, url.path, "write failed: \(error.localizedDescription)")
        }
      }
      toKeep -= keep
      remaining -= n
    }
  }
}
