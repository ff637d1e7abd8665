import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The two distance-map streams deep watershed reads, frame by frame: the maxima map (inner
/// distance) and the interior map (outer distance), from one file's named arrays or from two
/// files, with the ``StackProvenance`` they carry.
public struct DistanceMapStreams {
  /// The maxima map stream.
  public let maxima: StackReader
  /// The interior map stream.
  public let interior: StackReader
  /// What errors about the maxima map name.
  public let maximaSubject: String
  /// What errors about the interior map name.
  public let interiorSubject: String
  /// The record dc-predict left in the maps (scale, the model's watershed settings), if any.
  public let provenance: StackProvenance?
  /// Frames in each stream.
  public var frameCount: Int { maxima.frameCount }
  /// Frame height.
  public var height: Int { maxima.frameShape[0] }
  /// Frame width.
  public var width: Int { maxima.frameShape[1] }

  /// Names in `input` (stdin when nil) — `maxima` and `interior` default to inner_distance and
  /// outer_distance — or, with no input and two existing files, those two files. Throws
  /// `badData` when the maps differ in shape or frame count, are not numeric, or carry
  /// different provenance records.
  public static func open(input: String?, maxima: String?, interior: String?) throws
    -> DistanceMapStreams
  {
    let fm = FileManager.default
    let result: DistanceMapStreams
    if input == nil, let m = maxima, let i = interior, fm.fileExists(atPath: m),
      fm.fileExists(atPath: i)
    {
      let (mf, inf) = (try InputFile(path: m), try InputFile(path: i))
      let (mp, ip) = (try mf.provenance(), try inf.provenance())
      guard mp == ip else {
        throw DeepCellError(
          .badData, "maps", "\(m) and \(i) record different dc_tools settings")
      }
      result = DistanceMapStreams(
        maxima: try mf.stackReader(name: nil), interior: try inf.stackReader(name: nil),
        maximaSubject: m, interiorSubject: i, provenance: mp)
    } else {
      let file = try InputFile(path: input)
      let m = maxima ?? ArrayName.innerDistance
      let i = interior ?? ArrayName.outerDistance
      result = DistanceMapStreams(
        maxima: try file.stackReader(name: m), interior: try file.stackReader(name: i),
        maximaSubject: "\(file.subject): \(m)", interiorSubject: "\(file.subject): \(i)",
        provenance: try file.provenance())
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

  /// The watershed parameters for these maps: DeepCell's defaults, then the model's settings
  /// recorded by dc-predict converted to the maps' pixels (``WatershedSettings/scaled(toInputBy:)``),
  /// then `overrides` (the user's flags, already in the maps' pixels).
  public func parameters(
    base: DeepWatershedParameters = DeepWatershedParameters(), overrides: WatershedSettings
  ) throws -> DeepWatershedParameters {
    let recorded = provenance?.watershed?.scaled(toInputBy: provenance?.scale ?? 1)
    let settings = (recorded ?? WatershedSettings()).merging(overrides)
    let p = settings.applied(to: base)
    try p.validate()
    return p
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

/// Deep watershed (``DeepWatershed``) of a map stream into a label sink: frames read in
/// batches of `workers`, segmented in parallel, written in order; the labels start as uint16
/// and the run starts over as uint32 when a frame has more than 65,535 objects.
public struct MapStreamSegmentation {
  /// The maps.
  public let maps: DistanceMapStreams
  /// Post-processing parameters (in the maps' pixels).
  public let parameters: DeepWatershedParameters
  /// Frames segmented at once.
  public let workers: Int
  /// The image overlays are drawn on (same frames as the maps), if any.
  public let image: StackReader?

  /// A segmentation of `maps` with `parameters` on `workers` threads.
  public init(
    maps: DistanceMapStreams, parameters: DeepWatershedParameters, workers: Int,
    image: StackReader? = nil
  ) throws {
    if let image,
      image.frameCount != maps.frameCount
        || Array(image.frameShape.prefix(2)) != [maps.height, maps.width]
    {
      throw DeepCellError(
        .badData, "image",
        "has \(image.frameCount) frames of \(Array(image.frameShape.prefix(2))), maps \(maps.frameCount) of [\(maps.height), \(maps.width)]"
      )
    }
    self.maps = maps
    self.parameters = parameters
    self.workers = max(1, workers)
    self.image = image
  }

  /// Segments every frame into a sink made by `makeSink(wide)` (`wide`: uint32 labels),
  /// calling `progress` with each batch's frame count. On failure the sink is aborted.
  public func run(
    makeSink: (_ wide: Bool) throws -> LabelStackSink, progress: (Int) -> Void = { _ in }
  ) throws {
    let sink = try makeSink(false)
    do {
      try run(into: sink, progress: progress)
    } catch LabelStackSink.Overflow.needsUInt32 {
      sink.abort()
      let wide = try makeSink(true)
      do { try run(into: wide, progress: { _ in }) } catch {
        wide.abort()
        throw error
      }
    } catch {
      sink.abort()
      throw error
    }
  }

  func run(into sink: LabelStackSink, progress: (Int) -> Void) throws {
    let (h, w) = (maps.height, maps.width)
    var start = 0
    while start < maps.frameCount {
      let count = min(workers, maps.frameCount - start)
      var maxima: [[Float]] = []
      var interior: [[Float]] = []
      for k in 0..<count {
        maxima.append(try DistanceMapStreams.plane(maps.maxima, start + k))
        interior.append(try DistanceMapStreams.plane(maps.interior, start + k))
      }
      var results = [[Int32]](repeating: [], count: count)
      let p = parameters
      let (first, streams) = (start, maps)
      try results.withUnsafeMutableBufferPointer { out in
        try Parallel.forEach(count, threads: workers) { k in
          do {
            out[k] = try DeepWatershed.segment(
              maxima: maxima[k], interior: interior[k], height: h, width: w, parameters: p)
          } catch let e as DeepCellError {
            let subject =
              e.subject.contains("maxima") ? streams.maximaSubject : streams.interiorSubject
            throw DeepCellError(
              e.kind, e.kind == .badData ? "\(subject): frame \(first + k)" : e.subject, e.reason)
          }
        }
      }
      for k in 0..<count {
        let picture = try image.map { try DistanceMapStreams.plane($0, start + k) }
        try sink.append(results[k], frame: start + k, image: picture)
      }
      progress(count)
      start += count
    }
    try sink.finish()
  }
}

/// Where dc-watershed's labels go: a stack writer (TIFF, NPY, NPZ array `labels`) or a folder
/// of 16-bit PNGs (`frame_0000.png`, …), plus optional outline overlays; everything written is
/// removed on abort or interrupt.
public final class LabelStackSink {
  /// Thrown by ``append(_:frame:image:)`` when a uint16 sink meets more than 65,535 labels.
  public enum Overflow: Error { case needsUInt32 }
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

  /// A sink for `frameCount` frames of `height × width` labels (uint32 when `wide`): a stack at
  /// `output` (nil: stdout) in `format`, or PNGs in `pngDir`; overlays at `overlay` (a .png
  /// for one frame, else a folder).
  public init(
    output: String?, format: FileFormat?, pngDir: String?, overlay: String?, frameCount: Int,
    height: Int, width: Int, wide: Bool = false
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

  /// Writes frame `frame`'s labels (and its overlay on `image`).
  public func append(_ labels: [Int32], frame: Int, image: [Float]?) throws {
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
  public func finish() throws {
    try writer?.finish()
    if let temporaryPath { InterruptCleanup.untrack(temporaryPath) }
    for path in written { InterruptCleanup.untrack(path) }
    written.removeAll()
  }

  /// Removes what was written.
  public func abort() {
    writer?.abort()
    if let temporaryPath { InterruptCleanup.untrack(temporaryPath) }
    for path in written {
      unlink(path)
      InterruptCleanup.untrack(path)
    }
    written.removeAll()
  }
}
