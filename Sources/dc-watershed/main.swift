import ArgumentParser
import DeepCellKit
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// dc-watershed: DeepCell's deep watershed post-processing (watershed.md §8) as a Unix tool.
struct DCWatershed: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-watershed",
    abstract:
      "Turn predicted inner/outer distance maps into instance labels (DeepCell deep watershed).",
    discussion: """
      Reads the maxima map (inner distance) and the interior map (outer distance) — by default the arrays `inner_distance` and `outer_distance` of the NPZ that dc-predict writes — and writes one label image per frame: markers from h-maxima (or peak_local_max) of the maxima map, watershed of the interior map inside `interior > --interior-threshold`, labels numbered 1…N per frame, exactly as deepcell-toolbox's deep_watershed. Frames are processed in parallel and streamed (bounded memory).

      Output: a uint16 label stack (uint32 when a frame has more than 65535 objects) as TIFF (default), NPY or NPZ (array `labels`) on -o PATH or stdout, or 16-bit PNGs, one per frame, with --png-dir. Defaults are DeepCell's NuclearSegmentation post-processing values.

      Examples:
        dc-watershed maps.npz -o labels.tif
        dc-predict --model model.npz raw.tif | dc-watershed -o labels.tif
        dc-watershed --maxima inner.tif --interior outer.tif -o labels.tif
        dc-watershed maps.npz --maxima-algorithm peak_local_max --radius 5 -o labels.npy
        dc-watershed maps.npz --png-dir labels/ --overlay qc/ --image raw.tif
        dc-watershed maps.npz --small-objects-threshold 20 --label-erosion 1 > labels.tif
      """)

  @Argument(help: "Input NPZ/TIFF/NPY with the maps (default: stdin).")
  var input: String?

  @Option(name: .shortAndLong, help: "Output label stack (default: stdout).")
  var output: String?

  @Option(help: "Output format: tiff, npy or npz (default: from the extension, else tiff).")
  var format: String?

  @Option(
    help: ArgumentHelp(
      "Maxima map: an array name in the input (default inner_distance), or, without an input, a file.",
      valueName: "name|file"))
  var maxima: String?

  @Option(
    help: ArgumentHelp(
      "Interior map: an array name in the input (default outer_distance), or, without an input, a file.",
      valueName: "name|file"))
  var interior: String?

  @Option(
    help: "Write one 16-bit PNG per frame (frame_0000.png, …) into this folder instead of a stack.")
  var pngDir: String?

  @Option(help: "Write label outlines over --image: a .png for one frame, else a folder of PNGs.")
  var overlay: String?

  @Option(help: "The image the overlay is drawn on (same frames as the maps).")
  var image: String?

  @Option(
    help: "Footprint radius for peak finding (disk for h-maxima, min_distance for peak_local_max).")
  var radius: Int = 10

  @Option(help: "h of h-maxima (> 0), or the absolute threshold of peak_local_max.")
  var maximaThreshold: Double = 0.1

  @Option(help: "Watershed mask: smoothed interior > this.")
  var interiorThreshold: Double = 0.01

  @Option(help: "Gaussian sigma for the maxima map (0 = none).")
  var maximaSmooth: Double = 0

  @Option(help: "Gaussian sigma for the interior map (0 = none).")
  var interiorSmooth: Double = 1

  @Option(help: "Erode label edges by this many pixels.")
  var labelErosion: Int = 0

  @Option(help: "Remove objects with fewer pixels than this (0 = off).")
  var smallObjectsThreshold: Int = 0

  @Option(help: "Fill holes smaller than this inside objects (0 = off).")
  var fillHolesThreshold: Int = 0

  @Option(help: "Grey-dilate the interior map by a (2e+1)² square first.")
  var pixelExpansion: Int?

  @Option(help: "Marker finder: h_maxima or peak_local_max.")
  var maximaAlgorithm: String = "h_maxima"

  @Flag(help: "peak_local_max only: drop peaks within --radius of the border.")
  var excludeBorder = false

  @Option(
    help: ArgumentHelp("Deprecated alias of --radius (wins when given).", visibility: .hidden))
  var minDistance: Int?

  @Option(help: ArgumentHelp("Deprecated alias of --interior-threshold.", visibility: .hidden))
  var distanceThreshold: Double?

  @Option(help: ArgumentHelp("Deprecated alias of --maxima-threshold.", visibility: .hidden))
  var detectionThreshold: Double?

  @OptionGroup var runtime: RuntimeOptions

  func parameters() throws -> DeepWatershedParameters {
    var p = DeepWatershedParameters()
    p.radius = radius
    p.maximaThreshold = maximaThreshold
    p.interiorThreshold = interiorThreshold
    p.maximaSmooth = maximaSmooth
    p.interiorSmooth = interiorSmooth
    p.labelErosion = labelErosion
    p.smallObjectsThreshold = smallObjectsThreshold
    p.fillHolesThreshold = fillHolesThreshold
    p.pixelExpansion = pixelExpansion
    guard let algorithm = DeepWatershedParameters.MaximaAlgorithm(rawValue: maximaAlgorithm) else {
      throw DeepCellError(
        .usage, "--maxima-algorithm", "must be h_maxima or peak_local_max, not '\(maximaAlgorithm)'"
      )
    }
    p.maximaAlgorithm = algorithm
    p.excludeBorder = excludeBorder ? .radius : .off
    p.minDistance = minDistance
    p.distanceThreshold = distanceThreshold
    p.detectionThreshold = detectionThreshold
    try p.validate()
    return p
  }

  func run() throws {
    runtime.apply()
    let p = try parameters()
    if overlay != nil && image == nil { throw DeepCellError(.usage, "--overlay", "needs --image") }
    if pngDir != nil && output != nil {
      throw DeepCellError(.usage, "--png-dir", "cannot be combined with -o")
    }
    let outputFormat: FileFormat?
    if let format {
      guard let f = FileFormat(rawValue: format.lowercased()), f != .png else {
        throw DeepCellError(.usage, "--format", "must be tiff, npy or npz, not '\(format)'")
      }
      outputFormat = f
    } else {
      outputFormat = nil
    }
    let maps = try MapReaders.open(input: input, maxima: maxima, interior: interior)
    let imageReader = try image.map { try InputFile(path: $0).stackReader(name: nil) }
    if let imageReader,
      imageReader.frameCount != maps.frameCount
        || Array(imageReader.frameShape.prefix(2)) != [maps.height, maps.width]
    {
      throw DeepCellError(
        .badData, image!,
        "image has \(imageReader.frameCount) frames of \(imageReader.frameShape.prefix(2)), maps \(maps.frameCount) of [\(maps.height), \(maps.width)]"
      )
    }
    let workers = runtime.workerCount
    let sink = try LabelSink(
      output: output, format: outputFormat, pngDir: pngDir, overlay: overlay,
      frameCount: maps.frameCount, height: maps.height, width: maps.width)
    do {
      try Segmenter(
        maps: maps, parameters: p, workers: workers, imageReader: imageReader,
        quiet: runtime.quiet
      ).run(into: sink)
    } catch LabelSink.Overflow.needsUInt32 {
      // A frame has more than 65535 objects: start again with a uint32 stack.
      sink.abort()
      let wide = try LabelSink(
        output: output, format: outputFormat, pngDir: pngDir, overlay: overlay,
        frameCount: maps.frameCount, height: maps.height, width: maps.width, wide: true)
      do {
        try Segmenter(
          maps: maps, parameters: p, workers: workers, imageReader: imageReader,
          quiet: runtime.quiet
        ).run(into: wide)
      } catch {
        wide.abort()
        throw error
      }
    } catch {
      sink.abort()
      throw error
    }
  }
}

