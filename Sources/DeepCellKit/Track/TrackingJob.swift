import Foundation

/// Where ``TrackingJob`` writes, any combination (spec/track.md §4–6): the relabelled stack
/// (each track one id), a CTC result folder, a DeepCell `.trk`, the lineage JSON.
public struct TrackingOutputs: Sendable, Equatable {
  /// The relabelled stack (TIFF/NPY/NPZ by extension; `-` = stdout).
  public var tracked: String?
  /// The CTC result folder (`maskTTT.tif` + `res_track.txt`).
  public var ctcFolder: String?
  /// The `.trk` file.
  public var trk: String?
  /// The lineage JSON (`-` = stdout).
  public var lineage: String?
  /// CTC: a run after a gap names the earlier run as parent (true) or has none (deepcell's
  /// `contig_tracks`).
  public var keepGapLinks: Bool = true

  /// Outputs at the given paths.
  public init(
    tracked: String? = nil, ctcFolder: String? = nil, trk: String? = nil, lineage: String? = nil,
    keepGapLinks: Bool = true
  ) {
    self.tracked = tracked
    self.ctcFolder = ctcFolder
    self.trk = trk
    self.lineage = lineage
    self.keepGapLinks = keepGapLinks
  }

  /// Whether nothing is to be written.
  public var isEmpty: Bool { tracked == nil && ctcFolder == nil && trk == nil && lineage == nil }
}

/// What a finished ``TrackingJob`` did.
public struct TrackingSummary: Sendable, Equatable {
  /// Frames processed.
  public var frames: Int
  /// Cell instances (cell-frames) in the input.
  public var cells: Int
  /// Tracks (distinct ids of the relabelled stack).
  public var tracks: Int
  /// Tracks that ended by dividing.
  public var divisions: Int
  /// Gaps closed (runs after the first, over all tracks).
  public var gapsClosed: Int
  /// Whether the input's own tracks were converted (no tracking).
  public var converted: Bool
}

/// One run of dc-track: opens the input (a label stack in TIFF/NPY/NPZ/PNG, a CTC folder, or a
/// `.trk`), checks every frame before anything is written, then streams the frames through
/// ``CellTracker`` — or, for a CTC folder with a track table or a `.trk` and no `retrack`,
/// through a format conversion that keeps their tracks — into the requested outputs. Outputs
/// are written to temporary names and put in place only when all are complete.
public final class TrackingJob {
  enum Source {
    case labels(StackReader)
    case ctc(CTCFolderReader)
    case trk(TRKFile)
  }

  /// The input as named in messages.
  public let subject: String
  private let source: Source
  private let labels: StackReader
  private let raw: StackReader?
  private let rawSubject: String
  /// Whether the input's own tracks are converted instead of re-tracked.
  public let converts: Bool

