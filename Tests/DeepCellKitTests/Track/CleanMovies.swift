import Foundation
import XCTest

@testable import DeepCellKit

/// Clean label movies with a known lineage for the tracker tests (issue 18), the plain
/// IoU-Hungarian linker they are compared with, and the AOGM scoring of both.
enum CleanMovies {
  /// A label movie with its ground truth: `frames[t]` are the labels (= track ids) of frame t
  /// and `tracks` the CTC lineage.
  struct Movie {
    var name: String
    var height: Int
    var width: Int
    var frames: [[Int]]
    var tracks: [TrackRecord]
  }

  /// The kinds of synthetic movie (bench/track_synthetic.py makes the same kinds for the
  /// py-ctcmetrics benchmark): crowded pairs of touching nuclei, nuclei that divide every
  /// 6–12 frames, nuclei that jump 1.2–2 diameters a frame, and nuclei that leave the field
  /// while newcomers enter near where others left.
  enum Kind: String, CaseIterable {
    case touching, dividing, fast, border
  }

  private final class Cell {
    var id: Int
    var row: Double
    var column: Double
    var area: Double
    var vRow: Double
    var vColumn: Double
    var angle: Double
    var parent: Int
    var divideAt: Int?
    var partner: Cell?
    var partnerAngle = 0.0
    init(
      id: Int, row: Double, column: Double, area: Double, vRow: Double, vColumn: Double,
      angle: Double, parent: Int = 0
    ) {
      self.id = id
      self.row = row
      self.column = column
      self.area = area
      self.vRow = vRow
      self.vColumn = vColumn
      self.angle = angle
      self.parent = parent
    }
    var radius: Double { (area / Double.pi).squareRoot() }
  }

