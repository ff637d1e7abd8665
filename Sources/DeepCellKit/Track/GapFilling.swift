/// Filling the frames of closed gaps (issue 18, track repair; `dc-track`, on unless
/// `--no-fill-gaps`): a cell that segmentation missed for a few frames and that gap closing
/// reconnected gets, in each missing frame, its last mask before the gap moved along the
/// straight line from its centroid there to its centroid where it reappears (painted only on
/// background). Its track is then one unbroken run, so the CTC output has no gap and no
/// parent link for it: one CTC track instead of several (complete tracks, CT), and the
/// filled masks usually cover the missed nucleus (a detection instead of a false negative).
///
/// Works on a second, writing pass: the first pass's ``TrackHistory`` says which gaps close
/// and the centroid of each track where it reappears. Gaps at the frame's edge are left
/// open (the cell may have been out of view). At least one pixel is painted per
/// filled frame (the one under the interpolated centroid, clamped to the frame) so that the
/// run stays unbroken.
///
/// A gap whose frames are taken by one other track's cell, grown to hold both (two
/// neighbours merged into one mask that later split again, ``MergeSplit``), is filled from
/// that mask: it is cut between the two tracks, so both keep their identity and a detection
/// through the merge (`splitMerges`, on unless `--no-split-merges`).
public struct GapFilling {
  struct Gap {
    var track: Int
    var last: Int  // last frame seen before the gap
    var resume: Int  // first frame seen after it
    var resumeRow: Double
    var resumeColumn: Double
    /// The track whose mask held this one's during the gap (a merge), with its centroids and
    /// areas before and after it; nil for a gap filled on background.
    var merged: (track: Int, before: (Double, Double, Int), after: (Double, Double, Int))?
    var area = 0
  }
  private let height: Int
  private let width: Int
  private var gapsEndingAt: [Int: [Gap]] = [:]  // by `last`
  private var active: [(gap: Gap, pixels: [Int32], row: Double, column: Double)] = []
  // CTC label of a run after a filled gap → the run's before.
  private var relabel: [Int32: Int32] = [:]
  private var spans: [Int: [TrackSpan]] = [:]  // tracks with filled gaps: their joined runs

  /// Per-frame centroids and areas of the tracks in a relabelled frame (pixel = track id).
  public static func centroids(_ trackLabels: [Int32], width: Int) -> [Int: (
    Double, Double, Int
  )] {
    // Sums over each run of equal labels first, so the dictionary is touched once a run,
    // not once a pixel (label frames are constant along most of a row).
    var sums = [Int: (Double, Double, Int)]()
    var run: (label: Int32, rows: Double, columns: Double, count: Int) = (0, 0, 0, 0)
    func flush() {
      guard run.label != 0 else { return }
      let s = sums[Int(run.label)] ?? (0, 0, 0)
      sums[Int(run.label)] = (s.0 + run.rows, s.1 + run.columns, s.2 + run.count)
    }
    for (p, v) in trackLabels.enumerated() {
      if v != run.label {
        flush()
        run = (v, 0, 0, 0)
      }
      if v != 0 {
        run.rows += Double(p / width)
        run.columns += Double(p % width)
        run.count += 1
      }
    }
    flush()
    return sums.mapValues { ($0.0 / Double($0.2), $0.1 / Double($0.2), $0.2) }
  }

  /// The first pass's record of where ended tracks' last masks are still free: for each
  /// track absent from a frame within `maxGap` frames of its last one, whether at least half
  /// of its last mask's pixels are background there. A gap whose frames are mostly taken by
  /// other cells (a fragment that merged into its neighbour) is not filled.
  public struct Occupancy {
    private var last: [Int32: (frame: Int, pixels: [Int32])] = [:]
    fileprivate var blocked = Set<[Int]>()  // [track, frame]
    fileprivate var occupant = [[Int]: Int]()  // [track, frame] → track holding most of the rest
    private let maxGap: Int

