import Foundation
import XCTest

@testable import DeepCellKit

/// `--channel`: keeping some channels of a stack (dc-normalize, dc-predict), and where the
/// shipped model is looked for.
final class ChannelSelectionTests: ToolTestCase {
  override var tool: String { "dc-normalize" }

  func testSelectsChannelsInOrder() throws {
    let frame = NDArray(shape: [1, 2, 2, 3], values: (0..<12).map(Float.init))
    let reader = try ArrayStackReader(frame, subject: "t")
    let picked = try ChannelSelectingReader(reader, channels: [2, 0], subject: "t")
    XCTAssertEqual(picked.frameShape, [2, 2, 2])
    XCTAssertEqual(try picked.readFrame(0).floats(), [2, 0, 5, 3, 8, 6, 11, 9])
    XCTAssertThrowsError(try ChannelSelectingReader(reader, channels: [3], subject: "t")) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage)
    }
  }

  func testNormalizeGreyOfRGBAPNGEqualsGreyImage() throws {
    // An RGBA PNG with R == G == B (as the DSB-2018 images are) and its grey version.
    var rng = RandomGenerator(seed: 3)
    let grey = (0..<(40 * 56)).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) }
    let rgba: [UInt8] = grey.flatMap { v -> [UInt8] in [v, v, v, 255] }
    try PNGCodec.write(NDArray(shape: [40, 56, 4], values: rgba), to: path("rgba.png"))
    try PNGCodec.write(NDArray(shape: [40, 56, 1], values: grey), to: path("grey.png"))
    for (input, output, extra) in [
      ("rgba.png", "picked.npy", ["--channel", "0"]), ("grey.png", "grey.npy", []),
      ("rgba.png", "all.npy", []),
    ] {
      let run = try runTool(tool, [path(input), "-o", path(output), "--quiet"] + extra)
      XCTAssertEqual(run.status, 0, run.stderr)
    }
    let picked = try InputFile(path: path("picked.npy")).readArray()
    XCTAssertEqual(picked.shape, [1, 40, 56, 1])
    XCTAssertEqual(picked.floats(), try InputFile(path: path("grey.npy")).readArray().floats())
    XCTAssertEqual(try InputFile(path: path("all.npy")).readArray().shape, [1, 40, 56, 4])

    let bad = try runTool(tool, [path("rgba.png"), "--channel", "4", "-o", path("x.tif")])
    XCTAssertEqual(bad.status, 64, bad.stderr)
    XCTAssertTrue(bad.stderr.contains("channel 4"), bad.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.tif")))
  }

  func testDefaultModelSearch() throws {
    XCTAssertEqual(
      DefaultModel.candidates(executable: "/x/bin/dc-predict", environment: ["DC_MODEL": "/m.npz"]),
      ["/m.npz"])
    let paths = DefaultModel.candidates(executable: "/opt/dc/bin/dc-predict", environment: [:])
    XCTAssertEqual(paths.first, "/opt/dc/share/dc-tools/models/nuclear.npz")
    XCTAssertTrue(paths.contains("/opt/dc/models/nuclear.npz"))
    XCTAssertThrowsError(
      try DefaultModel.locate(executable: "/nonexistent/bin/dc-predict", environment: [:])
    ) { XCTAssertEqual(($0 as? DeepCellError)?.kind, .noInput) }
  }
}

/// dc-predict without --model finds and runs the shipped model (models/nuclear.npz).
final class ShippedModelTests: ToolTestCase {
  override var tool: String { "dc-predict" }