/// The two map streams, frame by frame.
struct MapReaders {
  let maxima: StackReader
  let interior: StackReader
  let maximaSubject: String
  let interiorSubject: String
  var frameCount: Int { maxima.frameCount }
  var height: Int { maxima.frameShape[0] }
  var width: Int { maxima.frameShape[1] }

  /// Names in the input (stdin without one), or — with no input and two existing files —
  /// two files. Throws `badData` when the maps differ in shape or frame count.
  static func open(input: String?, maxima: String?, interior: String?) throws -> MapReaders {
    let fm = FileManager.default
    var result: MapReaders
    if input == nil, let m = maxima, let i = interior, fm.fileExists(atPath: m),
      fm.fileExists(atPath: i)
    {
      result = MapReaders(
        maxima: try InputFile(path: m).stackReader(name: nil),
        interior: try InputFile(path: i).stackReader(name: nil), maximaSubject: m,
        interiorSubject: i)
    } else {
      let file = try InputFile(path: input)
      let m = maxima ?? ArrayName.innerDistance
      let i = interior ?? ArrayName.outerDistance
      result = MapReaders(
        maxima: try file.stackReader(name: m), interior: try file.stackReader(name: i),
        maximaSubject: "\(file.subject): \(m)", interiorSubject: "\(file.subject): \(i)")
    }
    guard result.maxima.frameCount == result.interior.frameCount,
      Array(result.maxima.frameShape.prefix(2)) == Array(result.interior.frameShape.prefix(2))
    else {
      throw DeepCellError(
        .badData, "maps",
        "maxima (\(result.maxima.frameCount) frames of \(result.maxima.frameShape)) and interior (\(result.interior.frameCount) frames of \(result.interior.frameShape)) differ in shape"
      )
    }
    guard result.maxima.dtype.isFloat || result.maxima.dtype.isInteger,
      result.interior.dtype.isFloat || result.interior.dtype.isInteger
    else { throw DeepCellError(.badData, "maps", "must be numeric") }
    return result
  }

