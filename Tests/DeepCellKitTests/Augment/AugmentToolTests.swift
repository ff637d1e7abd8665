import Foundation
import XCTest

@testable import DeepCellKit

/// dc-augment end to end (issue 3): golden targets through --targets-only, defaults,
/// determinism across runs and --threads, preview, and bad input with nothing written.
final class AugmentToolTests: ToolTestCase {
  override var tool: String { "dc-augment" }

  /// A small dataset: 3 frames of 40×36, frame f with f + 1 rectangles.
  func dataset() -> (NDArray, NDArray) {
    let (h, w) = (40, 36)
    var x = [Float](repeating: 0, count: 3 * h * w)
    var y = [Int32](repeating: 0, count: 3 * h * w)
    for f in 0..<3 {
      for i in 0..<(h * w) { x[f * h * w + i] = Float((i * 7 + f * 13) % 97) }
      for k in 0...f {
        for r in (3 + 10 * k)..<(9 + 10 * k) {
          for c in (4 + 8 * k)..<(11 + 8 * k) { y[f * h * w + r * w + c] = Int32(k + 1) }
        }
      }
    }
    return (NDArray(shape: [3, h, w, 1], values: x), NDArray(shape: [3, h, w, 1], values: y))
  }

  func testTargetsOnlyMatchesGolden() throws {
    let y = try loadFixtureNPY("augment/transforms0_y_u1.npy")
    let input = try write(ArrayBundle([("y", y)]), "y.npz")
    let run = try runTool(
      "dc-augment",
      [
        input, "--targets-only", "--targets", "inner-distance,outer-distance,fgbg,pixelwise", "-o",
        path("t.npz"),
      ])
    XCTAssertEqual(run.status, 0, run.stderr)
    let out = try read(path("t.npz"))
    XCTAssertEqual(out.names, ["y", "inner_distance", "outer_distance", "fgbg", "pixelwise"])
    for (name, fixture) in [
      ("inner_distance", "transforms0_inner_distance"),
      ("outer_distance", "transforms0_outer_distance"),
    ] {
      let err = maxAbsDifference(
        out[name]!.floats(), try loadFixtureNPY("augment/\(fixture).npy").floats())
      print("parity dc-augment --targets-only \(name): max abs error \(err)")
      XCTAssertLessThanOrEqual(err, 1e-5)
    }
    XCTAssertEqual(
      out["fgbg"]!.values(UInt8.self),
      try loadFixtureNPY("augment/transforms0_fgbg.npy").values(UInt8.self))
    XCTAssertEqual(
      out["pixelwise"]!.values(UInt8.self),
      try loadFixtureNPY("augment/transforms0_pixelwise.npy").values(UInt8.self))
  }

