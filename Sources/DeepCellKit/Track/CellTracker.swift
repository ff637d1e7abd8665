/// The output of tracking one frame: the frame relabelled by track id (each cell keeps one id
/// over its whole track, gaps included) and by CTC label (a fresh label after each gap).
public struct TrackedFrame: Sendable, Equatable {
  /// Frame index.
  public var index: Int
  /// Pixel = track id (0 = background), row-major `height × width`.
  public var trackLabels: [Int32]
  /// Pixel = CTC label (0 = background), row-major `height × width`.
  public var segmentLabels: [Int32]
}

/// The classical tracker of spec/track.md §8, run online over a movie one frame at a time.
///
/// For each new frame: measure the cells (``CellFeatures``); build link candidates from every
/// track seen in the previous frame and, for gap closing, every undivided track last seen
/// 2…`maxGap + 1` frames earlier and not predicted outside the frame (``LinkCost``); solve the birth/death assignment exactly
/// (``FrameLinking``); detect divisions among the cells left unlinked, from parents seen up to
/// `divisionGap + 1` frames earlier (``DivisionDetection``), keeping daughters that are
/// still one blob cut in two as their parent for up to `divisionJoin` frames
/// (``DivisionJoin``);
/// then continue, resume, start or split tracks. Decisions about frame t are final once t is
/// added, so the relabelled frame is returned at once, and memory holds only the last cell of
/// each live track plus those of tracks ended within the last `maxGap` frames (their pixel
/// lists), not the movie. Deterministic: no randomness, ties broken by track id and label.
public final class CellTracker {
  /// A track's state while it may still be continued.
  struct LiveTrack {
    var id: Int
    var segment: Int
    var lastFrame: Int
    var cell: CellFeatures
    var velocityRow: Double
    var velocityColumn: Double
    /// Consecutive frames, up to the last, in which the track was two touching daughters
    /// kept as one cell (``DivisionJoin``).
    var joined = 0
    /// The area of the track's last cell before it was joined (while `joined > 0`).
    var areaBeforeJoin = 0
    /// The track's cell in the frame before `lastFrame`, if it was there (a second reference
    /// for divisions, ``DivisionDetection``).
    var earlier: CellFeatures? = nil
  }

  /// The settings.
  public let parameters: TrackingParameters
  /// Frame height and width, fixed by the first frame.
  public private(set) var frameSize: (height: Int, width: Int)?
  /// Number of frames added so far.
  public private(set) var frameCount = 0

  private var live: [LiveTrack] = []  // seen in the previous frame or, for gap closing, recently
  private var records: [Int: TrackHistoryRecord] = [:]
  private var nextLabel = 1

  /// A tracker with the given (validated) settings.
  public init(parameters: TrackingParameters = TrackingParameters()) throws {
    try parameters.validate()
    self.parameters = parameters
  }

