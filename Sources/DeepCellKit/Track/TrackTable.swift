/// The Cell Tracking Challenge track table, `res_track.txt` / `man_track.txt` (spec/track.md
/// §6): one `L B E P` line per track — label, first frame, last frame (inclusive), parent label
/// or 0.
public struct TrackTable: Sendable, Equatable {
  /// One line of the table (the same record the CTC measures read, Metrics/CTCTrackTable).
  public typealias Row = TrackRecord

  /// The rows, in file order.
  public var rows: [Row]

  /// A table of the given rows.
  public init(rows: [Row]) { self.rows = rows }

  /// The text: one `L B E P` line per row, single spaces, trailing newline.
  public func text() -> String {
    CTCTrackTable.format(rows)
  }

  /// Parses the text (fields separated by any whitespace; blank lines ignored) and checks the
  /// CTC rules that need no masks: unique positive labels, `0 ≤ B ≤ E`, `P ≥ 0`, a parent
  /// listed and ending strictly before its child begins.
  ///
  /// - Throws: ``DeepCellError`` (`badData`) naming `subject` and the offending line.
  public static func parse(_ text: String, subject: String) throws -> TrackTable {
    let rows = try CTCTrackTable.parse(text, subject: subject)
    for r in rows {
      guard r.label > 0, r.begin >= 0, r.begin <= r.end, r.parent >= 0, r.parent != r.label else {
        throw DeepCellError(
          .badData, subject,
          "track \(r.label) (\(r.label) \(r.begin) \(r.end) \(r.parent)) breaks the CTC rules")
      }
    }
    var byLabel = [Int: Row]()
    for r in rows {
      guard byLabel[r.label] == nil else {
        throw DeepCellError(.badData, subject, "label \(r.label) is listed twice")
      }
      byLabel[r.label] = r
    }
    for r in rows where r.parent != 0 {
      guard let p = byLabel[r.parent] else {
        throw DeepCellError(
          .badData, subject, "parent \(r.parent) of track \(r.label) is not listed")
      }
      guard p.end < r.begin else {
        throw DeepCellError(
          .badData, subject, "parent \(r.parent) of track \(r.label) does not end before it begins")
      }
    }
    return TrackTable(rows: rows)
  }

  /// The track history of this table, and the map from CTC label to track id. A track that
  /// is its parent's only child and begins after a gap (`B > E_parent + 1`) is the same
  /// cell re-appearing: it joins its parent's track (one id across the gap). Every other
  /// parent link is a division (deepcell's `isbi_to_lineage`, spec/track.md §6).
  ///
  /// Chains of re-appearances are followed iteratively, so a table whose chain is as long as
  /// the table itself (a crafted file of a million rows) costs time linear in its rows and no
  /// stack.
  ///
  /// - Throws: ``DeepCellError`` (`badData`) when re-appearance links form a cycle, which
  ///   only a table that breaks the rules checked by ``parse(_:subject:)`` can hold.
  public func history() throws -> (history: TrackHistory, trackOfLabel: [Int: Int]) {
    var byLabel = [Int: Row]()
    for r in rows { byLabel[r.label] = r }
    var children = [Int: [Int]]()
    for r in rows where r.parent != 0 { children[r.parent, default: []].append(r.label) }
    func isContinuation(_ r: Row) -> Bool {
      guard r.parent != 0, let p = byLabel[r.parent], children[r.parent]?.count == 1 else {
        return false
      }
      return r.begin > p.end + 1
    }
    // The track of each label: the first label up its chain of re-appearances.
    var trackOf = [Int: Int]()
    for r in rows where trackOf[r.label] == nil {
      var chain: [Int] = []
      var onChain = Set<Int>()
      var label = r.label
      var root = label
      while true {
        if let known = trackOf[label] {
          root = known
          break
        }
        guard onChain.insert(label).inserted else {
          throw DeepCellError(
            .badData, "track table", "the parent links of track \(label) form a cycle")
        }
        chain.append(label)
        let row = byLabel[label]!
        guard isContinuation(row) else {
          root = label
          break
        }
        label = row.parent
      }
      for l in chain { trackOf[l] = root }
    }
    var records = [Int: TrackHistoryRecord]()
    for r in rows.sorted(by: { ($0.begin, $0.label) < ($1.begin, $1.label) }) {
      let id = trackOf[r.label]!
      let span = TrackSpan(first: r.begin, last: r.end, label: r.label)
      if records[id] == nil {
        let parent = r.parent != 0 ? trackOf[r.parent] : nil
        records[id] = TrackHistoryRecord(id: id, spans: [span], parent: parent)
      } else {
        // Rows come in order of first frame, so the spans stay in time order.
        records[id]!.spans.append(span)
      }
    }
    for id in records.keys.sorted() {
      if let p = records[id]!.parent { records[p]?.daughters.append(id) }
    }
    for (id, r) in records where !r.daughters.isEmpty {
      records[id]!.daughters.sort()
      records[id]!.capped = true
      records[id]!.frameDivision = r.daughters.compactMap { records[$0]?.firstFrame }.min()
    }
    return (TrackHistory(records: records), trackOf)
  }
}
