/// Divisions whose second daughter appears frames after the first (issue 18, divisions from
/// segmentation; `dc-track --late-daughter-gap`).
///
/// Segmentation, and annotators too, can miss one daughter of a mitosis for a few frames
/// after the division, while it is dim or out of focus: the Cell Tracking Challenge's
/// Fluo-N2DH-GOWT1 01 reference starts the two daughters of its one division 4 frames
/// apart. The online tracker then carries the parent's track on into the daughter it sees,
/// and the other starts a track of its own frames later, with no parent; ``DivisionDetection``
/// looks back one frame only (its `earlier` reference). This pass, run on the whole first
/// pass's tracks, dates such a division where the parent's mask shrank to a daughter's: a
/// track `B` with no parent that starts in frame `t` is the second daughter of a track `P`
/// when, for some frame `s` with `t − gap ≤ s < t`,
///
/// - `P` is present in frames `s − 1` and `s` (a detection, not a filled gap) and still in
///   frame `t`, beside `B`;
/// - `P`'s cell in `s` holds `minDaughterAreaRatio … lateDaughterArea` of its area in `s − 1`
///   (the frame where the first daughter appears: it holds about half its parent), and `B`'s
///   first cell `minDaughterAreaRatio … maxDaughterAreaRatio` of it;
/// - `B` lies within `divisionDistance` of `P`'s centroid in `s − 1`, and the
///   ``DivisionCost`` of `P` in `s − 1` dividing into its cell in `s` and `B` is at most
///   `maxDivisionCost`;
/// - in frames `s … t − 1` no other cell has its centroid within `P`'s radius `√(A / π)` in
///   `s − 1` of its centroid there: the second daughter was unseen (where segmentation cut
///   the mitotic nucleus in two, the other half lies there);
/// - from `s` to `t`, `P`'s centroid moves less than its radius in `s` from frame to frame
///   (one cell followed, not a track that switched to a neighbour).
///
/// The cheapest candidates are accepted first (ties: `B`'s id, `P`'s, the frame), each `B`
/// once and each track cut at most once a frame. `P` then ends in `s − 1`, its cells from `s`
/// on become a new track (a fresh id, which also takes over `P`'s daughters if it divided
/// later), and that track and `B` are `P`'s daughters. Either daughter may divide in turn:
/// cuts are made in frame order, a later cut of the same cells cutting the new track. Off
/// by default (`lateDaughterGap` 0; see there why). Like gap filling, this needs the whole movie, so it is part of
/// ``TrackingJob``'s writing pass, not of ``CellTracker``.
public struct LateDaughter: Sendable {
  /// One late-daughter division: `parent`'s track is cut before `frame`; its cells from
  /// `frame` on are the new track `firstDaughter`; `secondDaughter` is the late one.
  public struct Split: Sendable, Equatable {
    /// The parent's track id.
    public var parent: Int
    /// The first frame of the first daughter (the parent's last frame is `frame − 1`).
    public var frame: Int
    /// The new track id of the parent's cells from `frame` on.
    public var firstDaughter: Int
    /// The track that appeared later, without a parent.
    public var secondDaughter: Int
    /// The division's ``DivisionCost``.
    public var cost: Double
  }

  /// The divisions found, by parent id.
  public let splits: [Split]
  // Per split, the CTC label of the parent's run holding `frame` and that run's last frame,
  // as in the history the splits were applied to (``applied(to:)``).
  private var runs: [(holder: Int32, split: Split, label: Int32, last: Int)] = []

  /// Finds the late-daughter divisions in a first pass's `history`, given each frame's track
  /// centroids and areas (`features[t][id] = (row, column, area)`, as
  /// ``GapFilling/centroids(_:width:)`` measures them). New track ids start above
  /// `history.maxLabel`. Finds none when `parameters.lateDaughterGap` is 0.
  public init(
    history: TrackHistory, features: [[Int: (Double, Double, Int)]],
    parameters: TrackingParameters
  ) {
    let gap = parameters.lateDaughterGap
    guard gap > 0, parameters.divisionDistance > 0 else {
      splits = []
      return
    }
    var candidates: [Split] = []
    for late in history.ids {
      let b = history.records[late]!
      let t = b.firstFrame
      guard b.parent == nil, t >= 1, t < features.count, let second = features[t][late] else {
        continue
      }
      for (parent, _) in features[t] where parent != late {
        guard let p = history.records[parent] else { continue }
        for s in max(1, t - gap)..<t {
          guard p.firstFrame <= s - 1, let before = features[s - 1][parent],
            let first = features[s][parent]
          else { continue }
          let reference = Double(max(before.2, 1))
          let firstRatio = Double(first.2) / reference
          let secondRatio = Double(second.2) / reference
          guard firstRatio >= parameters.minDaughterAreaRatio,
            firstRatio <= parameters.lateDaughterArea,
            secondRatio >= parameters.minDaughterAreaRatio,
            secondRatio <= parameters.maxDaughterAreaRatio
          else { continue }
          let dr = second.0 - before.0
          let dc = second.1 - before.1
          guard (dr * dr + dc * dc).squareRoot() <= parameters.divisionDistance else { continue }
          let cost = DivisionCost.cost(parent: before, first: first, second: second)
          guard cost <= parameters.maxDivisionCost,
            Self.unseen(around: before, frames: s..<t, except: parent, in: features),
            Self.steady(parent, frames: s...t, in: features)
          else { continue }
          candidates.append(
            Split(parent: parent, frame: s, firstDaughter: 0, secondDaughter: late, cost: cost))
        }
      }
    }
    candidates.sort {
      ($0.cost, $0.secondDaughter, $0.parent, $0.frame)
        < ($1.cost, $1.secondDaughter, $1.parent, $1.frame)
    }
    // Each late daughter once; a track may divide again later (its first daughter, or a
    // late daughter, is the parent of a later division), never twice in one frame.
    var usedLate = Set<Int>()
    var usedCut = Set<[Int]>()
    var accepted: [Split] = []
    for c in candidates
    where !usedLate.contains(c.secondDaughter) && !usedCut.contains([c.parent, c.frame]) {
      usedLate.insert(c.secondDaughter)
      usedCut.insert([c.parent, c.frame])
      accepted.append(c)
    }
    accepted.sort { ($0.frame, $0.parent) < ($1.frame, $1.parent) }
    var next = history.maxLabel + 1
    for k in accepted.indices {
      accepted[k].firstDaughter = next
      next += 1
    }
    splits = accepted
  }

