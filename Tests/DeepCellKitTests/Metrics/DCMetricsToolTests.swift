import Foundation
import XCTest

@testable import DeepCellKit

/// The dc-metrics executable: reports, formats, CTC folders, and bad input (one line on
/// stderr, sysexits code, no output file).
final class DCMetricsToolTests: XCTestCase {
  func fixture(_ name: String) -> String { TestPaths.fixture("metrics/\(name)").path }

  func requireTool() throws {
    _ = try TestEnvironment.requireTool("dc-metrics")
  }

  func testJSONReportMatchesReference() throws {
    try requireTool()
    let run = try runTool(
      "dc-metrics",
      [fixture("golden_y_pred.npy"), "--truth", fixture("golden_y_true.npy"), "--quiet"])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertEqual(run.stderr, "")
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
    let summary = try XCTUnwrap(json["summary"] as? [String: Any])
    let perImage = try XCTUnwrap(json["per_image"] as? [[String: Any]])
    XCTAssertEqual(perImage.count, 2)
    let reference = try XCTUnwrap(
      loadMetricsJSON("reference_object_metrics.json") as? [String: Any])
    let perturbed = try XCTUnwrap(reference["perturbed"] as? [String: Any])
    for (key, value) in perturbed["summary"] as! [String: Any] {
      let mine = key == "seg" ? "seg_deepcell" : key
      assertClose(jsonDouble(summary[mine]), jsonDouble(value), 1e-12, "summary \(key)")
    }
    XCTAssertNotNil(summary["mean_ap"])
    XCTAssertNotNil(perImage[0]["ap_0.50"])
  }