    /// An empty record for gaps of up to `maxGap` frames.
    public init(maxGap: Int) { self.maxGap = maxGap }

    /// Adds frame `t` of the first pass (pixel = track id).
    public mutating func add(frame t: Int, trackLabels: [Int32]) {
      var pixels = [Int32: [Int32]]()
      for (p, v) in trackLabels.enumerated() where v != 0 {
        pixels[v, default: []].append(Int32(p))
      }
      for (id, l) in last where pixels[id] == nil {
        if t - l.frame > maxGap {
          last[id] = nil
          continue
        }
        let free = l.pixels.reduce(0) { $0 + (trackLabels[Int($1)] == 0 ? 1 : 0) }
        if 2 * free < l.pixels.count { blocked.insert([Int(id), t]) }
        // Which track covers the rest, tallied only when something does (most gaps lie on
        // background: no per-pixel dictionary work there).
        guard free < l.pixels.count else { continue }
        var holders = [Int32: Int]()
        for p in l.pixels where trackLabels[Int(p)] != 0 {
          holders[trackLabels[Int(p)], default: 0] += 1
        }
        if let top = holders.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) {
          occupant[[Int(id), t]] = Int(top.key)
        }
      }
      for (id, p) in pixels { last[id] = (t, p) }
    }
  }

  /// The gaps of `history`, with the centroids and areas of the first pass
  /// (`centroids[t][track]`). A gap is filled only when the cell, a disc of its area at the
  /// interpolated centroids, stays inside the frame from its last to its resuming frame (a
  /// cell at the edge may simply have been out of view), and its last mask is mostly
  /// background in every missing frame (`occupancy`). With `splitMerges`, a gap whose
  /// first missing frame holds its last mask under another track's cell, a track present
  /// from just before the gap to just after it with a cell large enough to hold both in every
  /// missing frame (``MergeSplit/holdsBoth``), is filled by cutting that cell instead.
  public init(
    history: TrackHistory, centroids: [[Int: (Double, Double, Int)]], occupancy: Occupancy,
    height: Int, width: Int, splitMerges: Bool = true
  ) {
    self.height = height
    self.width = width
    func inside(_ c: (Double, Double, Int)) -> Bool {
      let r = (Double(c.2) / Double.pi).squareRoot()
      return c.0 - r >= 0 && c.1 - r >= 0 && c.0 + r <= Double(height - 1)
        && c.1 + r <= Double(width - 1)
    }
    for (id, r) in history.records where r.spans.count > 1 {
      var merged = [r.spans[0]]
      for k in 1..<r.spans.count {
        let last = r.spans[k - 1].last
        let resume = r.spans[k].first
        guard let a = centroids[last][id], let b = centroids[resume][id] else {
          merged.append(r.spans[k])
          continue
        }
        let missing = (last + 1)..<resume
        var gap = Gap(track: id, last: last, resume: resume, resumeRow: b.0, resumeColumn: b.1)
        gap.area = (a.2 + b.2) / 2
        if !missing.contains(where: { occupancy.blocked.contains([id, $0]) }) {
          guard inside(a), inside(b) else {
            merged.append(r.spans[k])
            continue
          }
        } else {
          guard splitMerges, let holder = occupancy.occupant[[id, last + 1]],
            let before = centroids[last][holder], let after = centroids[resume][holder],
            missing.allSatisfy({
              MergeSplit.holdsBoth(
                area: centroids[$0][holder]?.2 ?? 0, first: before.2, second: a.2)
            })
          else {
            merged.append(r.spans[k])
            continue
          }
          gap.merged = (holder, before, after)
        }
        gapsEndingAt[last, default: []].append(gap)
        relabel[Int32(truncatingIfNeeded: r.spans[k].label)] = Int32(
          truncatingIfNeeded: merged[merged.count - 1].label)
        merged[merged.count - 1].last = r.spans[k].last
      }
      if merged.count < r.spans.count { spans[id] = merged }
    }
  }

  /// Fills frame `t` (the second pass's output, in frame order): paints the masks of the
  /// tracks in a gap at `t`, gives every run of a filled track its first run's CTC label, and
  /// remembers the masks of tracks whose gap starts after `t`.
  public mutating func fill(frame t: Int, trackLabels: inout [Int32], segmentLabels: inout [Int32])
  {
    active.removeAll { $0.gap.resume <= t }
    for a in active {
      let f = Double(t - a.gap.last) / Double(a.gap.resume - a.gap.last)
      if let m = a.gap.merged {
        let own = (
          a.row + (a.gap.resumeRow - a.row) * f, a.column + (a.gap.resumeColumn - a.column) * f
        )
        let other = (
          m.before.0 + (m.after.0 - m.before.0) * f, m.before.1 + (m.after.1 - m.before.1) * f
        )
        MergeSplit.cut(
          trackLabels: &trackLabels, segmentLabels: &segmentLabels, width: width,
          height: height, holder: Int32(truncatingIfNeeded: m.track), holderCentre: other,
          holderArea: Double(m.before.2 + m.after.2) / 2,
          taker: Int32(truncatingIfNeeded: a.gap.track),
          takerLabel: segmentLabelBefore(a.gap), takerCentre: own,
          takerArea: Double(a.gap.area))
        continue
      }
      let dr = Int(((a.gap.resumeRow - a.row) * f).rounded())
      let dc = Int(((a.gap.resumeColumn - a.column) * f).rounded())
      let id = Int32(truncatingIfNeeded: a.gap.track)
      let label = segmentLabelBefore(a.gap)
      var painted = 0
      for p in a.pixels {
        let r = Int(p) / width + dr
        let c = Int(p) % width + dc
        guard r >= 0, r < height, c >= 0, c < width else { continue }
        let q = r * width + c
        if trackLabels[q] == 0 {
          trackLabels[q] = id
          segmentLabels[q] = label
          painted += 1
        }
      }
      if painted == 0 {
        let r = min(max(Int((a.row + (a.gap.resumeRow - a.row) * f).rounded()), 0), height - 1)
        let c = min(
          max(Int((a.column + (a.gap.resumeColumn - a.column) * f).rounded()), 0), width - 1)
        trackLabels[r * width + c] = id
        segmentLabels[r * width + c] = label
      }
    }
    if !relabel.isEmpty {
      for p in segmentLabels.indices where segmentLabels[p] != 0 {
        if let l = relabel[segmentLabels[p]] { segmentLabels[p] = l }
      }
    }
    if let starting = gapsEndingAt[t] {
      let ids = Set(starting.map { Int32(truncatingIfNeeded: $0.track) })
      var pixels = [Int32: [Int32]]()
      for (p, v) in trackLabels.enumerated() where ids.contains(v) {
        pixels[v, default: []].append(Int32(p))
      }
      for g in starting {
        guard let own = pixels[Int32(truncatingIfNeeded: g.track)], !own.isEmpty else { continue }
        var sr = 0.0
        var sc = 0.0
        for p in own {
          sr += Double(Int(p) / width)
          sc += Double(Int(p) % width)
        }
        active.append(
          (g, own, sr / Double(own.count), sc / Double(own.count)))
      }
    }
  }

  /// The CTC label of the (joined) run a gap continues.
  private func segmentLabelBefore(_ gap: Gap) -> Int32 {
    let run = spans[gap.track]!.first { $0.first <= gap.last && gap.last <= $0.last }!
    return Int32(truncatingIfNeeded: run.label)
  }

  /// `history` with the runs on either side of each filled gap joined into one.
  public func filledHistory(_ history: TrackHistory) -> TrackHistory {
    var records = history.records
    for (id, joined) in spans where records[id] != nil { records[id]!.spans = joined }
    return TrackHistory(records: records)
  }
}