  /// Whether no cell but track `except`'s has its centroid within the radius `√(A / π)` of
  /// `parent` (row, column, area) in any of `frames`: the second daughter was not seen there
  /// (a mitotic nucleus cut in two, its other half beside it, is no late division).
  static func unseen(
    around parent: (Double, Double, Int), frames: Range<Int>, except: Int,
    in features: [[Int: (Double, Double, Int)]]
  ) -> Bool {
    let radius2 = Double(parent.2) / Double.pi
    for u in frames {
      for (id, c) in features[u] where id != except {
        let dr = c.0 - parent.0
        let dc = c.1 - parent.1
        if dr * dr + dc * dc <= radius2 { return false }
      }
    }
    return true
  }

  /// Whether track `id`'s centroid moves less than the radius `√(A / π)` of its first cell in
  /// `frames` from each frame of them to the next where it is present: one cell followed, not
  /// a track that jumped to a neighbour.
  static func steady(
    _ id: Int, frames: ClosedRange<Int>, in features: [[Int: (Double, Double, Int)]]
  )
    -> Bool
  {
    guard let start = features[frames.lowerBound][id] else { return false }
    let radius2 = Double(start.2) / Double.pi
    var last = start
    for u in frames.dropFirst() {
      guard let c = features[u][id] else { continue }
      let dr = c.0 - last.0
      let dc = c.1 - last.1
      if dr * dr + dc * dc >= radius2 { return false }
      last = c
    }
    return true
  }

  /// `history` with the divisions made: each parent cut before its split frame, the new
  /// first daughter holding its runs from there on (the run holding the split frame under
  /// the new id as its CTC label, later runs keeping theirs) and its later daughters, both
  /// daughters linked to the parent. Also records, for ``relabel(frame:trackLabels:segmentLabels:)``,
  /// the CTC labels that change; `history` must hold every split's parent and late daughter
  /// (it may have had gaps filled since the splits were found).
  public mutating func applied(to history: TrackHistory) -> TrackHistory {
    var records = history.records
    // The track now holding each first-pass track's latest cells: splits come in frame
    // order, so a later split of the same cells cuts the earlier split's first daughter.
    var holder = [Int: Int]()
    runs = []
    for split in splits {
      let id = holder[split.parent] ?? split.parent
      guard var parent = records[id], records[split.secondDaughter] != nil,
        let k = parent.spans.firstIndex(where: { $0.first < split.frame && split.frame <= $0.last })
      else { continue }
      let run = parent.spans[k]
      let daughter = TrackHistoryRecord(
        id: split.firstDaughter,
        spans: [TrackSpan(first: split.frame, last: run.last, label: split.firstDaughter)]
          + parent.spans[(k + 1)...],
        parent: id, daughters: parent.daughters, capped: parent.capped,
        frameDivision: parent.frameDivision)
      for d in parent.daughters { records[d]?.parent = split.firstDaughter }
      parent.spans =
        Array(parent.spans[..<k]) + [
          TrackSpan(first: run.first, last: split.frame - 1, label: run.label)
        ]
      parent.daughters = [split.firstDaughter, split.secondDaughter].sorted()
      parent.capped = true
      parent.frameDivision = split.frame
      records[id] = parent
      records[split.firstDaughter] = daughter
      records[split.secondDaughter]!.parent = id
      holder[split.parent] = split.firstDaughter
      runs.append(
        (Int32(truncatingIfNeeded: id), split, Int32(truncatingIfNeeded: run.label), run.last))
    }
    return TrackHistory(records: records)
  }

  /// Relabels frame `t` of the writing pass (after gap filling) as ``applied(to:)``'s history
  /// says: from each split frame on, the parent's track id becomes the first daughter's, and
  /// in the parent's run holding the split frame, its CTC label too.
  public func relabel(frame t: Int, trackLabels: inout [Int32], segmentLabels: inout [Int32]) {
    let active = runs.filter { t >= $0.split.frame }
    guard !active.isEmpty else { return }
    // One pass over the frame: a pixel of a cut track takes each cut in order (a later cut of
    // the same cells acts on the earlier one's new id); pairs of labels are mapped once.
    let holders = Set(active.map(\.holder))
    var mapped = [Int64: (Int32, Int32)]()
    for p in trackLabels.indices where holders.contains(trackLabels[p]) {
      let key = Int64(trackLabels[p]) << 32 | Int64(UInt32(bitPattern: segmentLabels[p]))
      if mapped[key] == nil {
        var (track, segment) = (trackLabels[p], segmentLabels[p])
        for (holder, split, label, last) in active where track == holder {
          let daughter = Int32(truncatingIfNeeded: split.firstDaughter)
          if t <= last && segment == label { segment = daughter }
          track = daughter
        }
        mapped[key] = (track, segment)
      }
      (trackLabels[p], segmentLabels[p]) = mapped[key]!
    }
  }
}
