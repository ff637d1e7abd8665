import Foundation

/// How dc-predict sets the scale frames are predicted at (predict.md §1, design.md "Scale").
public enum NucleusScale: Sendable, Equatable {
  /// The model's choice: ``automatic`` when it records a training diameter; else, for models
  /// trained at a pixel size (DeepCell's), the pixel size the file records in its ImageJ or
  /// OME resolution (as ``imagePixelSize``); else the input's own scale (DeepCell's behaviour
  /// without `image_mpp`).
  case modelDefault
  /// Estimate the nucleus diameter of the stack (``DiameterEstimation``) on its first frame,
  /// or, when that one shows no nuclei (a blank or dark frame), on the first of up to
  /// ``MapPredictionJob/maxEstimationFrames`` frames spread over the stack that does.
  case automatic
  /// Nuclei are this many input pixels across.
  case diameter(Double)
  /// Input pixels are this many µm (DeepCell's `image_mpp`), against the model's pixel size.
  case imagePixelSize(Double)
}

/// A prediction run of dc-predict as a library call: a stack in, an NPZ of maps out at the
/// input's resolution, with the ``StackProvenance`` dc-watershed reads (the scale used and the
/// model's post-processing settings).
public struct MapPredictionJob {
  /// The model.
  public var network: PanopticNet
  /// Its description (training diameter, pixel size, normalization, settings).
  public var description: ModelDescription
  /// Prediction settings (input preparation decided by the caller: see ``prepareInput``).
  public var settings: MapPredictionSettings
  /// The scale rule.
  public var scale: NucleusScale = .modelDefault
  /// Overrides the model's training diameter.
  public var modelDiameter: Double?
  /// Overrides the model's pixel size.
  public var modelMPP: Double?
  /// The memory budget of the run: the frames in flight
  /// (``MapPredictor/workingBytes(frames:height:width:channels:scale:)``) are reserved from
  /// it before the first frame is read. The network's own buffers draw on the process budget
  /// (``MemoryBudget/process``), which is this one unless the caller chose another.
  public var budget: MemoryBudget = .process

  /// A job running `network` with `settings`.
  public init(network: PanopticNet, description: ModelDescription, settings: MapPredictionSettings)
  {
    self.network = network
    self.description = description
    self.settings = settings
  }

  /// What the run did.
  public struct Report: Sendable, Equatable {
    /// Model pixels per input pixel.
    public var scale: Double
    /// The nucleus diameter used (given or estimated), if any.
    public var diameter: Double?
    /// The estimation, when the diameter was estimated.
    public var estimation: DiameterEstimation.Result?
    /// The frames the estimation read, in order: `[0]` unless the first frame showed no
    /// nuclei; its passes are the last one's.
    public var estimationFrames: [Int] = [0]
    /// The input's pixel size in µm read from the file, when that set the scale.
    public var filePixelSize: Double?
  }

  /// How input with `provenance` is prepared, set in `settings`: normalized unless
  /// `normalizeFlag` (`--normalize` true, `--no-normalize` false) says otherwise, dc-normalize
  /// already did, or the model takes raw input; with `transformFlag` (`--transform`), else the
  /// model's ``ModelDescription/inputTransform``. Returns a warning when, with no flag, the
  /// input was normalized with another intensity transform than the model's: the maps are
  /// predicted from it as it is, since a normalization cannot be undone.
  public static func prepareInput(
    _ settings: inout MapPredictionSettings, normalizeFlag: Bool?,
    transformFlag: IntensityTransform?, provenance: StackProvenance?,
    description: ModelDescription
  ) -> String? {
    let normalized = provenance?.normalization != nil
    settings.normalize = normalizeFlag ?? (!normalized && description.normalization != "none")
    settings.transform = transformFlag ?? description.inputTransform ?? .none
    guard normalizeFlag == nil, normalized else { return nil }
    let had = provenance?.transform ?? IntensityTransform.none.rawValue
    let expected = settings.transform.rawValue
    guard had != expected else { return nil }
    return
      "the input was normalized with --transform \(had), the model expects \(expected): rerun dc-normalize with --transform \(expected) (or give dc-predict the raw stack)"
  }