  /// The whole golden transforms.npz (both frames) of ../shared/golden (copied to
  /// Tests/Fixtures/augment by scripts/copy-golden-fixtures.sh).
  func testTargetsOnlyOnSharedGolden() throws {
    let golden = TestPaths.fixture("augment/transforms.npz").path
    let run = try runTool("dc-augment", [golden, "--targets-only", "-o", path("t.npz")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let out = try read(path("t.npz"))
    let want = try read(golden)
    XCTAssertEqual(
      maxAbsDifference(out["inner_distance"]!.floats(), want["inner_distance"]!.floats()), 0)
    XCTAssertEqual(
      maxAbsDifference(out["outer_distance"]!.floats(), want["outer_distance"]!.floats()), 0)
    XCTAssertEqual(out["fgbg"], want["fgbg"])
  }

  func testAugmentDefaultsShapesAndDeterminism() throws {
    let (x, y) = dataset()
    let input = try write(ArrayBundle([("X", x), ("y", y)]), "train.npz")
    let a = try runTool(
      "dc-augment",
      [input, "--crop", "24,20", "--count", "5", "--threads", "1", "-o", path("a.npz")])
    XCTAssertEqual(a.status, 0, a.stderr)
    let b = try runTool(
      "dc-augment",
      [input, "--crop", "24,20", "--count", "5", "--threads", "2", "-o", path("b.npz")])
    XCTAssertEqual(b.status, 0, b.stderr)
    let bytesA = try Data(contentsOf: URL(fileURLWithPath: path("a.npz")))
    XCTAssertEqual(
      bytesA, try Data(contentsOf: URL(fileURLWithPath: path("b.npz"))), "same seed, 1 vs 2 threads"
    )
    let out = try read(path("a.npz"))
    XCTAssertEqual(out.names, ["X", "inner_distance", "outer_distance", "fgbg", "y"])
    XCTAssertEqual(out["X"]!.shape, [5, 24, 20, 1])
    XCTAssertEqual(out["fgbg"]!.shape, [5, 24, 20, 2])
    XCTAssertEqual(out["fgbg"]!.dtype, .uint8)
    XCTAssertEqual(out["inner_distance"]!.dtype, .float32)
    let c = try runTool(
      "dc-augment", [input, "--crop", "24,20", "--count", "5", "--seed", "1", "-o", path("c.npz")])
    XCTAssertEqual(c.status, 0, c.stderr)
    XCTAssertNotEqual(try read(path("c.npz"))["X"], out["X"], "another seed")
    // Library and tool agree.
    var s = AugmentationSettings()
    s.cropSize = [24, 20]
    var g = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 0)
    XCTAssertEqual(try g.nextSamples(5).bundle, out)
  }

  func testEpochsStdoutAndPreview() throws {
    let (x, y) = dataset()
    let images = try write(ArrayBundle([("arr_0", x)]), "x.npy")
    let labels = try write(ArrayBundle([("arr_0", y)]), "y.npy")
    let run = try runTool(
      "dc-augment",
      [images, "--labels", labels, "--crop", "16", "--epochs", "2", "--preview", path("p.png")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let tmp = path("stdout.npz")
    try run.stdout.write(to: URL(fileURLWithPath: tmp))
    XCTAssertEqual(try read(tmp)["X"]!.shape, [6, 16, 16, 1])
    let png = try PNGCodec.read(path: path("p.png"))
    let side = 4 * 16 + 3 * 2  // 4 samples × 4 panels of 16 px, 2-px gaps
    XCTAssertEqual(png.shape, [1, side, side, 3])
  }

  func testHelpHasExamples() throws {
    let run = try runTool("dc-augment", ["--help"])
    XCTAssertEqual(run.status, 0)
    let text = String(decoding: run.stdout, as: UTF8.self)
    XCTAssertTrue(
      text.contains("Examples:") && text.contains("--targets-only") && text.contains("--seed"))
  }

  func testBadInput() throws {
    let (x, y) = dataset()
    let good = try write(ArrayBundle([("X", x), ("y", y)]), "train.npz")
    let floatLabels = try write(
      ArrayBundle([("X", x), ("y", y.converted(to: .float32))]), "float-y.npz")
    try assertFails(
      [floatLabels, "--crop", "16", "-o", path("o.npz")], status: 65,
      mentioning: "labels must be integers")
    let fewer = try write(
      ArrayBundle([("X", x), ("y", NDArray.stacking([y.frame(0), y.frame(1)])!)]), "fewer.npz")
    try assertFails([fewer, "--crop", "16", "-o", path("o.npz")], status: 65, mentioning: "frames")
    let other = NDArray(zeros: [3, 40, 30, 1], dtype: .int32)
    let size = try write(ArrayBundle([("X", x), ("y", other)]), "size.npz")
    try assertFails(
      [size, "--crop", "16", "-o", path("o.npz")], status: 65, mentioning: "must match")
    try assertFails([good, "-o", path("o.npz")], status: 64, mentioning: "larger than")
    let empty = try write(
      ArrayBundle([("X", x), ("y", NDArray(zeros: [3, 40, 36, 1], dtype: .int32))]), "empty.npz")
    try assertFails(
      [empty, "--crop", "16", "-o", path("o.npz")], status: 65,
      mentioning: "no image has at least 1 object")
    try assertFails(
      [good, "--crop", "16", "--count", "0", "-o", path("o.npz")], status: 64, mentioning: "--count"
    )
    try assertFails(
      [path("missing.npz"), "-o", path("o.npz")], status: 66, mentioning: "missing.npz")
    try assertFails(
      [good, "--targets", "inner,fgbg", "-o", path("o.npz")], status: 64,
      mentioning: "unknown target")
    try assertFails(
      [good, "--crop", "16", "--dim-nuclei", "1.5", "-o", path("o.npz")], status: 64,
      mentioning: "dimmed object fraction")
    try assertFails(
      [good, "--crop", "16", "--dim-nuclei", "0.5", "--dim-factor-min", "0", "-o", path("o.npz")],
      status: 64, mentioning: "dimmed object factor")
    try assertFails(
      [good, "--crop", "16", "--noise-fraction", "0.5", "--noise-max", "0", "-o", path("o.npz")],
      status: 64, mentioning: "noise standard deviation")
  }
}