  /// Opens the inputs.
  ///
  /// - Parameters:
  ///   - input: label stack path, CTC folder or `.trk` (`-`/nil: stdin, a stack only).
  ///   - labelName: array of an NPZ holding the labels (default `y`, else the first array).
  ///   - raw: raw movie path for intensities and the `.trk` output (default: `X` of the
  ///     same NPZ, or the `.trk`'s raw movie).
  ///   - rawName: array of the raw NPZ (default `X`, else the first).
  ///   - retrack: track a CTC folder or `.trk` anew instead of converting its tracks.
  public init(
    input: String?, labelName: String? = nil, raw rawPath: String? = nil, rawName: String? = nil,
    retrack: Bool = false
  )
    throws
  {
    let path = (input == nil || input == "-") ? nil : input
    subject = path ?? "-"
    var isFolder: ObjCBool = false
    var rawReader: StackReader?
    var rawFrom = rawPath ?? subject
    if let path, FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
      isFolder.boolValue
    {
      let folder = try CTCFolderReader(path: path)
      source = .ctc(folder)
      labels = folder
      converts = folder.table != nil && !retrack
    } else if let path, try TrackingJob.looksLikeTRK(path) {
      let trk = try TRKFile(path: path)
      source = .trk(trk)
      labels = trk.tracked
      converts = !retrack
      rawReader = trk.raw
    } else {
      let file = try InputFile(path: path)
      let names = file.arrayNames
      let name = labelName ?? (names.contains(ArrayName.labels) ? ArrayName.labels : names[0])
      let reader = try file.stackReader(name: name)
      source = .labels(reader)
      labels = reader
      converts = false
      if rawPath == nil, file.format == .npz, name != ArrayName.image,
        names.contains(ArrayName.image)
      {
        rawReader = try file.stackReader(name: ArrayName.image)
      }
    }
    if let rawPath {
      let file = try InputFile(path: rawPath)
      rawReader = try file.stackReader(name: rawName)
      rawFrom = rawPath
    }
    raw = rawReader
    rawSubject = rawFrom
    guard labels.frameShape.count == 3, labels.frameShape[2] == 1 else {
      throw DeepCellError(
        .badData, subject,
        "labels must be one channel (frames, height, width), not frames of \(labels.frameShape)")
    }
    guard labels.dtype != .bool else {
      throw DeepCellError(
        .badData, subject, "a boolean mask is not a label stack (labels must be integers)")
    }
    if let raw {
      guard raw.frameCount == labels.frameCount, raw.frameShape[0] == labels.frameShape[0],
        raw.frameShape[1] == labels.frameShape[1]
      else {
        throw DeepCellError(
          .badData, rawSubject,
          "raw movie is \(raw.frameCount) × \(raw.frameShape[0]) × \(raw.frameShape[1]) but the labels are \(labels.frameCount) × \(labels.frameShape[0]) × \(labels.frameShape[1])"
        )
      }
    }
  }