  /// Heads' array names: inner_distance, outer_distance, fgbg, semantic_N (the heads of
  /// ``MapPredictionSettings/heads``, else the one-class heads, as ``PanopticPredictor``).
  public var arrayNames: [String] {
    let classes = network.configuration.semanticClasses
    return (settings.heads ?? classes.indices.filter { classes[$0] == 1 }).map { i -> String in
      switch i {
      case 0: return ArrayName.innerDistance
      case 1: return ArrayName.outerDistance
      case 2: return "fgbg"
      default: return "semantic_\(i)"
      }
    }
  }

  /// Predicts every frame of `reader` and writes the maps to `output` (NPZ). `progress` is
  /// called with the number of frames finished. Throws `usage` for a diameter request the model
  /// cannot serve, `badData` for bad frames; nothing is left at `output` on failure.
  public func run(
    reader: StackReader, subject: String, output: OutputFile, progress: (Int) -> Void = { _ in }
  ) throws -> Report {
    guard reader.frameCount > 0 else {
      throw DeepCellError(.badData, subject, "the stack has no frames")
    }
    let (h, w, c) = (reader.frameShape[0], reader.frameShape[1], reader.frameShape[2])
    let takes = network.configuration.inputChannels
    guard c == takes else {
      // More channels than the model takes: an RGB(A) image of a grey one, or a stack of 3 or
      // 4 frames that was saved as one multi-sample page (tifffile does so without axes).
      let hint =
        c > takes
        ? ": pick \(takes == 1 ? "one" : "\(takes)") with --channel (e.g. --channel 0), or, if they are the frames of a stack, save it with its axes (tifffile: metadata={'axes': 'TYX'})"
        : ""
      throw DeepCellError(.badData, subject, "has \(c) channel(s); the model takes \(takes)\(hint)")
    }
    guard output.format == .npz else {
      throw DeepCellError(.usage, output.subject, "dc-predict writes NPZ (-o FILE.npz)")
    }
    let predictor = MapPredictor(network: network, settings: settings)
    let chunk = max(1, min(settings.batchSize, reader.frameCount))
    let what = "\(subject): \(chunk) frame\(chunk == 1 ? "" : "s") of \(h)×\(w) in flight"
    var working = try budget.reserve(
      predictor.workingBytes(frames: chunk, height: h, width: w, channels: c, scale: 1),
      for: what)
    var first: [[Float]]? = try predictor.prepared(
      (0..<min(chunk, reader.frameCount)).map { try reader.readFrame($0) }, subject: subject,
      firstFrameIndex: 0)
    let report = try resolveScale(
      height: h, width: w, channels: c, predictor: predictor,
      filePixelSize: reader.pixelSizeMicrons, frameCount: reader.frameCount
    ) { [first] k in
      // The first chunk is prepared already; a later frame is read and prepared on its own.
      if let first, k < first.count { return first[k] }
      return try predictor.prepared(
        [try reader.readFrame(k)], subject: subject, firstFrameIndex: k)[0]
    }
    let (nh, nw) = MapPredictor.scaledSize(height: h, width: w, scale: report.scale)
    guard nh >= 1, nw >= 1, nh * nw <= 1 << 30 else {
      throw DeepCellError(
        .usage, subject, "resizing \(h)×\(w) by \(report.scale) gives \(nh)×\(nw) pixels")
    }
    if report.scale != 1 {
      working.release()
      working = try budget.reserve(
        predictor.workingBytes(
          frames: chunk, height: h, width: w, channels: c, scale: report.scale),
        for: what)
    }
    defer { working.release() }
    let names = arrayNames
    let spools = try names.map { try MapSpool(name: $0) }
    defer { for s in spools { s.remove() } }
    var start = 0
    while start < reader.frameCount {
      let end = min(reader.frameCount, start + chunk)
      let frames =
        try first
        ?? predictor.prepared(
          (start..<end).map { try reader.readFrame($0) }, subject: subject,
          firstFrameIndex: start)
      first = nil
      let maps = try predictor.maps(frames, height: h, width: w, channels: c, scale: report.scale)
      for frame in maps { for (k, m) in frame.enumerated() { try spools[k].append(m) } }
      progress(end - start)
      start = end
    }
    let provenance = StackProvenance(
      scale: report.scale, diameter: report.diameter, watershed: description.watershed,
      tool: "dc-predict")
    let writer = try NPZWriter(path: output.temporaryPath)
    do {
      try writer.writeMember(StackProvenance.npzMember, bytes: Array(provenance.json.utf8))
      for (k, spool) in spools.enumerated() {
        let classes = predictor.headClasses[k]
        let stream = try writer.beginArray(
          spool.name, shape: [reader.frameCount, h, w, classes], dtype: .float32)
        try spool.copy(frameBytes: h * w * classes * 4, into: stream)
        try stream.end()
      }
      try writer.finish()
      try output.commit()
    } catch {
      writer.abort()
      output.abort()
      throw error
    }
    return report
  }

