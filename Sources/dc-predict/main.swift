import ArgumentParser
import DeepCellKit
import Foundation

/// dc-predict: a PanopticNet model file run over an image stack (predict.md).
struct DCPredict: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-predict",
    abstract: "Predict DeepCell's inner and outer distance maps with a PanopticNet model.",
    discussion: """
      Each frame is (optionally) resized from --image-mpp to the model's --model-mpp with \
      OpenCV INTER_LINEAR semantics, normalized with DeepCell's histogram_normalization \
      (CLAHE; skip with --no-normalize when the input is already normalized), cut into \
      model-sized tiles with stride 0.75 of a tile (axes shorter than a tile are reflect-padded), \
      predicted in batches of --batch-size tiles across frames, and blended back with spline \
      windows. The output is an NPZ with float32 maps inner_distance and outer_distance \
      (N, H', W', 1) at model resolution (H' = int(H · image_mpp / model_mpp)), plus fgbg \
      (N, H', W', 2) with --all-heads. Frames stream through a few at a time.

      Without --model, the nuclear model that ships with dc-tools (models/nuclear.npz, \
      featurenet PanopticNet trained on DSB-2018 fluorescence nuclei) is used.

      Examples:
        dc-predict raw.tif -o maps.npz                  # the shipped nuclear model
        dc-normalize nuclei.png --channel 0 | dc-predict --no-normalize | dc-watershed -o labels.tif
        dc-predict raw.tif --model nuclear.npz -o maps.npz
        dc-normalize raw.tif | dc-predict --no-normalize --model nuclear.npz -o maps.npz
        dc-predict data.npz --model nuclear.npz --image-mpp 0.325 -o maps.npz
        dc-predict raw.tif --model nuclear.npz --all-heads --batch-size 8 -o maps.npz
        dc-predict raw.tif --augment -o maps.npz        # average over mirror flips
      """)

  @OptionGroup var io: InputOutputOptions

  @Option(
    help: ArgumentHelp(
      "Model file written by dc-train (.npz) (default: the shipped nuclear model, or $DC_MODEL).",
      valueName: "file"))
  var model: String?

  @Option(
    help: ArgumentHelp("Array of an NPZ input (default: X, or the only array).", valueName: "name"))
  var array: String?

  @OptionGroup var channel: ChannelOptions

  @Flag(help: "The input is already normalized: skip histogram normalization.")
  var noNormalize = false

  @Option(help: ArgumentHelp("Tiles per forward pass.", valueName: "n"))
  var batchSize: Int = 4

  @Option(
    help: ArgumentHelp("Pixel size of the input in µm (default: the model's).", valueName: "mpp"))
  var imageMpp: Double?

  @Option(
    help: ArgumentHelp(
      "Pixel size the model was trained at (default: from the model file).", valueName: "mpp"))
  var modelMpp: Double?

  @Option(
    help: ArgumentHelp(
      "Padding of axes longer than a tile: reflect or constant.", valueName: "mode"))
  var padMode: String = "reflect"

  @Option(help: ArgumentHelp("Tile stride as a fraction of the tile.", valueName: "r"))
  var strideRatio: Double = 0.75

  @Flag(help: "Also write the fgbg (foreground/background softmax) head.")
  var allHeads = false

  @Flag(
    help:
      "Test-time augmentation: average the predictions of the frame and its three mirror flips (four times the work)."
  )
  var augment = false

  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard strideRatio > 0, strideRatio <= 1 else {
      throw ValidationError("--stride-ratio must lie in (0, 1]")
    }
    guard TilePadMode(rawValue: padMode) != nil else {
      throw ValidationError("--pad-mode must be reflect or constant")
    }
    for (flag, v) in [("--image-mpp", imageMpp), ("--model-mpp", modelMpp)] {
      if let v, !(v.isFinite && v > 0) {
        throw ValidationError("\(flag) must be a positive number")
      }
    }
  }

  func run() throws {
    runtime.apply()
    let model = try self.model ?? DefaultModel.locate()
    let (network, description) = try ModelFile.load(model)
    let input = try io.openInput()
    let name = try imageArrayName(in: input)
    let subject = input.format == .npz ? "\(input.subject): \(name)" : input.subject
    let reader = try channel.apply(to: try input.stackReader(name: name), subject: subject)
    guard reader.frameCount > 0 else {
      throw DeepCellError(.badData, subject, "the stack has no frames")
    }
    let (h, w, c) = (reader.frameShape[0], reader.frameShape[1], reader.frameShape[2])
    guard c == network.configuration.inputChannels else {
      throw DeepCellError(
        .badData, subject,
        "has \(c) channel(s); the model \(model) takes \(network.configuration.inputChannels)")
    }
    let scale = (imageMpp ?? modelMpp ?? description.modelMPP) / (modelMpp ?? description.modelMPP)
    let (nh, nw) = (Int(Double(h) * scale), Int(Double(w) * scale))
    guard nh >= 1, nw >= 1 else {
      throw DeepCellError(.usage, subject, "resizing \(h)×\(w) by \(scale) leaves no pixels")
    }
    let heads =
      allHeads
      ? Array(network.configuration.semanticClasses.indices)
      : network.configuration.semanticClasses.indices.filter {
        network.configuration.semanticClasses[$0] == 1
      }
    let names = heads.map { i -> String in
      switch i {
      case 0: return "inner_distance"
      case 1: return "outer_distance"
      case 2: return "fgbg"
      default: return "semantic_\(i)"
      }
    }
    let predictor = PanopticPredictor(
      network: network, heads: heads, batchSize: batchSize, strideRatio: strideRatio,
      padMode: TilePadMode(rawValue: padMode)!)
    let normalizer = StackNormalizer(HistogramNormalization())
    let output = try io.openOutput(arrayCount: names.count)
    guard output.format == .npz else {
      throw DeepCellError(.usage, output.subject, "dc-predict writes NPZ (-o FILE.npz)")
    }
    let spools = try names.map { try MapSpool(name: $0) }
    defer { for s in spools { s.remove() } }
    let progress = ProgressBar(label: "dc-predict", total: reader.frameCount, quiet: runtime.quiet)
    let chunk = max(1, batchSize)
    var start = 0
    while start < reader.frameCount {
      let end = min(reader.frameCount, start + chunk)
      var frames = try (start..<end).map { i -> [Float] in
        LinearResize.resize(
          try reader.readFrame(i).floats(), height: h, width: w, channels: c, newHeight: nh,
          newWidth: nw)
      }
      if !noNormalize && description.normalization != "none" {
        frames = try normalizer.normalize(
          frames: frames.map { NDArray(shape: [nh, nw, c], values: $0) }, subject: subject,
          firstFrameIndex: start
        ).map { $0.floats() }
      }
      let maps =
        augment
        ? try TestTimeFlips.averaged(
          frames, height: nh, width: nw, channels: c, classes: predictor.headClasses
        ) { try predictor.predict($0, height: nh, width: nw, channels: c) }
        : try predictor.predict(frames, height: nh, width: nw, channels: c)
      for frame in maps { for (k, m) in frame.enumerated() { try spools[k].append(m) } }
      progress.advance(by: end - start)
      start = end
    }
    progress.finish()
    let writer = try NPZWriter(path: output.temporaryPath)
    do {
      for (k, spool) in spools.enumerated() {
        let classes = predictor.headClasses[k]
        let stream = try writer.beginArray(
          spool.name, shape: [reader.frameCount, nh, nw, classes], dtype: .float32)
        try spool.copy(frameBytes: nh * nw * classes * 4, into: stream)
        try stream.end()
      }
      try writer.finish()
      try output.commit()
      InterruptCleanup.untrack(output.temporaryPath)
    } catch {
      writer.abort()
      output.abort()
      throw error
    }
  }

  /// `--array`, else `X`, else the only array.
  func imageArrayName(in input: InputFile) throws -> String {
    if let array { return try input.resolve(array) }
    let names = input.arrayNames
    if names.contains(ArrayName.image) { return ArrayName.image }
    if names.count == 1 { return names[0] }
    throw DeepCellError(
      .usage, input.subject, "has arrays \(names.joined(separator: ", ")) and no X: give --array")
  }
}

