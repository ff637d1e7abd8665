import Foundation
import XCTest

@testable import DeepCellKit

/// The pipes the README shows give what the tools give alone (issue 14 §1–§3): dc-normalize
/// records its normalization so dc-predict does not repeat it; dc-predict records the scale and
/// the model's watershed settings so dc-watershed needs no flags; --diameter rescales and
/// returns maps at the input's resolution.
final class NaturalPipeTests: XCTestCase {
  private var dir: URL!

  override func setUpWithError() throws { dir = try TestPaths.temporaryFolder(self) }

  private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  /// A tiny model file, with a training diameter, watershed settings and an input transform
  /// when given.
  private func model(
    diameter: Double? = nil, watershed: WatershedSettings? = nil,
    transform: IntensityTransform? = nil
  ) throws -> String {
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 8)
    var description = ModelDescription(architecture: net.configuration)
    description.diameter = diameter
    description.watershed = watershed
    description.inputTransform = transform
    let file = path("m-\(diameter ?? 0)-\(transform?.rawValue ?? "plain").npz")
    try ModelFile.save(net, description: description, to: file)
    return file
  }

  /// A raw uint16 stack of `frames` × 40 × 36 in an NPY file.
  private func rawStack(frames: Int = 2) throws -> String {
    var rng = RandomGenerator(seed: 3)
    let raw = NDArray(
      shape: [frames, 40, 36],
      values: (0..<(frames * 1440)).map { _ in UInt16(rng.uniform(0, 4000)) })
    let file = path("raw.npy")
    try Data(NPY.encode(raw)).write(to: URL(fileURLWithPath: file))
    return file
  }

  private func maps(_ file: String) throws -> [String: [Float]] {
    let reader = try NPZReader(path: file)
    return Dictionary(
      uniqueKeysWithValues: try reader.names.map { ($0, try reader.readArray($0).floats()) })
  }

  @discardableResult
  private func run(_ tool: String, _ args: [String], stdin: Data? = nil) throws -> ToolRun {
    let r = try runTool(tool, args + ["--quiet"], stdin: stdin)
    XCTAssertEqual(r.status, 0, "\(tool) \(args): \(r.stderr)")
    return r
  }

  func testNormalizedInputIsNotNormalizedAgainInEveryFormat() throws {
    let m = try model()
    let raw = try rawStack()
    try run("dc-predict", [raw, "--model", m, "-o", path("direct.npz")])
    let direct = try maps(path("direct.npz"))
    for ext in ["tif", "ome.tif", "npz"] {
      try run("dc-normalize", [raw, "--model", m, "-o", path("n.\(ext)")])
      XCTAssertEqual(try InputFile(path: path("n.\(ext)")).provenance()?.normalization, "clahe")
      try run("dc-predict", [path("n.\(ext)"), "--model", m, "-o", path("piped-\(ext).npz")])
      XCTAssertEqual(try maps(path("piped-\(ext).npz")), direct, ext)
    }
    // Through a real pipe (stdin), as the README writes it.
    let normalized = try run("dc-normalize", [raw, "--model", m, "--format", "tiff"]).stdout
    try run("dc-predict", ["--model", m, "-o", path("stdin.npz")], stdin: normalized)
    XCTAssertEqual(try maps(path("stdin.npz")), direct)
    let normalizedOME = try run("dc-normalize", [raw, "--model", m, "--format", "ome-tiff"]).stdout
    try run("dc-predict", ["--model", m, "-o", path("stdin-ome.npz")], stdin: normalizedOME)
    XCTAssertEqual(try maps(path("stdin-ome.npz")), direct)
    // --normalize forces a second normalization, which changes the maps.
    try run("dc-predict", [path("n.tif"), "--model", m, "--normalize", "-o", path("twice.npz")])
    XCTAssertNotEqual(try maps(path("twice.npz")), direct)
    // --no-normalize on raw input predicts on raw values.
    try run("dc-predict", [raw, "--model", m, "--no-normalize", "-o", path("raw.npz")])
    XCTAssertNotEqual(try maps(path("raw.npz")), direct)
  }

  func testTheModelsIntensityTransformIsAppliedOnceInThePipe() throws {
    let m = try model(transform: .sqrt)
    let raw = try rawStack()
    try run("dc-predict", [raw, "--model", m, "-o", path("direct.npz")])
    let direct = try maps(path("direct.npz"))
    // dc-normalize --transform auto takes the model's transform and records it.
    try run("dc-normalize", [raw, "--model", m, "-o", path("n.tif")])
    XCTAssertEqual(try InputFile(path: path("n.tif")).provenance()?.transform, "sqrt")
    try run("dc-predict", [path("n.tif"), "--model", m, "-o", path("piped.npz")])
    XCTAssertEqual(try maps(path("piped.npz")), direct)
    try run("dc-normalize", [raw, "--transform", "sqrt", "-o", path("s.tif")])
    XCTAssertEqual(
      try Data(contentsOf: URL(fileURLWithPath: path("s.tif"))),
      try Data(contentsOf: URL(fileURLWithPath: path("n.tif"))))
    // The transform changes the maps; --transform none on dc-predict turns it off.
    try run("dc-predict", [raw, "--model", m, "--transform", "none", "-o", path("off.npz")])
    XCTAssertNotEqual(try maps(path("off.npz")), direct)
    try run("dc-predict", [raw, "--model", try model(), "-o", path("plain.npz")])
    XCTAssertEqual(try maps(path("plain.npz")), try maps(path("off.npz")))
    // Input normalized without the model's transform is predicted as it is, with a warning.
    try run("dc-normalize", [raw, "--transform", "none", "-o", path("n0.tif")])
    XCTAssertNil(try InputFile(path: path("n0.tif")).provenance()?.transform)
    let r = try runTool("dc-predict", [path("n0.tif"), "--model", m, "-o", path("mismatch.npz")])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(
      r.stderr.contains(
        "warning: the input was normalized with --transform none, the model expects sqrt"), r.stderr
    )
    XCTAssertEqual(try maps(path("mismatch.npz")), try maps(path("off.npz")))
    // Bad values: usage errors, nothing written.
    for (tool, args) in [
      ("dc-normalize", [raw, "--method", "none", "--transform", "sqrt"]),
      ("dc-normalize", [raw, "--transform", "log"]),
      ("dc-predict", [raw, "--model", m, "--transform", "log"]),
    ] {
      let bad = try runTool(tool, args + ["-o", path("bad.tif")])
      XCTAssertEqual(bad.status, 64, "\(args): \(bad.stderr)")
      XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.tif")))
    }
    // A --model that is not there, or not a model: one line, nothing written.
    for (model, status) in [(path("absent.npz"), Int32(66)), (raw, Int32(65))] {
      let bad = try runTool("dc-normalize", [raw, "--model", model, "-o", path("bad.tif")])
      XCTAssertEqual(bad.status, status, bad.stderr)
      XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.tif")))
    }
  }

  func testNumpyAndTifffileReadTheRecordCleanly() throws {
    let raw = try rawStack()
    try run("dc-normalize", [raw, "-o", path("n.tif")])
    try run("dc-normalize", [raw, "-o", path("n.npz")])
    let out = try runPython(
      """
      import json, sys, numpy as np, tifffile
      t = tifffile.TiffFile(sys.argv[1])
      print(t.series[0].shape, json.loads(t.imagej_metadata["dc_tools"])["normalization"])
      z = np.load(sys.argv[2])
      print(z["X"].shape, json.loads(z["dc_tools.json"])["normalization"])
      """, [path("n.tif"), path("n.npz")])
    XCTAssertEqual(out, "(2, 40, 36) clahe\n(2, 40, 36, 1) clahe\n")
  }

  func testDiameterRescalesAndRecordsScaleAndSettings() throws {
    let settings = WatershedSettings(radius: 4, interiorThreshold: 0.2, smallObjectsThreshold: 8)
    let m = try model(diameter: 10, watershed: settings)
    let raw = try rawStack()
    try run("dc-predict", [raw, "--model", m, "--diameter", "20", "-o", path("half.npz")])
    let record = try XCTUnwrap(try InputFile(path: path("half.npz")).provenance())
    XCTAssertEqual(record.scale, 0.5)
    XCTAssertEqual(record.diameter, 20)
    XCTAssertEqual(record.watershed, settings)
    let reader = try NPZReader(path: path("half.npz"))
    XCTAssertEqual(try reader.readArray("inner_distance").shape, [2, 40, 36, 1])
    // The library call gives the same maps: normalize, shrink by area averaging, predict,
    // enlarge back bilinearly.
    let net = try ModelFile.load(m).network
    let predictor = MapPredictor(network: net, settings: MapPredictionSettings())
    let frames = try predictor.prepared(
      (0..<2).map { try InputFile(path: raw).stackReader().readFrame($0) }, subject: "raw",
      firstFrameIndex: 0)
    let expected = try predictor.maps(frames, height: 40, width: 36, channels: 1, scale: 0.5)
    XCTAssertEqual(
      try reader.readArray("inner_distance").floats(), expected[0][0] + expected[1][0])

    // dc-watershed applies the recorded settings converted to the maps' pixels (radius 4 / 0.5
    // = 8, area 8 / 0.25 = 32) exactly as if they were given as flags; a flag still wins.
    try run("dc-watershed", [path("half.npz"), "-o", path("auto.tif")])
    try run(
      "dc-watershed",
      [
        path("half.npz"), "--radius", "8", "--interior-threshold", "0.2",
        "--small-objects-threshold", "32", "-o", path("flags.tif"),
      ])
    let auto = try InputFile(path: path("auto.tif")).readArray()
    XCTAssertEqual(
      auto.integerValues(), try InputFile(path: path("flags.tif")).readArray().integerValues())
    let maps = try DistanceMapStreams.open(input: path("half.npz"), maxima: nil, interior: nil)
    let p = try maps.parameters(overrides: WatershedSettings(radius: 3))
    XCTAssertEqual(p.radius, 3)
    XCTAssertEqual(p.smallObjectsThreshold, 32)
    XCTAssertEqual(p.interiorThreshold, 0.2)
  }

  func testOlderModelsAndForeignMapsKeepDeepCellDefaults() throws {
    let m = try model()
    let raw = try rawStack()
    try run("dc-predict", [raw, "--model", m, "-o", path("maps.npz")])
    let record = try XCTUnwrap(try InputFile(path: path("maps.npz")).provenance())
    XCTAssertEqual(record.scale, 1)
    XCTAssertNil(record.watershed)
    let maps = try DistanceMapStreams.open(input: path("maps.npz"), maxima: nil, interior: nil)
    XCTAssertEqual(try maps.parameters(overrides: WatershedSettings()), DeepWatershedParameters())
    // --diameter needs a training diameter: a usage error naming the fix, nothing written.
    let r = try runTool(
      "dc-predict", [raw, "--model", m, "--diameter", "20", "-o", path("x.npz")])
    XCTAssertEqual(r.status, 64, r.stderr)
    XCTAssertTrue(r.stderr.contains("--model-diameter"), r.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.npz")))
  }

  func testPixelSizeRecordedInTheFileScalesModelsTrainedAtAPixelSize() throws {
    // A DeepCell-style model (pixel size 0.65 µm, no training diameter) on a TIFF whose
    // resolution says 0.325 µm: predicted at half size, as with --image-mpp 0.325.
    let m = try model()
    let raw = try InputFile(path: try rawStack()).readArray()
    let tiff = path("raw-0.325um.tif")
    let writer = try TIFFStackWriter(
      path: tiff, dtype: raw.dtype, frameShape: [40, 36, 1], frameCount: 2,
      options: TIFFWriteOptions(pixelSize: PixelSize(0.325)))
    for i in 0..<2 { try writer.append(raw.frame(i)) }
    try writer.finish()
    let r = try runTool("dc-predict", [tiff, "--model", m, "-o", path("file.npz")])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("pixel size 0.325 µm from the file"), r.stderr)
    XCTAssertEqual(try XCTUnwrap(try InputFile(path: path("file.npz")).provenance()).scale, 0.5)
    try run("dc-predict", [tiff, "--model", m, "--image-mpp", "0.325", "-o", path("flag.npz")])
    XCTAssertEqual(try maps(path("file.npz")), try maps(path("flag.npz")))
    // A model with a training diameter estimates instead; the file's pixel size is not used.
    try run("dc-predict", [tiff, "--model", try model(diameter: 10), "-o", path("auto.npz")])
    XCTAssertNotEqual(
      try XCTUnwrap(try InputFile(path: path("auto.npz")).provenance()).scale, 0.5)
  }

  func testBadDiameterAndBadRecordsAreOneLineErrors() throws {
    let m = try model(diameter: 10)
    let raw = try rawStack()
    for bad in ["0", "abc", "nan", "-inf"] {
      let r = try runTool(
        "dc-predict", [raw, "--model", m, "--diameter=\(bad)", "-o", path("x.npz")])
      XCTAssertEqual(r.status, 64, "\(bad): \(r.stderr)")
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }
    // Maps whose record is malformed or contradictory: exit 65, one line, no labels.
    let bundle = ArrayBundle([
      (ArrayName.innerDistance, NDArray(zeros: [1, 8, 8, 1], dtype: .float32)),
      (ArrayName.outerDistance, NDArray(zeros: [1, 8, 8, 1], dtype: .float32)),
    ])
    for record in [
      "{not json", "{\"scale\": -2}", "{\"watershed\": {\"radius\": -1}}",
      "{\"transform\": \"log\"}",
    ] {
      let file = path("bad.npz")
      try? FileManager.default.removeItem(atPath: file)
      let writer = try NPZWriter(path: file)
      try writer.writeMember(StackProvenance.npzMember, bytes: Array(record.utf8))
      try writer.write(bundle)
      try writer.finish()
      let r = try runTool("dc-watershed", [file, "-o", path("l.tif")])
      XCTAssertEqual(r.status, 65, "\(record): \(r.stderr)")
      XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: path("l.tif")))
    }
  }

  func testAreaResizeAveragesCoveredPixels() {
    let halved = AreaResize.resize(
      [0, 1, 2, 3, 4, 5, 6, 7], height: 1, width: 8, channels: 1, newHeight: 1, newWidth: 4)
    XCTAssertEqual(halved, [0.5, 2.5, 4.5, 6.5])
    // 3 → 2: output 0 covers [0, 1.5): pixel 0 whole, pixel 1 half.
    let third = AreaResize.resize(
      [0, 3, 6], height: 1, width: 3, channels: 1, newHeight: 1, newWidth: 2)
    XCTAssertEqual(third[0], (0 * 1 + 3 * 0.5) / 1.5, accuracy: 1e-6)
    XCTAssertEqual(third[1], (3 * 0.5 + 6 * 1) / 1.5, accuracy: 1e-6)
    // Both axes, two channels: a constant image stays constant.
    let flat = AreaResize.resize(
      [Float](repeating: 2, count: 5 * 7 * 2), height: 5, width: 7, channels: 2, newHeight: 3,
      newWidth: 4)
    XCTAssertTrue(flat.allSatisfy { abs($0 - 2) < 1e-6 })
  }

  func testAreaResizeMatchesOpenCV() throws {
    var rng = RandomGenerator(seed: 5)
    let image = (0..<(37 * 29)).map { _ in Float(rng.uniform(0, 1)) }
    let file = path("img.npy")
    try Data(NPY.encode(NDArray(shape: [37, 29], values: image))).write(
      to: URL(fileURLWithPath: file))
    let out = try runPython(
      """
      import sys, numpy as np
      import cv2
      a = np.load(sys.argv[1])
      b = cv2.resize(a, (11, 16), interpolation=cv2.INTER_AREA)
      np.save(sys.argv[2], b)
      print("ok")
      """, [file, path("cv.npy")])
    XCTAssertEqual(out, "ok\n")
    let ours = AreaResize.resize(
      image, height: 37, width: 29, channels: 1, newHeight: 16, newWidth: 11)
    let theirs = try InputFile(path: path("cv.npy")).readArray().floats()
    XCTAssertLessThanOrEqual(zip(ours, theirs).map { abs($0 - $1) }.max()!, 1e-5)
  }
}