  /// Most frames an automatic estimation reads before it gives up: the first, then frames spread
  /// evenly over the stack (``estimationCandidates(frameCount:)``).
  public static let maxEstimationFrames = 8

  /// The frames an automatic estimation tries, in order: 0, then k·n/8 for k = 1…7 (n frames),
  /// each once.
  public static func estimationCandidates(frameCount n: Int) -> [Int] {
    var seen = Set<Int>()
    return (0..<maxEstimationFrames).map { $0 * n / maxEstimationFrames }.filter {
      $0 < n && seen.insert($0).inserted
    }
  }

  /// The scale of the run from ``scale``, estimating the diameter when asked on the frames of
  /// ``estimationCandidates(frameCount:)`` in turn (`frameAt` gives one prepared) until one
  /// shows nuclei; `filePixelSize` (µm) is what the input file records, if anything.
  func resolveScale(
    height: Int, width: Int, channels: Int, predictor: MapPredictor, filePixelSize: Double?,
    frameCount: Int, frameAt: (Int) throws -> [Float]
  ) throws -> Report {
    let trained = modelDiameter ?? description.diameter
    switch scale {
    case .imagePixelSize(let mpp):
      return Report(scale: mpp / (modelMPP ?? description.modelMPP), diameter: nil)
    case .diameter(let d):
      guard let trained else {
        throw DeepCellError(
          .usage, "--diameter",
          "the model records no training diameter: give --model-diameter or --image-mpp")
      }
      return Report(scale: trained / d, diameter: d)
    case .modelDefault where trained == nil:
      guard let mpp = filePixelSize, mpp.isFinite, mpp > 0 else {
        return Report(scale: 1, diameter: nil)
      }
      return Report(
        scale: mpp / (modelMPP ?? description.modelMPP), diameter: nil, filePixelSize: mpp)
    case .automatic, .modelDefault:
      guard let trained else {
        throw DeepCellError(
          .usage, "--diameter auto",
          "the model records no training diameter: give --model-diameter")
      }
      let settings = (description.watershed ?? WatershedSettings()).applied(
        to: DeepWatershedParameters())
      var estimator = DiameterEstimation(trainingDiameter: trained, watershed: settings)
      estimator.calibration = description.diameterCalibration ?? 1
      var result = DiameterEstimation.Result(diameter: nil, passes: [])
      var read: [Int] = []
      for k in Self.estimationCandidates(frameCount: frameCount) {
        result = try estimator.estimate(
          try frameAt(k), height: height, width: width, channels: channels,
          predictor: predictor.predictor)
        read.append(k)
        if let d = result.diameter {
          return Report(
            scale: trained / d, diameter: d, estimation: result, estimationFrames: read)
        }
      }
      return Report(scale: 1, diameter: nil, estimation: result, estimationFrames: read)
    }
  }
}

extension MapPredictionJob.Report {
  /// The line a tool reports when the scale came from the pixel size the input file records
  /// (nil otherwise).
  public var pixelSizeSummary: String? {
    filePixelSize.map {
      String(format: "pixel size %g µm from the file's resolution (scale %.3f)", $0, scale)
    }
  }

  /// The line a tool reports after an automatic diameter estimation (nil without one):
  /// the diameter and scale used, then each pass as assumed→read(objects).
  public var estimationSummary: String? {
    guard let estimation else { return nil }
    let list = estimationFrames.map(String.init).joined(separator: ", ")
    let last = estimationFrames.last ?? 0
    let frame = last == 0 ? "" : " from frame \(last), the first of frames \(list) with nuclei"
    let text =
      diameter.map { String(format: "%.1f px (scale %.3f)", $0, scale) + frame }
      ?? "no nuclei found in frame\(estimationFrames.count == 1 ? "" : "s") \(list); predicting at the input's scale"
    let passes = estimation.passes.map {
      String(format: "%.0f→%.1f(%d)", $0.assumed, $0.reading, $0.count)
    }.joined(separator: " ")
    return "nucleus diameter (auto): \(text); passes, assumed→read(objects): \(passes)"
  }
}