  func testPredictsWithTheShippedModelByDefault() throws {
    let sample = TestPaths.packageRoot.appendingPathComponent(
      "samples/dsb2018/images/0bf4b144167694b6846d584cf52c458f34f28fcae75328a2a096c8214e01c0d0.png")
    let run = try runTool(tool, [sample.path, "--channel", "0", "-o", path("maps.npz")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let flipsLine = "dc-predict: test-time flips on, as the model recommends"
    XCTAssertTrue(run.stderr.contains(flipsLine), run.stderr)
    let reader = try NPZReader(path: path("maps.npz"))
    XCTAssertEqual(Set(reader.names), ["inner_distance", "outer_distance"])
    let inner = try reader.readArray("inner_distance")
    XCTAssertEqual(inner.shape, [1, 256, 256, 1])
    XCTAssertGreaterThan(inner.floats().max() ?? 0, 0.3, "the shipped model finds nuclei")
    let description = try ModelFile.readDescription(
      TestPaths.packageRoot.appendingPathComponent("models/nuclear.npz").path)
    XCTAssertEqual(description.normalization, "histogram_normalization")
    // The shipped model asks for test-time flips (session 13), and the default follows it:
    // the maps equal those of --augment and differ from those of --no-augment, and stderr says
    // so only when the model chose.
    XCTAssertEqual(description.testTimeFlips, true)
    for (flag, same) in [("--augment", true), ("--no-augment", false)] {
      let other = try runTool(
        tool, [sample.path, "--channel", "0", flag, "-o", path("maps\(flag).npz")])
      XCTAssertEqual(other.status, 0, other.stderr)
      XCTAssertFalse(other.stderr.contains(flipsLine), other.stderr)
      let maps = try NPZReader(path: path("maps\(flag).npz")).readArray("inner_distance")
      XCTAssertEqual(maps.floats() == inner.floats(), same, flag)
    }
  }

  /// `--diameter auto` with the shipped model reads the nucleus size of a sample enlarged 7×
  /// (nuclei about 145 px across, past 96 px, where the estimate used to stop, or read a pass
  /// that cut the nuclei into fragments) within 20 % of the labels' median equivalent
  /// diameter.
  func testAutomaticDiameterOfLargeNuclei() throws {
    let id = "0bf4b144167694b6846d584cf52c458f34f28fcae75328a2a096c8214e01c0d0"
    let samples = TestPaths.packageRoot.appendingPathComponent("samples/dsb2018")
    let reader = try InputFile(path: samples.appendingPathComponent("images/\(id).png").path)
      .stackReader()
    let (h, w) = (reader.frameShape[0], reader.frameShape[1])
    let c = reader.frameShape.count > 2 ? reader.frameShape[2] : 1
    let frame = try reader.readFrame(0).floats()
    let grey = stride(from: 0, to: h * w * c, by: c).map { frame[$0] }
    let labels = try InputFile(path: samples.appendingPathComponent("labels/\(id).tif").path)
      .readArray().integerValues()
    var areas: [Int64: Int] = [:]
    for l in labels where l > 0 { areas[l, default: 0] += 1 }
    let diameters = areas.values.map { (4 * Double($0) / Double.pi).squareRoot() }.sorted()
    let median = (diameters[(diameters.count - 1) / 2] + diameters[diameters.count / 2]) / 2
    let factor = 7
    let big = LinearResize.resize(
      grey, height: h, width: w, channels: 1, newHeight: h * factor, newWidth: w * factor)
    try Data(NPY.encode(NDArray(shape: [h * factor, w * factor], values: big))).write(
      to: URL(fileURLWithPath: path("big.npy")))
    let run = try runTool(tool, [path("big.npy"), "-o", path("big.npz")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let reading = run.stderr.components(separatedBy: "nucleus diameter (auto): ").dropFirst()
      .first?.components(separatedBy: " px").first
    let estimate = try XCTUnwrap(reading.flatMap { Double($0) }, run.stderr)
    let expected = median * Double(factor)
    XCTAssertEqual(estimate, expected, accuracy: 0.2 * expected, run.stderr)
  }

  /// `--diameter auto` on a stack whose first frame is blank (a dark frame before a movie)
  /// reads the nucleus size from the next frame with nuclei, the same estimate as on that frame
  /// alone, and says so; a stack with no nuclei at all is predicted at the input's scale, and
  /// stderr names the frames tried.
  func testAutomaticDiameterSkipsABlankFirstFrame() throws {
    let id = "0bf4b144167694b6846d584cf52c458f34f28fcae75328a2a096c8214e01c0d0"
    let reader = try InputFile(
      path: TestPaths.packageRoot.appendingPathComponent("samples/dsb2018/images/\(id).png").path
    ).stackReader()
    let (h, w) = (reader.frameShape[0], reader.frameShape[1])
    let c = reader.frameShape.count > 2 ? reader.frameShape[2] : 1
    let frame = try reader.readFrame(0).floats()
    // The top-left 128 × 128 pixels (21 annotated nuclei) keep the debug-build test short.
    let side = 128
    XCTAssert(h >= side && w >= side)
    let grey = (0..<side * side).map { frame[((($0 / side) * w) + $0 % side) * c] }
    let blank = [Float](repeating: 3, count: side * side)
    func estimate(_ frames: [[Float]], _ name: String, side: Int = side) throws -> String {
      try Data(
        NPY.encode(NDArray(shape: [frames.count, side, side], values: Array(frames.joined())))
      ).write(to: URL(fileURLWithPath: path("\(name).npy")))
      let run = try runTool(tool, [path("\(name).npy"), "--no-augment", "-o", path("\(name).npz")])
      XCTAssertEqual(run.status, 0, run.stderr)
      return run.stderr
    }
    func diameter(_ stderr: String) -> Double? {
      stderr.components(separatedBy: "nucleus diameter (auto): ").dropFirst().first?
        .components(separatedBy: " px").first.flatMap { Double($0) }
    }
    let alone = try estimate([grey], "alone")
    let expected = try XCTUnwrap(diameter(alone), alone)
    let late = try estimate([blank, grey, grey], "late")
    XCTAssertEqual(diameter(late), expected, late)
    XCTAssertTrue(late.contains("from frame 1, the first of frames 0, 1 with nuclei"), late)
    let inner = try NPZReader(path: path("late.npz")).readArray("inner_distance").floats()
    XCTAssertGreaterThan(
      inner[(side * side)..<(2 * side * side)].max() ?? 0, 0.3, "frame 1's nuclei found")
    let small = [Float](repeating: 3, count: 32 * 32)
    let none = try estimate([small, small], "none", side: 32)
    XCTAssertTrue(
      none.contains("no nuclei found in frames 0, 1; predicting at the input's scale"), none)
  }

  /// An input with more channels than the model takes (an RGBA PNG, or a short stack saved as
  /// one multi-sample TIFF page) is refused with one line that says how to pick one.
  func testTooManyChannelsSaysHowToPickOne() throws {
    let rgba = NDArray(shape: [40, 56, 4], values: [UInt8](repeating: 9, count: 40 * 56 * 4))
    try PNGCodec.write(rgba, to: path("rgba.png"))
    let run = try runTool(tool, [path("rgba.png"), "-o", path("maps.npz")])
    XCTAssertEqual(run.status, 65, run.stderr)
    XCTAssertTrue(
      run.stderr.contains("has 4 channel(s); the model takes 1: pick one with --channel"),
      run.stderr)
    XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("maps.npz")))
  }

  /// The frames an automatic estimation tries: the first, then up to seven more spread evenly
  /// over the stack, none twice.
  func testEstimationCandidateFrames() {
    XCTAssertEqual(MapPredictionJob.estimationCandidates(frameCount: 1), [0])
    XCTAssertEqual(MapPredictionJob.estimationCandidates(frameCount: 3), [0, 1, 2])
    XCTAssertEqual(
      MapPredictionJob.estimationCandidates(frameCount: 30), [0, 3, 7, 11, 15, 18, 22, 26])
  }

  /// `--augment` is the mean of the predictions of the image's four mirror flips, each
  /// flipped back: here the flips are made outside and predicted without it (in fp32: bf16
  /// convolutions of a batch of four and of one image may round differently).
  func testAugmentAveragesTheFlippedPredictions() throws {
    let (h, w) = (64, 80)
    let image = NDArray(
      shape: [1, h, w, 1],
      values: (0..<(h * w)).map { Float(($0 * 37) % 101) / 101 })
    var flippedMaps: [[Float]] = []
    for (k, flip) in TestTimeFlips.flips.enumerated() {
      let f = TestTimeFlips.flipped(
        image.floats(), height: h, width: w, channels: 1, vertical: flip.vertical,
        horizontal: flip.horizontal)
      try Data(NPY.encode(NDArray(shape: [1, h, w, 1], values: f))).write(
        to: URL(fileURLWithPath: path("f\(k).npy")))
      let run = try runTool(
        tool,
        [
          path("f\(k).npy"), "--no-normalize", "--no-augment", "--precision", "fp32", "-o",
          path("f\(k).npz"), "--quiet",
        ])
      XCTAssertEqual(run.status, 0, run.stderr)
      let inner = try NPZReader(path: path("f\(k).npz")).readArray("inner_distance").floats()
      flippedMaps.append(
        TestTimeFlips.flipped(
          inner, height: h, width: w, channels: 1, vertical: flip.vertical,
          horizontal: flip.horizontal))
    }
    try Data(NPY.encode(image)).write(to: URL(fileURLWithPath: path("image.npy")))
    let run = try runTool(
      tool,
      [
        path("image.npy"), "--no-normalize", "--augment", "--precision", "fp32", "-o",
        path("tta.npz"), "--quiet",
      ])
    XCTAssertEqual(run.status, 0, run.stderr)
    let tta = try NPZReader(path: path("tta.npz")).readArray("inner_distance").floats()
    let mean = (0..<(h * w)).map { p in flippedMaps.reduce(Float(0)) { $0 + $1[p] } / 4 }
    XCTAssertEqual(tta.count, mean.count)
    XCTAssertLessThanOrEqual(zip(tta, mean).map { abs($0 - $1) }.max() ?? 1, 1e-6)
    XCTAssertNotEqual(tta, flippedMaps[0], "the flips change the prediction")
  }
}
