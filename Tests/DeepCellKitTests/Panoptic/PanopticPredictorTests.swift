import Foundation
import XCTest

@testable import DeepCellKit

/// Tiled prediction (predict.md §3–§4), OpenCV-style resizing, and the dc-predict tool.
final class PanopticPredictorTests: XCTestCase {
  func randomFrames(_ count: Int, _ h: Int, _ w: Int, _ c: Int = 1, seed: UInt64 = 7) -> [[Float]] {
    var rng = RandomGenerator(seed: seed)
    return (0..<count).map { _ in (0..<(h * w * c)).map { _ in rng.uniform(0, 1) } }
  }

  /// Direct (untiled) forward of channels-last frames of the model's size.
  func direct(_ net: PanopticNet, _ frame: [Float], _ s: Int) throws -> [[Float]] {
    let x = try Tensor.fromNHWC(NDArray(shape: [1, s, s, 1], values: frame))
    return try net.forward(x, training: false, heads: [0, 1]).map { $0.toNHWC().floats() }
  }

  func testOneTileImageEqualsUntiledForward() throws {
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 3)
    let frame = randomFrames(1, 32, 32)[0]
    let tiled = try PanopticPredictor(network: net).predict(
      [frame], height: 32, width: 32, channels: 1)
    let untiled = try direct(net, frame, 32)
    for k in 0..<2 { XCTAssertLessThanOrEqual(maxAbsDifference(tiled[0][k], untiled[k]), 1e-4) }
  }

  func testSmallImageIsReflectPaddedToOneTile() throws {
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 3)
    let (h, w) = (27, 20)
    let frame = randomFrames(1, h, w)[0]
    let tiled = try PanopticPredictor(network: net).predict(
      [frame], height: h, width: w, channels: 1)
    // numpy reflect padding: d = 32 − n, before d // 2, after the rest.
    func reflect(_ i: Int, _ n: Int) -> Int {
      var j = i
      while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
      return j
    }
    let (top, left) = ((32 - h) / 2, (32 - w) / 2)
    var padded = [Float](repeating: 0, count: 32 * 32)
    for y in 0..<32 {
      for x in 0..<32 { padded[y * 32 + x] = frame[reflect(y - top, h) * w + reflect(x - left, w)] }
    }
    let untiled = try direct(net, padded, 32)
    for k in 0..<2 {
      var cropped = [Float]()
      for y in 0..<h { for x in 0..<w { cropped.append(untiled[k][(y + top) * 32 + x + left]) } }
      XCTAssertLessThanOrEqual(maxAbsDifference(tiled[0][k], cropped), 1e-4)
    }
  }

  func testBatchingAcrossFramesDoesNotChangeMaps() throws {
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 5)
    let frames = randomFrames(3, 50, 70)
    let one = try PanopticPredictor(network: net, batchSize: 1).predict(
      frames, height: 50, width: 70, channels: 1)
    let many = try PanopticPredictor(network: net, heads: [0, 1, 2], batchSize: 7).predict(
      frames, height: 50, width: 70, channels: 1)
    XCTAssertEqual(one.count, 3)
    XCTAssertEqual(many[2][2].count, 50 * 70 * 2)
    for f in 0..<3 {
      for k in 0..<2 {
        XCTAssertEqual(one[f][k].count, 50 * 70)
        XCTAssertLessThanOrEqual(maxAbsDifference(one[f][k], many[f][k]), 1e-5)
      }
    }
    XCTAssertThrowsError(
      try PanopticPredictor(network: net).predict(frames, height: 25, width: 70, channels: 2))
  }

  func testLinearResizeUsesHalfPixelCentres() {
    let up = LinearResize.resize(
      [0, 1, 2, 3], height: 1, width: 4, channels: 1, newHeight: 1, newWidth: 8)
    XCTAssertEqual(up, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
    let down = LinearResize.resize(
      [0, 1, 2, 3, 4, 5, 6, 7], height: 1, width: 8, channels: 1, newHeight: 1, newWidth: 4)
    XCTAssertEqual(down, [0.5, 2.5, 4.5, 6.5])  // no anti-aliasing: midpoints of pairs
  }

  // MARK: dc-predict

  func testToolWritesMapsMatchingThePredictor() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let model = dir.appendingPathComponent("m.npz").path
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 8)
    try ModelFile.save(
      net, description: ModelDescription(architecture: net.configuration), to: model)
    var rng = RandomGenerator(seed: 1)
    let raw = NDArray(
      shape: [2, 40, 36], values: (0..<2880).map { _ in UInt16(rng.uniform(0, 4000)) })
    let input = dir.appendingPathComponent("x.npy")
    try Data(NPY.encode(raw)).write(to: input)
    let out = dir.appendingPathComponent("maps.npz").path
    let run = try runTool(
      "dc-predict",
      [input.path, "--model", model, "--all-heads", "--precision", "fp32", "-o", out, "--quiet"])
    XCTAssertEqual(run.status, 0, run.stderr)
    let reader = try NPZReader(path: out)
    XCTAssertEqual(reader.names, ["inner_distance", "outer_distance", "fgbg"])
    let inner = try reader.readArray("inner_distance")
    XCTAssertEqual(inner.shape, [2, 40, 36, 1])
    XCTAssertEqual(try reader.readArray("fgbg").shape, [2, 40, 36, 2])
    let normalized = try StackNormalizer(HistogramNormalization()).normalize(
      stack: raw.reshaped([2, 40, 36, 1]), subject: "x")
    let frames = (0..<2).map { Array(normalized.floats()[($0 * 1440)..<(($0 + 1) * 1440)]) }
    let expected = try PanopticPredictor(network: net).predict(
      frames, height: 40, width: 36, channels: 1)
    XCTAssertLessThanOrEqual(
      maxAbsDifference(inner.floats(), expected[0][0] + expected[1][0]), 1e-5)

    // No --precision: auto, the CPU's native precision (bf16 with AVX512_BF16, else fp32).
    let auto = dir.appendingPathComponent("auto.npz").path
    let r1 = try runTool("dc-predict", [input.path, "--model", model, "-o", auto, "--quiet"])
    XCTAssertEqual(r1.status, 0, r1.stderr)
    net.precision = .native
    let native = try PanopticPredictor(network: net).predict(
      frames, height: 40, width: 36, channels: 1)
    XCTAssertLessThanOrEqual(
      maxAbsDifference(
        try NPZReader(path: auto).readArray("inner_distance").floats(),
        native[0][0] + native[1][0]), 1e-5)

    // --image-mpp: predicted at int(H · s) and resized back to the input's resolution; the
    // scale is recorded for dc-watershed.
    let half = dir.appendingPathComponent("half.npz").path
    let r2 = try runTool(
      "dc-predict", [input.path, "--model", model, "--image-mpp", "0.325", "-o", half, "--quiet"])
    XCTAssertEqual(r2.status, 0, r2.stderr)
    XCTAssertEqual(try NPZReader(path: half).readArray("outer_distance").shape, [2, 40, 36, 1])
    XCTAssertEqual(try InputFile(path: half).provenance()?.scale, 0.5)
  }

  func testToolRejectsBadModelAndChannelMismatchWritingNothing() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let model = dir.appendingPathComponent("m.npz").path
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 8)
    try ModelFile.save(
      net, description: ModelDescription(architecture: net.configuration), to: model)
    let twoChannels = dir.appendingPathComponent("x2.npy")
    try Data(NPY.encode(NDArray(zeros: [1, 40, 40, 2], dtype: .float32))).write(to: twoChannels)
    let out = dir.appendingPathComponent("maps.npz").path
    let r1 = try runTool("dc-predict", [twoChannels.path, "--model", model, "-o", out])
    XCTAssertEqual(r1.status, 65, r1.stderr)
    XCTAssertTrue(r1.stderr.contains("channel"), r1.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    let bad = dir.appendingPathComponent("bad.npz").path
    let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
    try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: bad))
    let one = dir.appendingPathComponent("x1.npy")
    try Data(NPY.encode(NDArray(zeros: [1, 40, 40], dtype: .float32))).write(to: one)
    let r0 = try runTool(
      "dc-predict", [one.path, "--model", model, "--precision", "fp16", "-o", out])
    XCTAssertEqual(r0.status, 64, r0.stderr)
    XCTAssertTrue(r0.stderr.contains("--precision must be auto, fp32 or bf16"), r0.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    let r2 = try runTool("dc-predict", [one.path, "--model", bad, "-o", out])
    XCTAssertEqual(r2.status, 65, r2.stderr)
    XCTAssertTrue(r2.stderr.contains("bad.npz"), r2.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    // An NPZ with several arrays and none named X: bad data (65) with dc-normalize's message
    // (dc-predict exited 64 here before the tools shared `InputFile.imageArrayName`).
    let ambiguous = dir.appendingPathComponent("two.npz").path
    let writer = try NPZWriter(path: ambiguous)
    try writer.write("a", NDArray(zeros: [1, 40, 40], dtype: .float32))
    try writer.write("b", NDArray(zeros: [1, 40, 40], dtype: .float32))
    try writer.finish()
    let r3 = try runTool("dc-predict", [ambiguous, "--model", model, "-o", out])
    XCTAssertEqual(r3.status, 65, r3.stderr)
    XCTAssertTrue(r3.stderr.contains("choose one with --array"), r3.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }, []
    )
  }
}