/// The crossing rule of `--diameter auto` on hand-made passes.
final class DiameterCrossingTests: XCTestCase {
  private func pass(_ assumed: Double, _ measured: Double, _ count: Int = 5)
    -> DiameterEstimation.Pass
  {
    DiameterEstimation.Pass(
      assumed: assumed, measured: measured, count: count, trainingDiameter: 17)
  }

  func testCrossingInterpolatesLogLinearly() throws {
    // m = 34 at D = 10, m = 8.5 at D = 40: m ∝ 1/D, crossing 17 at D = 20 exactly.
    let d = try XCTUnwrap(
      DiameterEstimation.crossing([pass(10, 34), pass(40, 8.5), pass(80, 20)], target: 17))
    XCTAssertEqual(d, 20, accuracy: 1e-9)
    // Passes without objects are skipped; the order of the passes does not matter.
    let e = try XCTUnwrap(
      DiameterEstimation.crossing([pass(40, 8.5), pass(20, 0, 0), pass(10, 34)], target: 17))
    XCTAssertEqual(e, 20, accuracy: 1e-9)
  }

  func testEveryPassOnOneSideGivesTheEndOfTheLadder() throws {
    // All measure below 17: nuclei no larger than the smallest assumption, which is the
    // estimate (no extrapolation past what was tried).
    XCTAssertEqual(
      try XCTUnwrap(DiameterEstimation.crossing([pass(8, 8.5), pass(16, 4)], target: 17)), 8)
    // All above: the largest assumption.
    XCTAssertEqual(
      try XCTUnwrap(DiameterEstimation.crossing([pass(8, 100), pass(16, 34)], target: 17)), 16)
    XCTAssertNil(DiameterEstimation.crossing([pass(8, 0, 0)], target: 17))
  }

