/// A run of consecutive frames in which a track is present, with the label that run carries in
/// the Cell Tracking Challenge format (spec/track.md §6: a CTC track is a maximal run of one
/// label over consecutive frames).
public struct TrackSpan: Sendable, Equatable {
  /// First frame of the run (0-based).
  public var first: Int
  /// Last frame of the run (inclusive).
  public var last: Int
  /// The CTC label of the run: the track's own id for its first run, a fresh label for each
  /// run after a gap.
  public var label: Int

  /// A run of frames `first…last` labelled `label`.
  public init(first: Int, last: Int, label: Int) {
    self.first = first
    self.last = last
    self.label = label
  }
}

/// One cell's track: the frames it occupies (possibly with gaps closed by the tracker), its
/// parent and daughters, and whether it ended by dividing (deepcell lineage, spec/track.md §4).
public struct TrackHistoryRecord: Sendable, Equatable {
  /// The track id: the pixel value of the cell in the relabelled (tracked) stack.
  public var id: Int
  /// The runs of consecutive frames, in time order.
  public var spans: [TrackSpan]
  /// The parent track's id, if the track began by division.
  public var parent: Int?
  /// The daughter tracks' ids, ascending.
  public var daughters: [Int]
  /// Whether the track ended by dividing.
  public var capped: Bool
  /// The first frame of the daughters (CellTracker convention), if the track divided.
  public var frameDivision: Int?

  /// A track record.
  public init(
    id: Int, spans: [TrackSpan], parent: Int? = nil, daughters: [Int] = [], capped: Bool = false,
    frameDivision: Int? = nil
  ) {
    self.id = id
    self.spans = spans
    self.parent = parent
    self.daughters = daughters
    self.capped = capped
    self.frameDivision = frameDivision
  }

  /// Every frame of the track, ascending.
  public var frames: [Int] { spans.flatMap { Array($0.first...$0.last) } }
  /// First frame.
  public var firstFrame: Int { spans.first?.first ?? 0 }
  /// Last frame.
  public var lastFrame: Int { spans.last?.last ?? 0 }

  /// The CTC label of the track in `frame`, or nil when the track is absent there.
  public func segmentLabel(atFrame frame: Int) -> Int? {
    spans.first { $0.first <= frame && frame <= $0.last }?.label
  }
}

/// The complete result of tracking a movie: every track with its runs and lineage links. It
/// converts to deepcell's lineage dictionary (§4) and to the CTC `L B E P` table (§6).
public struct TrackHistory: Sendable, Equatable {
  /// The tracks by id.
  public var records: [Int: TrackHistoryRecord]

  /// A history of the given tracks.
  public init(records: [Int: TrackHistoryRecord] = [:]) { self.records = records }

  /// The track ids, ascending.
  public var ids: [Int] { records.keys.sorted() }

  /// The deepcell lineage (spec/track.md §4): one entry per track id, `frames` being every
  /// frame the id occupies (gaps included), `frame_div` the daughters' first frame.
  public func lineage() -> Lineage {
    var entries = [Int: LineageEntry]()
    for (id, r) in records {
      entries[id] = LineageEntry(
        label: id, frames: r.frames, daughters: r.daughters.sorted(), capped: r.capped,
        frameDivision: r.frameDivision,
        parent: r.parent)
    }
    return Lineage(entries: entries)
  }

  /// The CTC track table (spec/track.md §6). Every run is one CTC track. A run after a gap
  /// has the track's previous run as parent (`keepGapLinks`, dc-track's default) or none
  /// (deepcell's `contig_tracks` behaviour). A daughter's first run has the parent's last
  /// run as parent.
  public func trackTable(keepGapLinks: Bool = true) -> TrackTable {
    var rows: [TrackTable.Row] = []
    for id in ids {
      let r = records[id]!
      for (k, span) in r.spans.enumerated() {
        var parent = 0
        if k > 0 {
          parent = keepGapLinks ? r.spans[k - 1].label : 0
        } else if let p = r.parent, let pr = records[p], let last = pr.spans.last {
          parent = last.label
        }
        rows.append(
          TrackTable.Row(label: span.label, begin: span.first, end: span.last, parent: parent))
      }
    }
    return TrackTable(rows: rows.sorted { $0.label < $1.label })
  }

  /// The largest label in use (track ids and CTC run labels), 0 when empty.
  public var maxLabel: Int {
    records.values.reduce(0) { m, r in max(m, r.id, r.spans.map(\.label).max() ?? 0) }
  }
}
