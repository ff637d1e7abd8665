/// The consistency checks py-ctcmetrics applies to a tracking result before measuring it
/// (`metrics/validation/valid.py`; a result failing them gets no scores there). Here each
/// failure is an error naming the file and the frame.
public enum CTCValidation {
  /// Checks a lineage against the labels present in each frame's mask.
  ///
  /// Rules: at least one track; labels unique; parents ≥ 0, present in the table, and ending
  /// before their children begin; no track ending before it begins; every track inside the
  /// frames there are; in every frame, exactly the labels of the tracks alive then.
  ///
  /// - Parameters:
  ///   - tracks: the lineage.
  ///   - frameLabels: the labels present in each mask, in frame order.
  ///   - lineageName: the lineage file, named in errors.
  ///   - maskName: the mask file of frame `f` (named in errors).
  public static func check(
    _ tracks: [TrackRecord], frameLabels: [[Int]], lineageName: String, maskName: (Int) -> String
  ) throws {
    guard !tracks.isEmpty else {
      throw DeepCellError(.badData, lineageName, "no tracks in the lineage")
    }
    var seen = Set<Int>()
    var byLabel = [Int: TrackRecord]()
    for t in tracks {
      guard seen.insert(t.label).inserted else {
        throw DeepCellError(.badData, lineageName, "track label \(t.label) appears more than once")
      }
      byLabel[t.label] = t
    }
    for t in tracks {
      if t.label <= 0 {
        throw DeepCellError(.badData, lineageName, "track label \(t.label) is not positive")
      }
      if t.parent < 0 {
        throw DeepCellError(
          .badData, lineageName, "track \(t.label) has a negative parent \(t.parent)")
      }
      if t.end < t.begin {
        throw DeepCellError(
          .badData, lineageName,
          "track \(t.label) ends (frame \(t.end)) before it begins (frame \(t.begin))")
      }
      if t.begin < 0 || t.end >= frameLabels.count {
        throw DeepCellError(
          .badData, lineageName,
          "track \(t.label) spans frames \(t.begin)–\(t.end) but there are \(frameLabels.count) frames"
        )
      }
      if t.parent != 0 {
        guard let p = byLabel[t.parent] else {
          throw DeepCellError(
            .badData, lineageName,
            "track \(t.label) names parent \(t.parent), which is not in the lineage")
        }
        if p.end >= t.begin {
          throw DeepCellError(
            .badData, lineageName,
            "parent \(p.label) ends at frame \(p.end), not before its child \(t.label) begins (frame \(t.begin))"
          )
        }
      }
    }
    var alive = [Set<Int>](repeating: [], count: frameLabels.count)
    for t in tracks { for f in t.begin...t.end { alive[f].insert(t.label) } }
    for (f, labels) in frameLabels.enumerated() {
      let present = Set(labels)
      if let extra = labels.first(where: { !alive[f].contains($0) }) {
        throw DeepCellError(
          .badData, maskName(f),
          "label \(extra) is in the mask (frame \(f)) but not in \(lineageName) for that frame")
      }
      if let absent = alive[f].sorted().first(where: { !present.contains($0) }) {
        throw DeepCellError(
          .badData, maskName(f),
          "\(lineageName) has track \(absent) in frame \(f) but the mask lacks that label")
      }
    }
  }
}