  func testFirstCrossingWinsAndPassesWithFewObjectsAreSkipped() throws {
    // A real failure (a sparse DSB image): the smallest pass saw one fragment; the crossing
    // of the others (25.6 at 12, 14.3 at 24) is the estimate, not that fragment's reading.
    let passes = [pass(6, 4.5, 1), pass(12, 25.6, 4), pass(24, 14.3, 8), pass(48, 9.7, 6)]
    let d = try XCTUnwrap(DiameterEstimation.crossing(passes, target: 17, minimumCount: 3))
    XCTAssertEqual(d, 12 * pow(2, log(25.6 / 17) / log(25.6 / 14.3)), accuracy: 1e-9)
    // Even counting it, a crossing further up is taken over "every pass below".
    let e = try XCTUnwrap(DiameterEstimation.crossing(passes, target: 17))
    XCTAssertEqual(d, e, accuracy: 1e-9)
    // When no pass found minimumCount objects, the others still decide.
    XCTAssertEqual(
      try XCTUnwrap(
        DiameterEstimation.crossing(
          [pass(8, 30, 1), pass(16, 10, 2)], target: 17,
          minimumCount: 3)), 8 * pow(2, log(30.0 / 17) / log(3)), accuracy: 1e-9)
  }

  func testMedianDiameterLeavesOutFragmentsUnderAQuarterOfD0() {
    let estimator = DiameterEstimation(trainingDiameter: 17, watershed: DeepWatershedParameters())
    // Five 2-px-area speckles (1.6 px across, under 17/4) and three nuclei of 17, 18, 19 px:
    // the median is the nuclei's, 18, not a speckle's.
    let area = { (d: Double) in Int((Double.pi * d * d / 4).rounded()) }
    let areas = [2, 2, 2, 2, 2] + [17.0, 18, 19].map(area)
    XCTAssertEqual(estimator.medianDiameter(areas: areas), 18, accuracy: 0.05)
    // Only fragments: they are all there is to measure.
    XCTAssertEqual(
      estimator.medianDiameter(areas: [2, 2, 2]), (8 / Double.pi).squareRoot(), accuracy: 1e-12)
  }