  /// Tracks the next frame of labels (`(H, W)` or `(H, W, 1)`, any integer dtype, labels need
  /// not agree between frames), with an optional raw frame `(H, W[, C])` for intensities.
  ///
  /// - Throws: ``DeepCellError`` (`badData`, subject `subject`) for a frame of another size
  ///   than the first, non-integer labels or a raw frame of the wrong size.
  public func addFrame(labels: NDArray, raw: NDArray? = nil, subject: String = "labels") throws
    -> TrackedFrame
  {
    let t = frameCount
    let frameSubject = "\(subject): frame \(t)"
    guard labels.rank >= 2 else {
      throw DeepCellError(
        .badData, frameSubject, "a label frame must be (height, width), not \(labels.shape)")
    }
    let size = (labels.shape[0], labels.shape[1])
    if let frameSize, frameSize != size {
      throw DeepCellError(
        .badData, frameSubject,
        "frame is \(size.0) × \(size.1) but frame 0 was \(frameSize.height) × \(frameSize.width)")
    }
    let (cells, cellOfPixel) = try CellFeatures.measureWithIndexMap(
      labels: labels, raw: raw, subject: frameSubject)
    frameSize = (size.0, size.1)

    // 1. Candidate links from live tracks (rows, in id order) to the cells (columns).
    live.sort { $0.id < $1.id }
    var candidates: [LinkCandidate] = []
    var overlapsOfRow: [[Int: Int]] = []
    for (row, track) in live.enumerated() {
      let elapsed = t - track.lastFrame
      var overlaps = [Int: Int]()
      for p in track.cell.pixels {
        let j = cellOfPixel[Int(p)]
        if j >= 0 { overlaps[Int(j), default: 0] += 1 }
      }
      overlapsOfRow.append(overlaps)
      let steps = parameters.predictMotion ? Double(elapsed) : 0
      let predictedRow = track.cell.centroidRow + track.velocityRow * steps
      let predictedColumn = track.cell.centroidColumn + track.velocityColumn * steps
      // A track whose motion carries it out of the frame has left: no gap closing.
      if elapsed > 1
        && (predictedRow < 0 || predictedColumn < 0 || predictedRow > Double(size.0 - 1)
          || predictedColumn > Double(size.1 - 1))
      {
        continue
      }
      let reach = parameters.maxDistance * parameters.maxDistance
      for (j, cell) in cells.enumerated() {
        let overlap = overlaps[j] ?? 0
        if overlap == 0 {  // cheap pre-check of LinkCost's distance limit
          let dr = cell.centroidRow - predictedRow
          let dc = cell.centroidColumn - predictedColumn
          if dr * dr + dc * dc > reach { continue }
        }
        let c = LinkCost.cost(
          from: track.cell, to: cell, overlap: overlap, predictedRow: predictedRow,
          predictedColumn: predictedColumn, elapsed: elapsed, parameters: parameters)
        if c < .infinity { candidates.append(LinkCandidate(row: row, cell: j, cost: c)) }
      }
    }
    // 2. Exact assignment with birth and death alternatives.
    var cellOfRow = try FrameLinking.link(
      candidates: candidates, rowCount: live.count, cellCount: cells.count,
      birthCost: parameters.birthCost,
      deathCost: parameters.deathCost)

    // 3. Divisions among the cells left unlinked, for tracks seen in the previous frame or,
    // when the mitotic cell was missed, up to `divisionGap` frames before.
    var linked = [Bool](repeating: false, count: cells.count)
    for j in cellOfRow where j >= 0 { linked[j] = true }
    let parentRows = live.indices.filter { t - live[$0].lastFrame <= 1 + parameters.divisionGap }
    let divisions = DivisionDetection.detect(
      parents: parentRows.map { live[$0].cell }, earlier: parentRows.map { live[$0].earlier },
      continuation: parentRows.map { cellOfRow[$0] },
      cells: cells,
      isNewborn: linked.map { !$0 }, overlaps: parentRows.map { overlapsOfRow[$0] },
      parameters: parameters)
    // Daughters that are still one blob cut in two stay their parent, one cell of both
    // masks, for up to `divisionJoin` frames (``DivisionJoin``).
    var parentOfCell = [Int: Int]()  // cell → parent row
    var partnerOfCell = [Int: Int]()  // cell linked to a track → the touching cell joined to it
    for d in divisions {
      let row = parentRows[d.parent]
      let (a, b) = (d.daughters[0], d.daughters[1])
      let before = live[row].joined > 0 ? live[row].areaBeforeJoin : live[row].cell.area
      if live[row].joined < parameters.divisionJoin
        && Double(cells[a].area + cells[b].area)
          >= parameters.divisionJoinArea * Double(before)
        && DivisionJoin.joined(
          cells[a], aIndex: a, cells[b], bIndex: b, cellOfPixel: cellOfPixel, height: size.0,
          width: size.1, contact: parameters.divisionJoinContact)
      {
        cellOfRow[row] = a
        partnerOfCell[a] = b
        continue
      }
      cellOfRow[row] = -1
      for j in d.daughters { parentOfCell[j] = row }
    }

    // 4. Apply: continue or resume linked tracks, start daughters and newborn tracks.
    var trackOfCell = [Int](repeating: 0, count: cells.count)
    var segmentOfCell = [Int](repeating: 0, count: cells.count)
    var next: [LiveTrack] = []
    for (row, track) in live.enumerated() {
      let j = cellOfRow[row]
      guard j >= 0 else { continue }
      var updated = track
      var cell = cells[j]
      if let k = partnerOfCell[j] {
        cell = DivisionJoin.union(cell, cells[k])
        if track.joined == 0 { updated.areaBeforeJoin = track.cell.area }
        updated.joined += 1
      } else {
        updated.joined = 0
      }
      let elapsed = Double(t - track.lastFrame)
      updated.velocityRow = (cell.centroidRow - track.cell.centroidRow) / elapsed
      updated.velocityColumn = (cell.centroidColumn - track.cell.centroidColumn) / elapsed
      updated.earlier = track.lastFrame == t - 1 ? track.cell : nil
      if track.lastFrame == t - 1 {
        let k = records[track.id]!.spans.count - 1
        records[track.id]!.spans[k].last = t
      } else {
        updated.segment = takeLabel()
        records[track.id]!.spans.append(TrackSpan(first: t, last: t, label: updated.segment))
      }
      updated.lastFrame = t
      updated.cell = cell
      for k in [j] + (partnerOfCell[j].map { [$0] } ?? []) {
        trackOfCell[k] = track.id
        segmentOfCell[k] = updated.segment
      }
      next.append(updated)
    }
    for (j, cell) in cells.enumerated() where trackOfCell[j] == 0 {
      let id = takeLabel()
      var parent: Int? = nil
      if let row = parentOfCell[j] {
        let p = live[row].id
        parent = p
        records[p]!.daughters.append(id)
        records[p]!.capped = true
        records[p]!.frameDivision = t
      }
      records[id] = TrackHistoryRecord(
        id: id, spans: [TrackSpan(first: t, last: t, label: id)], parent: parent)
      trackOfCell[j] = id
      segmentOfCell[j] = id
      next.append(
        LiveTrack(id: id, segment: id, lastFrame: t, cell: cell, velocityRow: 0, velocityColumn: 0))
    }
    // Tracks that ended stay live for gap closing unless they divided or waited too long.
    for (row, track) in live.enumerated() where cellOfRow[row] < 0 {
      if records[track.id]!.capped { continue }
      if t - track.lastFrame < parameters.maxGap + 1 { next.append(track) }
    }
    live = next

    // 5. The relabelled frames.
    var trackLabels = [Int32](repeating: 0, count: cellOfPixel.count)
    var segmentLabels = [Int32](repeating: 0, count: cellOfPixel.count)
    for (j, cell) in cells.enumerated() {
      let id = Int32(truncatingIfNeeded: trackOfCell[j])
      let segment = Int32(truncatingIfNeeded: segmentOfCell[j])
      for p in cell.pixels {
        trackLabels[Int(p)] = id
        segmentLabels[Int(p)] = segment
      }
    }
    frameCount += 1
    return TrackedFrame(index: t, trackLabels: trackLabels, segmentLabels: segmentLabels)
  }

  /// The tracks so far: ids, runs of frames, parents and daughters.
  public func history() -> TrackHistory {
    var copy = records
    for (id, r) in copy { copy[id]!.daughters = r.daughters.sorted() }
    return TrackHistory(records: copy)
  }

  /// The largest label handed out so far (track ids and CTC labels share one counter).
  public var maxLabel: Int { nextLabel - 1 }

  private func takeLabel() -> Int {
    defer { nextLabel += 1 }
    return nextLabel
  }
}