  /// Channel 0 of frame `index` of `reader`, as float32.
  static func plane(_ reader: StackReader, _ index: Int) throws -> [Float] {
    let frame = try reader.readFrame(index)
    let channels = reader.frameShape.count > 2 ? reader.frameShape[2] : 1
    let all = frame.floats()
    if channels == 1 { return all }
    return stride(from: 0, to: all.count, by: channels).map { all[$0] }
  }
}

/// Runs deep watershed over the frames in batches of `workers`, in parallel, in order.
struct Segmenter {
  let maps: MapReaders
  let parameters: DeepWatershedParameters
  let workers: Int
  let imageReader: StackReader?
  /// No progress bar on stderr.
  let quiet: Bool

  func run(into sink: LabelSink) throws {
    let (h, w) = (maps.height, maps.width)
    let progress = ProgressBar(label: "dc-watershed", total: maps.frameCount, quiet: quiet)
    defer { progress.finish() }
    var start = 0
    while start < maps.frameCount {
      let count = min(workers, maps.frameCount - start)
      var maxima: [[Float]] = []
      var interior: [[Float]] = []
      for k in 0..<count {
        do {
          maxima.append(try MapReaders.plane(maps.maxima, start + k))
          interior.append(try MapReaders.plane(maps.interior, start + k))
        }
      }
      var results = [Result<[Int32], Error>](repeating: .success([]), count: count)
      let lock = NSLock()
      let p = parameters
      DispatchQueue.concurrentPerform(iterations: count) { k in
        let r = Result {
          try DeepWatershed.segment(
            maxima: maxima[k], interior: interior[k], height: h, width: w, parameters: p)
        }
        lock.lock()
        results[k] = r
        lock.unlock()
      }
      for k in 0..<count {
        let labels: [Int32]
        do {
          labels = try results[k].get()
        } catch let e as DeepCellError {
          let subject = e.subject.contains("maxima") ? maps.maximaSubject : maps.interiorSubject
          throw DeepCellError(
            e.kind, e.kind == .badData ? "\(subject): frame \(start + k)" : e.subject, e.reason)
        }
        let picture = try imageReader.map { try MapReaders.plane($0, start + k) }
        try sink.append(labels, frame: start + k, image: picture)
      }
      progress.advance(by: count)
      start += count
    }
    try sink.finish()
  }
}

/// Where labels go: a stack writer, or a folder of PNGs; plus optional overlays.
final class LabelSink {
  enum Overflow: Error { case needsUInt32 }
  let height: Int
  let width: Int
  let frameCount: Int
  let wide: Bool
  let writer: StackWriter?
  /// The temporary file of the stack output, removed on interrupt (``InterruptCleanup``).
  let temporaryPath: String?
  let pngDir: String?
  let overlay: String?
  let overlayIsFolder: Bool
  private var written: [String] = []

