import Foundation
import XCTest

@testable import DeepCellKit

/// dc-watershed end to end: golden labels through every input and output form, and bad
/// input giving one error line, a sysexits code and no output file.
final class WatershedToolTests: XCTestCase {
  private var inner: String { TestPaths.fixture("watershed/dw_inner.npy").path }
  private var outer: String { TestPaths.fixture("watershed/dw_outer.npy").path }

  private func golden() throws -> [Int64] {
    try loadFixtureNPY("watershed/dw_labels.npy").integerValues()
  }

  private func read(_ path: String) throws -> NDArray {
    try InputFile(path: path).readArray(name: nil)
  }

  /// Writes an NPZ with the golden maps under dc-predict's names.
  private func mapsNPZ(in folder: URL) throws -> String {
    let path = folder.appendingPathComponent("maps.npz").path
    var bundle = ArrayBundle()
    bundle[ArrayName.innerDistance] = try loadFixtureNPY("watershed/dw_inner.npy")
    bundle[ArrayName.outerDistance] = try loadFixtureNPY("watershed/dw_outer.npy")
    let out = try OutputFile(path: path)
    try writeBundle(bundle, to: out)
    return path
  }

  func testTwoStackFilesToTIFFMatchGolden() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let out = dir.appendingPathComponent("labels.tif").path
    let run = try runTool("dc-watershed", ["--maxima", inner, "--interior", outer, "-o", out])
    XCTAssertEqual(run.status, 0, run.stderr)
    let labels = try read(out)
    XCTAssertEqual(labels.dtype, .uint16)
    XCTAssertEqual(labels.integerValues(), try golden())
  }

  func testNPZOnStdinToStdoutMatchesGolden() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let npz = try mapsNPZ(in: dir)
    let run = try runTool(
      "dc-watershed", ["--format", "npy"], stdin: try Data(contentsOf: URL(fileURLWithPath: npz)))
    XCTAssertEqual(run.status, 0, run.stderr)
    let labels = try NPY.decode([UInt8](run.stdout), subject: "stdout")
    XCTAssertEqual(labels.integerValues(), try golden())
    // And the path form with peak_local_max against its own golden.
    let out = dir.appendingPathComponent("plm.npy").path
    let plm = try runTool("dc-watershed", [npz, "--maxima-algorithm", "peak_local_max", "-o", out])
    XCTAssertEqual(plm.status, 0, plm.stderr)
    XCTAssertEqual(
      try read(out).integerValues(),
      try loadFixtureNPY("watershed/dw_labels_peak_local_max.npy").integerValues())
  }

  func testPNGFolderAndOverlays() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let pngs = dir.appendingPathComponent("labels").path
    let qc = dir.appendingPathComponent("qc").path
    let run = try runTool(
      "dc-watershed",
      [
        "--maxima", inner, "--interior", outer, "--png-dir", pngs, "--overlay", qc, "--image",
        inner,
      ])
    XCTAssertEqual(run.status, 0, run.stderr)
    let want = try golden()
    for frame in 0..<2 {
      let png = try PNGCodec.read(path: "\(pngs)/frame_000\(frame).png")
      XCTAssertEqual(png.dtype, .uint16)
      XCTAssertEqual(png.integerValues(), Array(want[(frame * 65536)..<((frame + 1) * 65536)]))
      let overlay = try PNGCodec.read(path: "\(qc)/overlay_000\(frame).png")
      XCTAssertEqual(overlay.shape.suffix(3), [256, 256, 3])
    }
  }

  func testHelpHasExamples() throws {
    let run = try runTool("dc-watershed", ["--help"])
    XCTAssertEqual(run.status, 0)
    XCTAssertTrue(
      String(decoding: run.stdout, as: UTF8.self).contains("dc-watershed maps.npz -o labels.tif"))
  }

  /// One error line naming the problem, the exit code, and no output file left behind.
  private func assertFails(
    _ arguments: [String], status: Int32, mentions: String, stdin: Data? = nil,
    file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let dir = try TestPaths.temporaryFolder(self)
    let out = dir.appendingPathComponent("labels.tif").path
    let run = try runTool("dc-watershed", arguments + ["-o", out], stdin: stdin)
    XCTAssertEqual(run.status, status, run.stderr, file: file, line: line)
    XCTAssertTrue(run.stderr.contains(mentions), run.stderr, file: file, line: line)
    XCTAssertFalse(run.stderr.contains("Fatal error"), file: file, line: line)
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: dir.path), [], file: file, line: line)
  }

  func testBadInput() throws {
    let small = TestPaths.fixture("watershed/outer_erosion1.npy").path
    try assertFails(
      ["--maxima", inner, "--interior", small], status: 65, mentions: "differ in shape")
    let dir = try TestPaths.temporaryFolder(self)
    let npz = try mapsNPZ(in: dir)
    try assertFails([npz, "--interior", "outer"], status: 65, mentions: "no array 'outer'")
    try assertFails(
      ["--maxima", inner, "--interior", outer, "--maxima-threshold=-1"], status: 64,
      mentions: "maxima_threshold")
    try assertFails(
      ["--maxima", inner, "--interior", outer, "--maxima-algorithm", "watershed"], status: 64,
      mentions: "h_maxima")
    try assertFails([], status: 65, mentions: "empty", stdin: Data())
    try assertFails(
      ["--maxima", inner, "--interior", outer, "--threads", "0"], status: 64,
      mentions: "dc-watershed: error: --threads must be at least 1")
    // NaN in a map.
    var values = try loadFixtureNPY("watershed/dw_inner.npy").floats()
    values[1234] = .nan
    let nan = dir.appendingPathComponent("nan.npy").path
    try Data(NPY.encode(NDArray(shape: [2, 256, 256, 1], values: values))).write(
      to: URL(fileURLWithPath: nan))
    try assertFails(["--maxima", nan, "--interior", outer], status: 65, mentions: "NaN")
  }

  func testConstantMapsGiveEmptyLabels() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let flat = dir.appendingPathComponent("flat.npy").path
    try Data(
      NPY.encode(NDArray(shape: [3, 20, 30, 1], values: [Float](repeating: 0.5, count: 1800)))
    )
    .write(to: URL(fileURLWithPath: flat))
    let out = dir.appendingPathComponent("labels.tif").path
    let run = try runTool("dc-watershed", ["--maxima", flat, "--interior", flat, "-o", out])
    XCTAssertEqual(run.status, 0, run.stderr)
    let labels = try read(out)
    XCTAssertEqual(labels.shape, [3, 20, 30, 1])
    XCTAssertEqual(labels.integerValues().max(), 0)
  }
}