  func testOnlyObjectsBrighterThanTheBackgroundCount() {
    // A 1 × 12 strip: background pixels 0.1, 0.2, 0.1, 0.3, 0.2, 0.1 (median 0.15, MAD 0.05,
    // robust standard deviation 0.074), a nucleus (label 1) at 0.9, a noise object (label 2) at
    // 0.2, and label 3 just above the median plus 1.4826 · MAD.
    let level = 0.15 + 1.4826 * 0.05
    let labels: [Int32] = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3]
    let image: [Float] =
      [0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.9, 0.9, 0.2, 0.2].map { $0 } + [
        Float(level) + 1e-6, Float(level) + 1e-6,
      ]
    XCTAssertEqual(
      DiameterEstimation.brighterThanBackground(labels, image, channels: 1), [true, false, true])
    // Two channels are summed: the noise object's second channel makes it bright.
    let twoChannels = zip(image, labels).flatMap { v, l in [v, l == 2 ? 1 : 0] as [Float] }
    XCTAssertEqual(
      DiameterEstimation.brighterThanBackground(labels, twoChannels, channels: 2),
      [true, true, true])
    // No object brighter than the background: all count.
    XCTAssertEqual(
      DiameterEstimation.brighterThanBackground([0, 0, 1, 2], [0.5, 0.7, 0.1, 0.2], channels: 1),
      [true, true])
    // No background: all count.
    XCTAssertEqual(
      DiameterEstimation.brighterThanBackground([1, 2], [0.5, 0.7], channels: 1), [true, true])
  }

  func testPassCountsBrightObjectsAwayFromTheBorder() {
    // An 8 × 8 pass over a background cycling 0, 0.1, 0.2 (median 0.1, robust standard
    // deviation 0.148): a bright 2 × 2 nucleus inside (label 1), a 3 × 3 object at 0.2 inside
    // (label 2, noise the network called a nucleus) and a bright 1 × 2 object on the border
    // (label 3).
    var labels = [Int32](repeating: 0, count: 64)
    var image = (0..<64).map { Float($0 % 3) / 10 }
    func paint(_ label: Int32, _ rows: ClosedRange<Int>, _ columns: ClosedRange<Int>, _ v: Float) {
      for y in rows {
        for x in columns {
          labels[y * 8 + x] = label
          image[y * 8 + x] = v
        }
      }
    }
    paint(1, 1...2, 1...2, 0.9)
    paint(2, 4...6, 4...6, 0.2)
    paint(3, 7...7, 0...1, 0.8)
    // The dim object never counts; the border object only when too few are inside.
    XCTAssertEqual(
      DiameterEstimation.countedAreas(
        labels, image, height: 8, width: 8, channels: 1, minimumCount: 1), [4])
    XCTAssertEqual(
      DiameterEstimation.countedAreas(
        labels, image, height: 8, width: 8, channels: 1, minimumCount: 2), [4, 2])
  }

  func testCropIsTheBusiestWindow() {
    // A flat 40 × 60 frame with a textured patch at rows 24…35, columns 40…55: the 16 × 16
    // window chosen covers it, not the centre.
    var frame = [Float](repeating: 0.5, count: 40 * 60)
    for y in 24..<36 { for x in 40..<56 { frame[y * 60 + x] = Float((x + y) % 2) } }
    let (top, left) = DiameterEstimation.busiestWindow(
      frame, height: 40, width: 60, channels: 1, ch: 16, cw: 16)
    XCTAssertTrue((20...24).contains(top) && (40...40).contains(left), "\(top), \(left)")
    // A frame no larger than the window: the whole frame.
    XCTAssertTrue(
      DiameterEstimation.busiestWindow(frame, height: 40, width: 60, channels: 1, ch: 40, cw: 60)
        == (0, 0))
  }
}