/// One output map's frames, spooled to a temporary file until every frame is predicted (an
/// NPZ holds one array after another, and the maps are produced side by side).
final class MapSpool {
  let name: String
  let path: String
  let handle: FileHandle

  init(name: String) throws {
    self.name = name
    path = NSTemporaryDirectory() + "/dc-predict-\(getpid())-\(UUID().uuidString)-\(name).f32"
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let h = FileHandle(forUpdatingAtPath: path)
    else { throw DeepCellError(.cannotCreate, path, "cannot create a spool file") }
    handle = h
    InterruptCleanup.track(path)
  }

  func append(_ values: [Float]) throws {
    do {
      try values.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
    } catch { throw DeepCellError(.io, path, "\(error)") }
  }

  func copy(frameBytes: Int, into stream: NPZArrayStream) throws {
    do {
      try handle.seek(toOffset: 0)
      while let data = try handle.read(upToCount: frameBytes), !data.isEmpty {
        try data.withUnsafeBytes { try stream.append(bytes: $0) }
      }
    } catch let e as DeepCellError { throw e } catch { throw DeepCellError(.io, path, "\(error)") }
  }

  func remove() {
    try? handle.close()
    unlink(path)
    InterruptCleanup.untrack(path)
  }
}

ToolRunner.main(DCPredict.self)
