import Foundation

/// The input bytes as lineage JSON (a `.trk`'s `lineage.json`, `dc-track --lineage` output):
/// parsed with ``Lineage/parse(_:subject:)``, checked against the frames it lists, turned into
/// a track history, its CTC table and back to JSON, and the JSON parsed again.
func fuzzLineage(_ data: UnsafePointer<UInt8>, _ size: Int) {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let lineage = try? Lineage.parse(bytes, subject: "fuzz") else { return }
  var present = [Int: [Int]]()
  for (label, entry) in lineage.entries { present[label] = entry.frames }
  _ = try? lineage.validate(present: present, subject: "fuzz")
  let history = lineage.history()
  let table = history.trackTable()
  _ = try? table.history()
  _ = try? Lineage.parse(Array(lineage.jsonText().utf8), subject: "again")
  _ = history.lineage().jsonText()
}