  /// A seeded synthetic movie of `frameCount` frames of 192 × 192.
  static func synthetic(_ kind: Kind, seed: UInt64, frameCount: Int = 30) -> Movie {
    let h = 192
    let w = 192
    var rng = SplitMix(seed: seed)
    func uniform(_ a: Double, _ b: Double) -> Double {
      a + (b - a) * Double(rng.next() >> 11) / Double(1 << 53)
    }
    func normal(_ s: Double) -> Double {
      let u = max(uniform(0, 1), 1e-12)
      return s * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * uniform(0, 1))
    }
    var nextID = 1
    var cells: [Cell] = []
    let count = [Kind.touching: 18, .dividing: 6, .fast: 8, .border: 10][kind]!
    for _ in 0..<count {
      let area = uniform(120, 240)
      var vr = normal(1)
      var vc = normal(1)
      if kind == .fast {
        let speed = uniform(1.2, 2) * 2 * (area / Double.pi).squareRoot()
        let a = uniform(0, 2 * Double.pi)
        (vr, vc) = (speed * sin(a), speed * cos(a))
      }
      let c = Cell(
        id: nextID, row: uniform(16, Double(h) - 16), column: uniform(16, Double(w) - 16),
        area: area, vRow: vr, vColumn: vc, angle: uniform(0, Double.pi))
      if kind == .dividing { c.divideAt = Int(uniform(2, 10)) }
      cells.append(c)
      nextID += 1
    }
    if kind == .touching {
      for i in stride(from: 0, to: cells.count - 1, by: 2) {
        cells[i + 1].partner = cells[i]
        cells[i + 1].partnerAngle = uniform(0, 2 * Double.pi)
      }
    }
    func separate() {
      for _ in 0..<8 {
        var moved = false
        for i in cells.indices {
          for j in (i + 1)..<cells.count {
            let a = cells[i]
            let b = cells[j]
            let reach = 0.95 * 1.25 * (a.radius + b.radius)
            let dr = b.row - a.row
            let dc = b.column - a.column
            let d = (dr * dr + dc * dc).squareRoot() + 1e-9
            if d < reach {
              let push = (reach - d) / 2
              a.row -= push * dr / d
              a.column -= push * dc / d
              b.row += push * dr / d
              b.column += push * dc / d
              moved = true
            }
          }
        }
        if !moved { break }
      }
    }
    func glue() {
      for c in cells {
        guard let p = c.partner else { continue }
        let reach = 1.25 * (p.radius + c.radius)
        c.row = p.row + reach * sin(c.partnerAngle)
        c.column = p.column + reach * cos(c.partnerAngle)
      }
    }
    glue()
    separate()
    var frames: [[Int]] = []
    var parentOf = [Int: Int]()
    for t in 0..<frameCount {
      var frame = [Int](repeating: 0, count: h * w)
      for c in cells {
        parentOf[c.id] = c.parent
        let a = c.radius * 1.2
        let b = c.radius / 1.2
        let (ct, st) = (cos(c.angle), sin(c.angle))
        let r0 = max(0, Int(c.row - a - 1))
        let r1 = min(h - 1, Int(c.row + a + 1))
        let c0 = max(0, Int(c.column - a - 1))
        let c1 = min(w - 1, Int(c.column + a + 1))
        guard r0 <= r1, c0 <= c1 else { continue }
        for y in r0...r1 {
          for x in c0...c1 {
            let dy = Double(y) - c.row
            let dx = Double(x) - c.column
            let u = (dx * ct + dy * st) / a
            let v = (-dx * st + dy * ct) / b
            if u * u + v * v <= 1 { frame[y * w + x] = c.id }
          }
        }
      }
      frames.append(frame)
      // Move, divide, enter.
      var next: [Cell] = []
      for c in cells {
        if let at = c.divideAt, t + 1 >= at {
          for s in [-1.0, 1.0] {
            let d = Cell(
              id: nextID, row: c.row + s * 0.75 * c.radius * sin(c.angle),
              column: c.column + s * 0.75 * c.radius * cos(c.angle), area: c.area / 2,
              vRow: c.vRow + s * sin(c.angle), vColumn: c.vColumn + s * cos(c.angle),
              angle: c.angle + Double.pi / 2, parent: c.id)
            d.divideAt = cells.count + next.count < 30 ? t + 1 + Int(uniform(6, 12)) : nil
            next.append(d)
            nextID += 1
          }
          continue
        }
        c.row += c.vRow
        c.column += c.vColumn
        if kind == .fast {
          if c.row < 10 || c.row > Double(h) - 11 { c.vRow = -c.vRow }
          if c.column < 10 || c.column > Double(w) - 11 { c.vColumn = -c.vColumn }
          c.row = min(max(c.row, 10), Double(h) - 11)
          c.column = min(max(c.column, 10), Double(w) - 11)
        } else {
          c.vRow = 0.7 * c.vRow + normal(0.7) + (kind == .border ? (c.id % 2 == 1 ? 1.5 : -1.5) : 0)
          c.vColumn = 0.7 * c.vColumn + normal(0.7)
          if kind != .border {
            c.row = min(max(c.row, 12), Double(h) - 13)
            c.column = min(max(c.column, 12), Double(w) - 13)
          }
          c.partnerAngle += normal(0.15)
        }
        c.angle += normal(0.1)
        if kind == .dividing { c.area = min(c.area * 1.08, 240) }
        next.append(c)
      }
      if kind == .border && t % 3 == 0 {
        let top = uniform(0, 1) < 0.5
        next.append(
          Cell(
            id: nextID, row: top ? 2 : Double(h) - 3, column: uniform(16, Double(w) - 16),
            area: uniform(120, 240), vRow: top ? 3 : -3, vColumn: normal(1),
            angle: uniform(0, Double.pi)))
        nextID += 1
      }
      cells = next
      glue()
      separate()
    }
    return fromFrames(name: "synthetic-\(kind.rawValue)", frames, h, w, parentOf: parentOf)
  }

  /// The CTC lineage of painted frames: each id's frames split into runs of consecutive
  /// frames (a run after a gap is a new label whose parent is the earlier run), parents
  /// linked to their daughters' first runs when they end before them.
  static func fromFrames(
    name: String, _ frames: [[Int]], _ h: Int, _ w: Int, parentOf: [Int: Int]
  ) -> Movie {
    var present = [Int: [Int]]()
    for (t, f) in frames.enumerated() {
      for id in Set(f) where id != 0 { present[id, default: []].append(t) }
    }
    var out = frames
    var nextLabel = (present.keys.max() ?? 0) + 1
    var runsOf = [Int: [TrackRecord]]()
    for id in present.keys.sorted() {
      var runs: [TrackRecord] = []
      for t in present[id]! {
        if let last = runs.last, last.end == t - 1 {
          runs[runs.count - 1].end = t
        } else {
          let label = runs.isEmpty ? id : nextLabel
          if !runs.isEmpty { nextLabel += 1 }
          runs.append(TrackRecord(label: label, begin: t, end: t, parent: runs.last?.label ?? 0))
        }
      }
      for r in runs where r.label != id {
        for t in r.begin...r.end { out[t] = out[t].map { $0 == id ? r.label : $0 } }
      }
      runsOf[id] = runs
    }
    var tracks: [TrackRecord] = []
    for id in present.keys.sorted() {
      var runs = runsOf[id]!
      if let p = parentOf[id], p > 0, let parentRuns = runsOf[p], let last = parentRuns.last,
        last.end < runs[0].begin
      {
        runs[0].parent = last.label
      }
      tracks += runs
    }
    return Movie(name: name, height: h, width: w, frames: out, tracks: tracks)
  }

  /// The movie of a CTC ground-truth folder (TRA masks and man_track.txt).
  static func ctc(_ gt: URL, name: String) throws -> Movie {
    let folder = gt.appendingPathComponent("TRA")
    let files = try CTCFolderEvaluation.tiffFiles(in: folder.path)
    let stacks = try files.map {
      try TIFFStackReader(path: folder.appendingPathComponent($0).path).readFrame(0)
    }
    let tracks = try CTCTrackTable.read(path: folder.appendingPathComponent("man_track.txt").path)
    return Movie(
      name: name, height: stacks[0].shape[0], width: stacks[0].shape[1],
      frames: stacks.map { $0.integerValues().map { Int($0) } }, tracks: tracks)
  }

  /// A tracker's output: CTC-labelled frames and the lineage.
  struct Result {
    var frames: [[Int]]
    var tracks: [TrackRecord]
  }

  /// dc-track's ``CellTracker`` on the movie (or on `input`, the movie as a segmentation
  /// gives it) with its ids scrambled per frame.
  static func track(
    _ movie: Movie, input: [[Int]]? = nil, parameters: TrackingParameters = TrackingParameters()
  ) throws
    -> Result
  {
    let tracker = try CellTracker(parameters: parameters)
    var frames: [[Int]] = []
    for (t, f) in (input ?? movie.frames).enumerated() {
      let input = TrackFixtures.scrambled(f, seed: UInt64(7000 + t))
      let out = try tracker.addFrame(
        labels: TrackFixtures.frame(input, movie.height, movie.width))
      frames.append(out.segmentLabels.map { Int($0) })
    }
    return Result(frames: frames, tracks: tracker.history().trackTable(keepGapLinks: true).rows)
  }

  /// dc-track's whole ``TrackingJob`` (two passes: gap filling, merge splitting) on `input`
  /// with its ids scrambled per frame, written as an NPY in `folder`; its CTC output read back.
  static func trackJob(
    _ movie: Movie, input: [[Int]], folder: URL,
    parameters: TrackingParameters = TrackingParameters()
  ) throws -> Result {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent("labels.npy").path
    let values = input.enumerated().flatMap {
      TrackFixtures.scrambled($1, seed: UInt64(9000 + $0)).map { UInt16($0) }
    }
    try Data(NPY.encode(NDArray(shape: [input.count, movie.height, movie.width], values: values)))
      .write(to: URL(fileURLWithPath: path))
    let res = folder.appendingPathComponent("RES").path
    _ = try TrackingJob(input: path).run(
      parameters: parameters, outputs: TrackingOutputs(ctcFolder: res))
    let frames = try CTCFolderEvaluation.tiffFiles(in: res).map {
      try TIFFStackReader(path: res + "/" + $0).readFrame(0).integerValues().map { Int($0) }
    }
    return Result(frames: frames, tracks: try CTCTrackTable.read(path: res + "/res_track.txt"))
  }

  /// The plain baseline of bench/track_accuracy.py: consecutive frames matched by a maximum
  /// total IoU assignment (pairs with IoU > 0), a new track for every unmatched cell, and a
  /// division when an unmatched cell overlaps a previous cell whose track continued: that
  /// track ends and both cells start daughter tracks. No gap closing.
  static func iouLinker(_ movie: Movie) throws -> Result {
    var frames: [[Int]] = []
    var tracks = [Int: TrackRecord]()
    var nextID = 1
    var previous: [Int] = []
    var previousLabels: [Int] = []
    var trackOfPrevious = [Int: Int]()
    for (t, f) in movie.frames.enumerated() {
      let labels = Array(Set(f).subtracting([0])).sorted()
      let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
      var trackOf = [Int: Int]()
      func newTrack(_ label: Int, parent: Int) {
        trackOf[label] = nextID
        tracks[nextID] = TrackRecord(label: nextID, begin: t, end: t, parent: parent)
        nextID += 1
      }
      if previousLabels.isEmpty {
        for l in labels { newTrack(l, parent: 0) }
      } else {
        let previousIndex = Dictionary(
          uniqueKeysWithValues: previousLabels.enumerated().map { ($1, $0) })
        var inter = [Int: [Int: Int]]()
        var areaA = [Int](repeating: 0, count: previousLabels.count)
        var areaB = [Int](repeating: 0, count: labels.count)
        for p in f.indices {
          let a = previous[p]
          let b = f[p]
          if a != 0 { areaA[previousIndex[a]!] += 1 }
          if b != 0 { areaB[index[b]!] += 1 }
          if a != 0 && b != 0 { inter[previousIndex[a]!, default: [:]][index[b]!, default: 0] += 1 }
        }
        var iou = [Int: [Int: Double]]()
        var candidates: [LinkCandidate] = []
        for (r, row) in inter {
          for (c, n) in row {
            let v = Double(n) / Double(areaA[r] + areaB[c] - n)
            iou[r, default: [:]][c] = v
            candidates.append(LinkCandidate(row: r, cell: c, cost: 1 - v))
          }
        }
        // Σ(1 − IoU) + ½ per unmatched row or column = −Σ IoU + constant: maximum total IoU.
        let cellOfRow = try FrameLinking.link(
          candidates: candidates.sorted { ($0.row, $0.cell) < ($1.row, $1.cell) },
          rowCount: previousLabels.count, cellCount: labels.count, birthCost: 0.5, deathCost: 0.5)
        var rowOfCell = [Int: Int]()
        for (r, c) in cellOfRow.enumerated() where c >= 0 { rowOfCell[c] = r }
        var daughtersOf = [Int: [Int]]()
        for c in labels.indices where rowOfCell[c] == nil {
          var best = -1
          var bestIoU = 0.0
          for r in previousLabels.indices {
            if let v = iou[r]?[c], v > bestIoU { (best, bestIoU) = (r, v) }
          }
          if best >= 0 && cellOfRow[best] >= 0 { daughtersOf[best, default: []].append(c) }
        }
        var split = [Int: Int]()  // cell → parent track
        for (r, cs) in daughtersOf {
          for c in [cellOfRow[r]] + cs { split[c] = trackOfPrevious[previousLabels[r]]! }
        }
        for (c, l) in labels.enumerated() {
          if let p = split[c] {
            newTrack(l, parent: p)
          } else if let r = rowOfCell[c] {
            let id = trackOfPrevious[previousLabels[r]]!
            trackOf[l] = id
            tracks[id]!.end = t
          } else {
            newTrack(l, parent: 0)
          }
        }
      }
      frames.append(f.map { $0 == 0 ? 0 : trackOf[$0]! })
      previous = f
      previousLabels = labels
      trackOfPrevious = trackOf
    }
    return Result(frames: frames, tracks: tracks.values.sorted { $0.label < $1.label })
  }

  /// The CTC measures of a result against the movie's ground truth (no SEG), divisions with
  /// BC(`divisionTolerance`).
  static func evaluate(_ result: Result, _ movie: Movie, divisionTolerance: Int = 0) throws
    -> TrackingEvaluation
  {
    let shape = [movie.height, movie.width]
    let frames = try movie.frames.indices.map { t in
      CTCFrameMatch(
        reference: try IndexedLabels(
          stack: NDArray(shape: shape, values: movie.frames[t].map { UInt32($0) }), frame: 0,
          imageShape: shape, subject: "truth \(t)"),
        result: try IndexedLabels(
          stack: NDArray(shape: shape, values: result.frames[t].map { UInt32($0) }), frame: 0,
          imageShape: shape, subject: "result \(t)"))
    }
    return try TrackingEvaluation(
      frames: frames, segmentationFrames: nil, referenceTracks: movie.tracks,
      resultTracks: result.tracks, divisionTolerance: divisionTolerance)
  }
}
