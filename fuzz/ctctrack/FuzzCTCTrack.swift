import Foundation

/// The input bytes as a CTC track table (`res_track.txt`, `man_track.txt`): parsed by both
/// readers (``TrackTable/parse(_:subject:)`` for dc-track, ``CTCTrackTable/parse(_:subject:)``
/// for dc-metrics), and, when every track ends within a movie of 4,096 frames (dc-track checks
/// this against the masks first), turned into a history, a lineage and back into a table.
func fuzzCTCTrack(_ data: UnsafePointer<UInt8>, _ size: Int) {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  _ = try? CTCTrackTable.parse(text, subject: "fuzz")
  guard let table = try? TrackTable.parse(text, subject: "fuzz") else { return }
  guard table.rows.allSatisfy({ $0.end < 4096 }) else { return }
  guard let (history, _) = try? table.history() else { return }
  let lineage = history.lineage()
  _ = lineage.jsonText()
  _ = history.trackTable(keepGapLinks: false).text()
  _ = try? TrackTable.parse(history.trackTable().text(), subject: "again")
}
