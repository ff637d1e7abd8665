import Foundation

/// One line of a Cell Tracking Challenge lineage file (`man_track.txt` / `res_track.txt`):
/// `L B E P` — the track's label, first and last frame (0-based, inclusive) and its parent's
/// label (0 for none). metrics.md §4, track.md §6.
public struct TrackRecord: Sendable, Equatable {
  /// Track label (the value of its pixels in the masks).
  public var label: Int
  /// First frame.
  public var begin: Int
  /// Last frame.
  public var end: Int
  /// Parent track label, 0 if none.
  public var parent: Int

  /// A record from its four numbers.
  public init(label: Int, begin: Int, end: Int, parent: Int) {
    self.label = label
    self.begin = begin
    self.end = end
    self.parent = parent
  }
}

/// Reading CTC lineage tables.
public enum CTCTrackTable {
  /// Parses `L B E P` lines (space- or tab-separated; blank lines skipped), as py-ctcmetrics'
  /// `read_tracking_file` does.
  ///
  /// - Throws: ``DeepCellError`` `badData` naming `subject` and the line for anything that is
  ///   not four integers.
  public static func parse(_ text: String, subject: String) throws -> [TrackRecord] {
    var records = [TrackRecord]()
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
      if fields.isEmpty { continue }
      let values = fields.compactMap { Int($0) }
      guard fields.count == 4, values.count == 4 else {
        throw DeepCellError(
          .badData, "\(subject): line \(number + 1)",
          "expected four integers `L B E P`, got \"\(line)\"")
      }
      records.append(
        TrackRecord(label: values[0], begin: values[1], end: values[2], parent: values[3]))
    }
    return records
  }

  /// Reads and parses a lineage file.
  public static func read(path: String) throws -> [TrackRecord] {
    guard FileManager.default.fileExists(atPath: path) else {
      throw DeepCellError(.noInput, path, "no such file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DeepCellError(.noInput, path, "cannot read")
    }
    return try parse(String(decoding: data, as: UTF8.self), subject: path)
  }

  /// Records from an (N, 4) integer array with rows `L B E P`.
  public static func records(_ array: NDArray, subject: String) throws -> [TrackRecord] {
    guard array.dtype.isInteger, array.rank == 2, array.shape[1] == 4 || array.shape[0] == 0 else {
      throw DeepCellError(
        .badData, subject,
        "a track table must be (N, 4) integers, got \(array.shape) \(array.dtype)")
    }
    let v = array.integerValues()
    return (0..<array.shape[0]).map {
      TrackRecord(
        label: Int(v[4 * $0]), begin: Int(v[4 * $0 + 1]), end: Int(v[4 * $0 + 2]),
        parent: Int(v[4 * $0 + 3]))
    }
  }

  /// The table as `L B E P` text lines.
  public static func format(_ records: [TrackRecord]) -> String {
    records.map { "\($0.label) \($0.begin) \($0.end) \($0.parent)\n" }.joined()
  }
}
