/// Removal of short spurious tracks (issue 18, track repair; `dc-track --min-track-length`).
///
/// A track present in fewer than `minLength` frames (its closed gaps not counted) that has
/// neither a parent nor daughters is taken for a segmentation artefact (a flicker, a fragment
/// of a nucleus) and removed: its pixels become background and its record leaves the
/// history. Tracks in a lineage are kept whatever their length, so divisions stay intact.
/// In the CTC measures a removed true detection costs 10 (FN) and a kept false one 1 (FP),
/// so the filter pays off for TRA only where short tracks are nearly all false; it raises
/// CT and TF, whose denominators count every result track.
public enum ShortTrackFilter {
  /// The ids of the tracks to remove from `history`.
  public static func shortTracks(in history: TrackHistory, minLength: Int) -> Set<Int> {
    guard minLength > 1 else { return [] }
    var ids = Set<Int>()
    for (id, r) in history.records
    where r.parent == nil && r.daughters.isEmpty && r.frames.count < minLength {
      ids.insert(id)
    }
    return ids
  }

  /// `history` without the tracks `ids`.
  public static func removing(_ ids: Set<Int>, from history: TrackHistory) -> TrackHistory {
    TrackHistory(records: history.records.filter { !ids.contains($0.key) })
  }
}