  /// A gzip stream or a tar archive (`ustar` at offset 257): the forms of a `.trk`.
  static func looksLikeTRK(_ path: String) throws -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    let head = [UInt8]((try? handle.read(upToCount: 262)) ?? Data())
    if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return true }
    return head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
  }

  /// Runs the job with `parameters`, writing `outputs`; `progress` is called after each frame
  /// with (frames done, frame count).
  ///
  /// - Throws: ``DeepCellError``: `usage` for no outputs or a `.trk` without a raw movie,
  ///   `badData` for an empty movie, non-integer labels, frames of different sizes, CTC masks
  ///   or a `.trk` whose tracks disagree with the masks; `cannotCreate`/`io` for output failures.
  ///   Nothing is left at any output path on failure.
  public func run(
    parameters: TrackingParameters, outputs: TrackingOutputs, progress: ((Int, Int) -> Void)? = nil
  ) throws -> TrackingSummary {
    guard !outputs.isEmpty else {
      throw DeepCellError(
        .usage, "outputs", "nothing to write: give -o, --ctc, --trk and/or --lineage")
    }
    if outputs.trk != nil && raw == nil {
      throw DeepCellError(.usage, "--trk", "a .trk holds the raw movie too: give it with --raw")
    }
    try parameters.validate()
    let frameCount = labels.frameCount
    guard frameCount > 0 else { throw DeepCellError(.badData, subject, "empty movie (no frames)") }
    let height = labels.frameShape[0]
    let width = labels.frameShape[1]
    guard height > 0, width > 0 else {
      throw DeepCellError(.badData, subject, "empty frames (\(height) × \(width))")
    }

    // Pass 1: check every frame and count cells (and, converting, where each label occurs).
    var cells = 0
    var occurrences = [Int: [Int]]()
    for t in 0..<frameCount {
      let seen = try CellFeatures.labelsPresent(
        labels.readFrame(t), subject: "\(subject): frame \(t)")
      cells += seen.count
      if converts { for v in seen { occurrences[v, default: []].append(t) } }
    }
    var history: TrackHistory?
    var trackOfLabel: [Int: Int] = [:]
    if converts {
      switch source {
      case .trk(let trk):
        history = trk.lineage.history()
      case .ctc(let folder):
        let table = folder.table!
        if let late = table.rows.first(where: { $0.end >= frameCount }) {
          throw DeepCellError(
            .badData, folder.path,
            "track \(late.label) ends at frame \(late.end), past the movie's \(frameCount) frames")
        }
        let (h, map) = try table.history()
        history = h
        trackOfLabel = map
        var byTrack = [Int: [Int]]()
        for (label, frames) in occurrences {
          guard let track = map[label] else {
            throw DeepCellError(
              .badData, folder.path, "label \(label) occurs in the masks but not in the track table"
            )
          }
          byTrack[track, default: []] += frames
        }
        occurrences = byTrack.mapValues { $0.sorted() }
      case .labels:
        break
      }
      try history!.lineage().validate(present: occurrences, subject: subject)
    }
    let maxLabel = converts ? history!.maxLabel : cells
    let labelType: DType = maxLabel <= Int(UInt16.max) ? .uint16 : .uint32

    // Outputs, all temporary until the end.
    var trackedWriter: StackWriter?
    var ctcWriter: CTCFolderWriter?
    var trkWriter: TRKWriter?
    var lineageOutput: OutputFile?
    func abortAll() {
      trackedWriter?.abort()
      ctcWriter?.abort()
      trkWriter?.abort()
      lineageOutput?.abort()
    }
    do {
      if let path = outputs.tracked {
        let output = try OutputFile(path: path)
        trackedWriter = try makeStackWriter(
          output, name: ArrayName.labels, dtype: labelType, frameShape: [height, width, 1],
          frameCount: frameCount,
          compressed: true)
      }
      if let path = outputs.ctcFolder {
        if maxLabel > Int(UInt16.max) {
          throw DeepCellError(
            .usage, path, "\(maxLabel) labels do not fit the 16-bit masks of the CTC format")
        }
        ctcWriter = try CTCFolderWriter(
          path: path, frameCount: frameCount, height: height, width: width)
      }
      if let path = outputs.trk, let raw {
        trkWriter = try TRKWriter(
          path: path, frameCount: frameCount, height: height, width: width,
          rawChannels: raw.frameShape[2],
          rawType: raw.dtype == .float16 ? .float32 : raw.dtype)
      }
      if let path = outputs.lineage { lineageOutput = try OutputFile(path: path) }

      // Short tracks are known only at the end: a first, silent run of the (deterministic)
      // tracker finds them, and the writing pass reads its frames back from a spool and
      // writes them without those tracks. So are the gaps that close (and where their cells
      // reappear), for filling them.
      // Likewise divisions whose second daughter appears frames late (``LateDaughter``):
      // found on the whole first pass, applied to the written frames after filling.
      var removed = Set<Int>()
      var filling: GapFilling?
      var lateDaughters: LateDaughter?
      // The first pass's history without its short tracks (its closed gaps are counted
      // there), and as written: gaps filled, late daughters' divisions made (the writing
      // pass only reads the first pass back).
      var kept: TrackHistory?
      var written: TrackHistory?
      var spooled: (tracker: CellTracker, frames: TrackedFrameSpool)?
      if !converts
        && (parameters.minTrackLength > 1 || parameters.fillGaps || parameters.lateDaughterGap > 0)
      {
        let probe = try CellTracker(parameters: parameters)
        let spool = try TrackedFrameSpool(pixels: height * width)
        var centroids: [[Int: (Double, Double, Int)]] = []
        var occupancy = GapFilling.Occupancy(maxGap: parameters.maxGap)
        for t in 0..<frameCount {
          let out = try probe.addFrame(
            labels: try labels.readFrame(t),
            raw: parameters.intensityWeight > 0 ? try raw?.readFrame(t) : nil, subject: subject)
          try spool.append(out)
          if parameters.fillGaps || parameters.lateDaughterGap > 0 {
            centroids.append(GapFilling.centroids(out.trackLabels, width: width))
          }
          if parameters.fillGaps { occupancy.add(frame: t, trackLabels: out.trackLabels) }
        }
        let firstPass = probe.history()
        if parameters.lateDaughterGap > 0 {
          lateDaughters = LateDaughter(
            history: firstPass, features: centroids, parameters: parameters)
        }
        // A late daughter and its parent are in a lineage, so never short tracks.
        let lineageIds = Set(
          lateDaughters?.splits.flatMap { [$0.parent, $0.secondDaughter] } ?? [])
        removed = ShortTrackFilter.shortTracks(
          in: firstPass, minLength: parameters.minTrackLength
        ).subtracting(lineageIds)
        let withoutShort = ShortTrackFilter.removing(removed, from: firstPass)
        kept = withoutShort
        if parameters.fillGaps {
          filling = GapFilling(
            history: withoutShort, centroids: centroids, occupancy: occupancy, height: height,
            width: width, splitMerges: parameters.splitMerges)
        }
        let filled = filling?.filledHistory(withoutShort) ?? withoutShort
        written = lateDaughters?.applied(to: filled) ?? filled
        try spool.rewind()
        spooled = (probe, spool)
      }

      // Pass 2: track (or convert, or read the first pass's frames) frame by frame.
      let tracker =
        converts ? nil : try spooled?.tracker ?? CellTracker(parameters: parameters)
      // The raw frame is read only where it is used: by the .trk writer, and by a tracker
      // that weighs intensities and is not replaced by the first pass's spooled frames.
      let trackerNeedsRaw = tracker != nil && spooled == nil && parameters.intensityWeight > 0
      for t in 0..<frameCount {
        let rawFrame = trkWriter != nil || trackerNeedsRaw ? try raw?.readFrame(t) : nil
        var trackFrame: [Int32]
        var segmentFrame: [Int32]
        if let tracker {
          if let spool = spooled?.frames {
            (trackFrame, segmentFrame) = try spool.next()
          } else {
            let result = try tracker.addFrame(
              labels: try labels.readFrame(t),
              raw: trackerNeedsRaw ? rawFrame : nil, subject: subject)
            trackFrame = result.trackLabels
            segmentFrame = result.segmentLabels
          }
          if !removed.isEmpty {
            for p in trackFrame.indices where removed.contains(Int(trackFrame[p])) {
              trackFrame[p] = 0
              segmentFrame[p] = 0
            }
          }
          filling?.fill(frame: t, trackLabels: &trackFrame, segmentLabels: &segmentFrame)
          lateDaughters?.relabel(frame: t, trackLabels: &trackFrame, segmentLabels: &segmentFrame)
        } else {
          let values = try CellFeatures.wholeLabels(
            labels.readFrame(t), subject: "\(subject): frame \(t)")
          trackFrame = [Int32](repeating: 0, count: values.count)
          segmentFrame = trackFrame
          var cache = [Int: (Int32, Int32)]()
          for (p, v) in values.enumerated() where v != 0 {
            if cache[v] == nil {
              if case .ctc = source {
                let track = trackOfLabel[v]!
                cache[v] = (Int32(track), Int32(v))
              } else {
                cache[v] = (Int32(v), Int32(history!.records[v]!.segmentLabel(atFrame: t)!))
              }
            }
            (trackFrame[p], segmentFrame[p]) = cache[v]!
          }
        }
        if let writer = trackedWriter {
          let array =
            labelType == .uint16
            ? NDArray(
              shape: [height, width, 1], values: trackFrame.map { UInt16(truncatingIfNeeded: $0) })
            : NDArray(
              shape: [height, width, 1], values: trackFrame.map { UInt32(truncatingIfNeeded: $0) })
          try writer.append(array)
        }
        try ctcWriter?.append(segmentFrame)
        if let writer = trkWriter, let rawFrame {
          let r = rawFrame.dtype == .float16 ? rawFrame.converted(to: .float32) : rawFrame
          try writer.append(raw: r, tracked: trackFrame)
        }
        progress?(t + 1, frameCount)
      }
      let tracked = kept ?? tracker?.history()
      let result = written ?? tracked ?? history!
      let lineage = result.lineage()
      try trkWriter?.finish(lineage: lineage)
      try ctcWriter?.finish(table: result.trackTable(keepGapLinks: outputs.keepGapLinks))
      if let output = lineageOutput {
        do {
          try Data((lineage.jsonText() + "\n").utf8).write(
            to: URL(fileURLWithPath: output.temporaryPath))
        } catch {
          throw DeepCellError(.io, output.subject, "write failed: \(error.localizedDescription)")
        }
        try output.commit()
      }
      try trackedWriter?.finish()
      return TrackingSummary(
        frames: frameCount, cells: cells, tracks: result.records.count,
        divisions: result.records.values.filter { !$0.daughters.isEmpty }.count,
        gapsClosed: (tracked ?? result).records.values.reduce(0) { $0 + $1.spans.count - 1 },
        converted: converts
      )
    } catch {
      abortAll()
      throw error
    }
  }
}