  func testFormatsAndTable() throws {
    try requireTool()
    let dir = try TestPaths.temporaryFolder(self)
    let csv = dir.appendingPathComponent("stats.csv").path
    let run = try runTool(
      "dc-metrics", [fixture("edge_y_pred.npy"), "--truth", fixture("edge_y_true.npy"), "-o", csv])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("correct"), run.stderr)
    let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 1 + 7 + 1)
    XCTAssertTrue(lines[0].hasPrefix("image,n_pred,n_true,correct_detections"))
    XCTAssertTrue(lines.last!.hasPrefix("summary,"))
    let yaml = try runTool(
      "dc-metrics",
      [
        fixture("edge_y_pred.npy"), "--truth", fixture("edge_y_true.npy"), "--format", "yaml",
        "--quiet",
      ])
    let text = String(decoding: yaml.stdout, as: UTF8.self)
    XCTAssertTrue(text.hasPrefix("summary:\n  correct_detections: 4\n"), text)
    XCTAssertTrue(text.contains("per_image:\n- image: 0\n"))
  }

  func testBadInput() throws {
    try requireTool()
    let dir = try TestPaths.temporaryFolder(self)
    let out = dir.appendingPathComponent("stats.json").path
    func expectFailure(
      _ args: [String], _ code: Int32, _ needle: String, file: StaticString = #filePath,
      line: UInt = #line
    ) throws {
      let run = try runTool("dc-metrics", args + ["-o", out])
      XCTAssertEqual(run.status, code, run.stderr, file: file, line: line)
      XCTAssertTrue(run.stderr.hasPrefix("dc-metrics: error: "), run.stderr, file: file, line: line)
      XCTAssertTrue(run.stderr.contains(needle), run.stderr, file: file, line: line)
      XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr, file: file, line: line)
      XCTAssertFalse(
        FileManager.default.fileExists(atPath: out), "output written", file: file, line: line)
      XCTAssertEqual(
        try FileManager.default.contentsOfDirectory(atPath: dir.path), [], file: file, line: line)
    }
    // Shapes / frame counts that differ.
    try expectFailure(
      [fixture("golden_y_pred.npy"), "--truth", fixture("edge_y_true.npy")], 65, "does not match")
    // Non-integer labels.
    let floats = dir.appendingPathComponent("f.npy")
    try Data(
      NPY.encode(NDArray(shape: [7, 32, 32], values: [Float](repeating: 0.5, count: 7 * 32 * 32)))
    ).write(to: floats)
    defer { try? FileManager.default.removeItem(at: floats) }
    let run = try runTool(
      "dc-metrics", [floats.path, "--truth", fixture("edge_y_true.npy"), "-o", out])
    XCTAssertEqual(run.status, 65)
    XCTAssertTrue(run.stderr.contains("f.npy: frame 0: labels must be integers"), run.stderr)
    try FileManager.default.removeItem(at: floats)
    // Missing input, unknown format, bad option value.
    try expectFailure([fixture("nope.npy"), "--truth", fixture("edge_y_true.npy")], 66, "nope.npy")
    try expectFailure(
      [fixture("edge_y_pred.npy"), "--truth", fixture("edge_y_true.npy"), "--format", "xml"], 64,
      "unknown format")
    try expectFailure(
      [fixture("edge_y_pred.npy"), "--truth", fixture("edge_y_true.npy"), "--thresholds", "0.5,2"],
      64, "--thresholds")
    // The shared runtime options (RuntimeOptions), in both subcommands.
    try expectFailure(
      [fixture("edge_y_pred.npy"), "--truth", fixture("edge_y_true.npy"), "--threads", "0"], 64,
      "--threads must be at least 1")
    try expectFailure(
      ["track", dir.path, "--truth", dir.path, "--threads", "0"], 64,
      "--threads must be at least 1")
    // Output folder missing.
    let bad = try runTool(
      "dc-metrics",
      [
        fixture("edge_y_pred.npy"), "--truth", fixture("edge_y_true.npy"), "-o",
        "/nonexistent/dir/x.json",
      ])
    XCTAssertEqual(bad.status, 73, bad.stderr)
  }

  /// Writes the golden sequence as CTC folders: GT/TRA, GT/SEG, RES.
  func writeCTC(_ root: URL, dropResultFrame: Int? = nil, resultTrack: String? = nil) throws -> (
    gt: URL, res: URL
  ) {
    let s = try TrackingMetricsTests.sequence()
    let gt = root.appendingPathComponent("01_GT")
    let res = root.appendingPathComponent("01_RES")
    for d in [gt.appendingPathComponent("TRA"), gt.appendingPathComponent("SEG"), res] {
      try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    }
    func write(_ stack: NDArray, _ frame: Int, _ path: URL) throws {
      let w = try TIFFStackWriter(
        path: path.path, dtype: stack.dtype, frameShape: [stack.shape[1], stack.shape[2]],
        frameCount: 1)
      try w.append(stack.frame(frame).reshaped([stack.shape[1], stack.shape[2], 1]))
      try w.finish()
    }
    for t in 0..<s.gt.shape[0] {
      let n = String(format: "%03d", t)
      try write(s.gt, t, gt.appendingPathComponent("TRA/man_track\(n).tif"))
      if t % 3 == 0 { try write(s.gt, t, gt.appendingPathComponent("SEG/man_seg\(n).tif")) }
      if t != dropResultFrame { try write(s.res, t, res.appendingPathComponent("mask\(n).tif")) }
    }
    try CTCTrackTable.format(s.manTrack).write(
      to: gt.appendingPathComponent("TRA/man_track.txt"), atomically: true, encoding: .utf8)
    try (resultTrack ?? CTCTrackTable.format(s.resTrack)).write(
      to: res.appendingPathComponent("res_track.txt"), atomically: true, encoding: .utf8)
    return (gt, res)
  }

  func testTrackOnCTCFolders() throws {
    try requireTool()
    let root = try TestPaths.temporaryFolder(self)
    let (gt, res) = try writeCTC(root)
    let run = try runTool("dc-metrics", ["track", res.path, "--truth", gt.path, "--quiet"])
    XCTAssertEqual(run.status, 0, run.stderr)
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
    let reference = try XCTUnwrap(
      (loadMetricsJSON("reference_ctc_metrics.json") as? [String: Any])?["golden"] as? [String: Any]
    )
    for key in ["DET", "TRA", "LNK", "AOGM", "BC(0)"] {
      assertClose(jsonDouble(json[key]), jsonDouble(reference[key]), 1e-12, key)
    }
    // SEG on frames 0, 3, 6, 9 only, checked against the library on the same frames.
    let s = try TrackingMetricsTests.sequence()
    let frames = try TrackingMetricsTests.matches(s.gt, s.res)
    let segFrames = try TrackingMetricsTests.matches(s.gt, s.res, frames: [0, 3, 6, 9])
    let e = try TrackingEvaluation(
      frames: frames, segmentationFrames: segFrames, referenceTracks: s.manTrack,
      resultTracks: s.resTrack)
    assertClose(
      jsonDouble(json["SEG"]), e.seg, 1e-12, "SEG (JSON parsing on Linux may lose the last bit)")
  }

  func testTrackOnStacksWithLineages() throws {
    try requireTool()
    let dir = try TestPaths.temporaryFolder(self)
    let s = try TrackingMetricsTests.sequence()
    let gtPath = dir.appendingPathComponent("gt.npy")
    let resPath = dir.appendingPathComponent("res.npy")
    try Data(NPY.encode(s.gt)).write(to: gtPath)
    try Data(NPY.encode(s.res)).write(to: resPath)
    let man = dir.appendingPathComponent("man_track.txt")
    let resTrack = dir.appendingPathComponent("res_track.txt")
    try CTCTrackTable.format(s.manTrack).write(to: man, atomically: true, encoding: .utf8)
    try CTCTrackTable.format(s.resTrack).write(to: resTrack, atomically: true, encoding: .utf8)
    let run = try runTool(
      "dc-metrics",
      [
        "track", resPath.path, "--truth", gtPath.path, "--truth-lineage", man.path,
        "--result-lineage", resTrack.path,
        "--truth-seg", gtPath.path, "--format", "csv", "--quiet",
      ])
    XCTAssertEqual(run.status, 0, run.stderr)
    let lines = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n")
    XCTAssertTrue(lines[0].hasPrefix("DET,SEG,TRA,LNK"))
    XCTAssertTrue(
      lines[1].hasPrefix("0.9927272727272727,0.9837670906234425,0.9877235121430478,"),
      String(lines[1]))
    let missing = try runTool("dc-metrics", ["track", resPath.path, "--truth", gtPath.path])
    XCTAssertEqual(missing.status, 64, missing.stderr)
  }

  func testTrackBadFolders() throws {
    try requireTool()
    let root = try TestPaths.temporaryFolder(self)
    // A result frame missing.
    var (gt, res) = try writeCTC(root.appendingPathComponent("a"), dropResultFrame: 4)
    var run = try runTool("dc-metrics", ["track", res.path, "--truth", gt.path])
    XCTAssertEqual(run.status, 65, run.stderr)
    XCTAssertTrue(run.stderr.contains("9 mask files"), run.stderr)
    // man_track.txt missing.
    (gt, res) = try writeCTC(root.appendingPathComponent("b"))
    try FileManager.default.removeItem(at: gt.appendingPathComponent("TRA/man_track.txt"))
    run = try runTool("dc-metrics", ["track", res.path, "--truth", gt.path])
    XCTAssertEqual(run.status, 66, run.stderr)
    XCTAssertTrue(run.stderr.contains("man_track.txt: no such file"), run.stderr)
    // A lineage naming a label absent from the masks.
    let s = try TrackingMetricsTests.sequence()
    (gt, res) = try writeCTC(
      root.appendingPathComponent("c"), resultTrack: CTCTrackTable.format(s.resTrack) + "42 1 2 0\n"
    )
    run = try runTool(
      "dc-metrics",
      ["track", res.path, "--truth", gt.path, "-o", root.appendingPathComponent("x.json").path])
    XCTAssertEqual(run.status, 65, run.stderr)
    XCTAssertTrue(run.stderr.contains("mask001.tif") && run.stderr.contains("track 42"), run.stderr)
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: root.appendingPathComponent("x.json").path))
    // Not a folder / missing folder.
    run = try runTool(
      "dc-metrics", ["track", root.appendingPathComponent("none").path, "--truth", gt.path])
    XCTAssertEqual(run.status, 66, run.stderr)
  }
}