  init(
    output: String?, format: FileFormat?, pngDir: String?, overlay: String?, frameCount: Int,
    height: Int,
    width: Int, wide: Bool = false
  ) throws {
    self.height = height
    self.width = width
    self.frameCount = frameCount
    self.wide = wide
    self.pngDir = pngDir
    self.overlay = overlay
    overlayIsFolder =
      overlay.map { !(frameCount == 1 && $0.lowercased().hasSuffix(".png")) } ?? false
    for folder in [pngDir, overlayIsFolder ? overlay : nil].compactMap({ $0 }) {
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw DeepCellError(.cannotCreate, folder, "cannot create the folder")
      }
    }
    if pngDir == nil {
      let out = try OutputFile(path: output, format: format, arrayCount: 1)
      InterruptCleanup.track(out.temporaryPath)
      temporaryPath = out.temporaryPath
      do {
        if out.format == .png && frameCount > 1 {
          throw DeepCellError(
            .usage, out.subject, "a PNG holds one frame, not \(frameCount): use --png-dir or TIFF")
        }
        writer = try makeStackWriter(
          out, name: "labels", dtype: wide ? .uint32 : .uint16, frameShape: [height, width, 1],
          frameCount: frameCount)
      } catch {
        out.abort()
        InterruptCleanup.untrack(out.temporaryPath)
        throw error
      }
    } else {
      writer = nil
      temporaryPath = nil
    }
  }

  func append(_ labels: [Int32], frame: Int, image: [Float]?) throws {
    let maxLabel = labels.max() ?? 0
    if !wide && maxLabel > Int32(UInt16.max) {
      if pngDir != nil {
        throw DeepCellError(
          .badData, "frame \(frame)", "\(maxLabel) objects do not fit a 16-bit PNG: write a TIFF")
      }
      throw Overflow.needsUInt32
    }
    let array: NDArray =
      wide
      ? NDArray(shape: [height, width, 1], values: labels.map { UInt32($0) })
      : NDArray(shape: [height, width, 1], values: labels.map { UInt16($0) })
    if let writer { try writer.append(array) }
    if let pngDir {
      try writePNG(array, to: "\(pngDir)/frame_\(String(format: "%04d", frame)).png")
    }
    if let overlay, let image {
      let rgb = LabelOverlay.render(image: image, labels: labels, height: height, width: width)
      let path =
        overlayIsFolder ? "\(overlay)/overlay_\(String(format: "%04d", frame)).png" : overlay
      try writePNG(NDArray(shape: [height, width, 3], values: rgb), to: path)
    }
  }

  /// Writes a PNG through a temporary name and renames it, so no partial file is left.
  private func writePNG(_ array: NDArray, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let tmp = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(getpid())"
    ).path
    InterruptCleanup.track(tmp)
    defer { InterruptCleanup.untrack(tmp) }
    do {
      try PNGCodec.write(array, to: tmp)
    } catch let e as DeepCellError {
      unlink(tmp)
      throw e.about(path)
    }
    // Until the run ends, a written frame is removed if the tool fails or is interrupted.
    InterruptCleanup.track(path)
    guard rename(tmp, path) == 0 else {
      unlink(tmp)
      InterruptCleanup.untrack(path)
      throw DeepCellError(.cannotCreate, path, "cannot rename the written file into place")
    }
    written.append(path)
  }

  /// Completes the stack and keeps every written file.
  func finish() throws {
    try writer?.finish()
    if let temporaryPath { InterruptCleanup.untrack(temporaryPath) }
    for path in written { InterruptCleanup.untrack(path) }
    written.removeAll()
  }

  /// Removes what was written.
  func abort() {
    writer?.abort()
    if let temporaryPath { InterruptCleanup.untrack(temporaryPath) }
    for path in written {
      unlink(path)
      InterruptCleanup.untrack(path)
    }
    written.removeAll()
  }
}

ToolRunner.main(DCWatershed.self)
