import Foundation
import XCTest

@testable import DeepCellKit

/// End-to-end tests of the dc-track executable: outputs, format conversions, bad input.
final class DCTrackToolTests: XCTestCase {
  /// The scrambled fixture movie as an NPY file in `folder`; returns its path and the truth.
  private func writeInput(_ folder: URL) throws -> (String, [[Int]], Int, Int) {
    let (gt, h, w) = try TrackFixtures.groundTruth()
    let scrambled = gt.enumerated().flatMap { TrackFixtures.scrambled($1, seed: UInt64(4000 + $0)) }
    let path = folder.appendingPathComponent("labels.npy").path
    try Data(NPY.encode(NDArray(shape: [gt.count, h, w], values: scrambled.map { UInt16($0) })))
      .write(
        to: URL(fileURLWithPath: path))
    return (path, gt, h, w)
  }

  private func writeNPY(_ array: NDArray, _ url: URL) throws {
    try Data(NPY.encode(array)).write(to: url)
  }

  private func rows(_ path: String) throws -> Set<String> {
    Set(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init))
  }

  func testTracksAndWritesEveryOutputThenConvertsBack() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let (input, gt, h, w) = try writeInput(folder)
    let raw = folder.appendingPathComponent("raw.npy")
    try writeNPY(
      NDArray(
        shape: [gt.count, h, w], values: gt.flatMap { $0 }.map { Float($0 > 0 ? 1000 : 100) }), raw)
    let ctc = folder.appendingPathComponent("RES").path
    let tracked = folder.appendingPathComponent("tracked.tif").path
    let trk = folder.appendingPathComponent("movie.trk").path
    let lineage = folder.appendingPathComponent("lineage.json").path
    let run = try runTool(
      "dc-track",
      [input, "--raw", raw.path, "--ctc", ctc, "-o", tracked, "--trk", trk, "--lineage", lineage])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("18 tracks, 1 divisions"), run.stderr)
    // CTC: 10 masks and 18 tracks; the two daughters name the same parent.
    let masks = try FileManager.default.contentsOfDirectory(atPath: ctc).filter {
      $0.hasPrefix("mask")
    }.sorted()
    XCTAssertEqual(masks, (0..<10).map { String(format: "mask%03d.tif", $0) })
    let table = try TrackTable.parse(
      String(contentsOfFile: ctc + "/res_track.txt", encoding: .utf8), subject: "t")
    XCTAssertEqual(table.rows.count, 18)
    XCTAssertEqual(table.rows.filter { $0.parent != 0 }.count, 2)
    // Relabelled stack: each ground-truth cell has one id.
    let stack = try TIFFStackReader(path: tracked)
    XCTAssertEqual(stack.frameCount, 10)
    XCTAssertEqual(stack.dtype, .uint16)
    var ids = [Int: Set<Int64>]()
    for t in 0..<10 {
      let f = try stack.readFrame(t).integerValues()
      for (p, l) in gt[t].enumerated() where l != 0 { ids[l, default: []].insert(f[p]) }
    }
    XCTAssertTrue(ids.values.allSatisfy { $0.count == 1 })
    // Conversions: CTC → lineage/stack, .trk → CTC give the same tracks back.
    let ctc2 = folder.appendingPathComponent("RES2").path
    let lineage2 = folder.appendingPathComponent("lineage2.json").path
    XCTAssertEqual(try runTool("dc-track", [ctc, "--lineage", lineage2, "--quiet"]).status, 0)
    XCTAssertEqual(
      try Lineage.parse(Array(Data(contentsOf: URL(fileURLWithPath: lineage2))), subject: "2"),
      try Lineage.parse(Array(Data(contentsOf: URL(fileURLWithPath: lineage))), subject: "1"))
    let fromTRK = try runTool("dc-track", [trk, "--ctc", ctc2])
    XCTAssertEqual(fromTRK.status, 0, fromTRK.stderr)
    XCTAssertTrue(fromTRK.stderr.contains("converted"), fromTRK.stderr)
    XCTAssertEqual(try rows(ctc2 + "/res_track.txt"), try rows(ctc + "/res_track.txt"))
    XCTAssertEqual(
      try TIFFStackReader(path: ctc2 + "/mask007.tif").readFrame(0),
      try TIFFStackReader(path: ctc + "/mask007.tif").readFrame(0))
  }

  func testGoldenTRKConvertsToTheGroundTruthCTCTable() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let ctc = folder.appendingPathComponent("RES").path
    let run = try runTool(
      "dc-track",
      [TestPaths.fixture("track/tracking.trk").path, "--ctc", ctc, "--quiet"])
    XCTAssertEqual(run.status, 0, run.stderr)
    let man = try loadFixtureNPY("track/ctc_sequence_man_track.npy").integerValues()
    let expected = Set(
      (0..<(man.count / 4)).map {
        "\(man[4 * $0]) \(man[4 * $0 + 1]) \(man[4 * $0 + 2]) \(man[4 * $0 + 3])"
      })
    XCTAssertEqual(try rows(ctc + "/res_track.txt"), expected)
    let (gt, _, _) = try TrackFixtures.groundTruth()
    XCTAssertEqual(
      try TIFFStackReader(path: ctc + "/mask005.tif").readFrame(0).integerValues().map { Int($0) },
      gt[5])
  }

  /// `--min-track-length 3` removes a cell that flickers for two frames (no lineage) and
  /// keeps the rest, the dividing cell's daughters included.
  func testMinTrackLengthRemovesShortTracksOnly() throws {
    let folder = try TestPaths.temporaryFolder(self)
    var (gt, h, w) = try TrackFixtures.groundTruth()
    for t in 3...4 {  // a 3 × 3 flicker in a free corner
      for y in 0..<3 { for x in 0..<3 where gt[t][y * w + x] == 0 { gt[t][y * w + x] = 99 } }
    }
    let input = folder.appendingPathComponent("labels.npy")
    try writeNPY(
      NDArray(
        shape: [gt.count, h, w],
        values: gt.enumerated().flatMap { TrackFixtures.scrambled($1, seed: UInt64(60 + $0)) }
          .map { UInt16($0) }), input)
    let all = folder.appendingPathComponent("all").path
    let kept = folder.appendingPathComponent("kept").path
    XCTAssertEqual(try runTool("dc-track", [input.path, "--ctc", all, "--quiet"]).status, 0)
    let run = try runTool("dc-track", [input.path, "--ctc", kept, "--min-track-length", "3"])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("18 tracks, 1 divisions"), run.stderr)
    let before = try TrackTable.parse(
      String(contentsOfFile: all + "/res_track.txt", encoding: .utf8), subject: "all")
    let after = try TrackTable.parse(
      String(contentsOfFile: kept + "/res_track.txt", encoding: .utf8), subject: "kept")
    XCTAssertEqual(before.rows.count, 19)
    let short = try XCTUnwrap(before.rows.first { $0.begin == 3 && $0.end == 4 })
    XCTAssertEqual(after.rows, before.rows.filter { $0 != short })
    let mask = try TIFFStackReader(path: kept + "/mask003.tif").readFrame(0)
    XCTAssertFalse(mask.integerValues().contains(Int64(short.label)))
  }

  /// A cell missing for one frame away from the edge: its gap is closed and filled with its
  /// mask moved half-way, so the CTC table has one run for it; with --no-fill-gaps two runs
  /// joined by a parent link and an empty frame.
  func testClosedGapsAreFilledUnlessAsked() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let (h, w) = (40, 60)
    var frames: [[Int]] = []
    for t in 0..<5 {
      var f = [Int](repeating: 0, count: h * w)
      for y in 15..<25 {
        for x in (10 + 2 * t)..<(20 + 2 * t) where t != 2 { f[y * w + x] = 1 }
        for x in 40..<50 { f[y * w + x] = 2 }
      }
      frames.append(f)
    }
    let input = folder.appendingPathComponent("labels.npy")
    try writeNPY(
      NDArray(shape: [5, h, w], values: frames.flatMap { $0 }.map { UInt16($0) }), input)
    let filled = folder.appendingPathComponent("filled").path
    let open = folder.appendingPathComponent("open").path
    XCTAssertEqual(try runTool("dc-track", [input.path, "--ctc", filled, "--quiet"]).status, 0)
    XCTAssertEqual(
      try runTool("dc-track", [input.path, "--ctc", open, "--no-fill-gaps", "--quiet"]).status, 0)
    let rows = try TrackTable.parse(
      String(contentsOfFile: filled + "/res_track.txt", encoding: .utf8), subject: "filled"
    ).rows
    XCTAssertEqual(rows.map { [$0.begin, $0.end, $0.parent] }, [[0, 4, 0], [0, 4, 0]])
    let moving = try XCTUnwrap(
      rows.first { row in
        try! TIFFStackReader(path: filled + "/mask000.tif").readFrame(0).integerValues()[
          20 * w + 12] == Int64(row.label)
      })
    let gapFrame = try TIFFStackReader(path: filled + "/mask002.tif").readFrame(0)
      .integerValues()
    // The mask of frame 1 (columns 12…21) moved by the half-way step to frame 3 (+2 columns).
    for x in 0..<w {
      XCTAssertEqual(gapFrame[20 * w + x] == Int64(moving.label), (14..<24).contains(x), "x \(x)")
    }
    let openRows = try TrackTable.parse(
      String(contentsOfFile: open + "/res_track.txt", encoding: .utf8), subject: "open"
    ).rows
    XCTAssertEqual(openRows.count, 3)
    XCTAssertEqual(openRows.filter { $0.parent != 0 }.count, 1)
  }

  /// Runs dc-track expecting failure with `status`; checks the one-line message and that the
  /// folder holds nothing but `keep`.
  private func assertFails(
    _ arguments: [String], status: Int32, mentions: String, folder: URL, keep: Set<String>,
    line: UInt = #line
  ) throws {
    let run = try runTool("dc-track", arguments)
    XCTAssertEqual(run.status, status, run.stderr, line: line)
    XCTAssertTrue(run.stderr.hasPrefix("dc-track: error: ") || status == 64, run.stderr, line: line)
    XCTAssertTrue(
      run.stderr.contains(mentions), "\(run.stderr) should mention \(mentions)", line: line)
    XCTAssertFalse(run.stderr.contains("Fatal error"), run.stderr, line: line)
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    XCTAssertEqual(left, keep, "partial output left behind", line: line)
  }

  func testBadInputGivesAClearErrorAndNoOutput() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let out = folder.appendingPathComponent("out")
    func o(_ name: String) -> String { out.appendingPathComponent(name).path }
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let outputs = ["--ctc", o("RES"), "-o", o("t.tif"), "--lineage", o("l.json")]
    // Non-integer labels.
    let fractional = folder.appendingPathComponent("fractional.npy")
    try writeNPY(
      NDArray(shape: [2, 4, 4], values: [Float](repeating: 0, count: 31) + [1.5]), fractional)
    try assertFails(
      [fractional.path] + outputs, status: 65, mentions: "whole numbers", folder: out, keep: [])
    // Raw movie of another size.
    let labels = folder.appendingPathComponent("labels.npy")
    try writeNPY(NDArray(shape: [2, 4, 4], values: [UInt16](repeating: 1, count: 32)), labels)
    let raw = folder.appendingPathComponent("raw.npy")
    try writeNPY(NDArray(zeros: [2, 4, 5], dtype: .float32), raw)
    try assertFails(
      [labels.path, "--raw", raw.path] + outputs, status: 65, mentions: "raw movie", folder: out,
      keep: [])
    // Empty movie.
    let empty = folder.appendingPathComponent("empty.npy")
    try writeNPY(NDArray(zeros: [0, 4, 4], dtype: .uint16), empty)
    try assertFails([empty.path] + outputs, status: 65, mentions: "empty", folder: out, keep: [])
    // Corrupt .trk.
    let golden = try Data(contentsOf: TestPaths.fixture("track/tracking.trk"))
    let corrupt = folder.appendingPathComponent("corrupt.trk")
    try golden.prefix(golden.count / 3).write(to: corrupt)
    try assertFails(
      [corrupt.path] + outputs, status: 65, mentions: "corrupt.trk", folder: out, keep: [])
    // CTC masks of different sizes.
    let ctc = folder.appendingPathComponent("CTC")
    try FileManager.default.createDirectory(at: ctc, withIntermediateDirectories: true)
    for (t, width) in [4, 5].enumerated() {
      let writer = try TIFFStackWriter(
        path: ctc.appendingPathComponent("mask00\(t).tif").path, dtype: .uint16,
        frameShape: [3, width, 1], frameCount: 1)
      try writer.append(
        NDArray(shape: [3, width, 1], values: [UInt16](repeating: 1, count: 3 * width)))
      try writer.finish()
    }
    try assertFails(
      [ctc.path] + outputs, status: 65, mentions: "mask001.tif", folder: out, keep: [])
    // A CTC table that disagrees with its masks.
    try "1 0 0 0\n".write(
      to: ctc.appendingPathComponent("res_track.txt"), atomically: true, encoding: .utf8)
    try FileManager.default.removeItem(at: ctc.appendingPathComponent("mask001.tif"))
    let writer = try TIFFStackWriter(
      path: ctc.appendingPathComponent("mask001.tif").path, dtype: .uint16, frameShape: [3, 4, 1],
      frameCount: 1)
    try writer.append(NDArray(shape: [3, 4, 1], values: [UInt16](repeating: 2, count: 12)))
    try writer.finish()
    try assertFails([ctc.path] + outputs, status: 65, mentions: "label 2", folder: out, keep: [])
    // No output, missing input, .trk without raw, bad parameter.
    try assertFails([labels.path], status: 64, mentions: "nothing to write", folder: out, keep: [])
    try assertFails(
      [folder.appendingPathComponent("missing.tif").path] + outputs, status: 66,
      mentions: "missing.tif", folder: out, keep: [])
    try assertFails(
      [labels.path, "--trk", o("m.trk")], status: 64, mentions: "--raw", folder: out, keep: [])
    try assertFails(
      [labels.path, "--max-distance", "-3"] + outputs, status: 64, mentions: "--max-distance",
      folder: out, keep: [])
    // And the good input works into the same folder.
    XCTAssertEqual(try runTool("dc-track", [labels.path, "--quiet"] + outputs).status, 0)
    XCTAssertEqual(
      Set(try FileManager.default.contentsOfDirectory(atPath: out.path)),
      ["RES", "t.tif", "l.json"])
  }

  func testNPZInputUsesYAndItsXAsRaw() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let (gt, h, w) = try TrackFixtures.groundTruth()
    let frames = Array(gt.prefix(4))
    let y = NDArray(shape: [4, h, w, 1], values: frames.flatMap { $0 }.map { Int32($0) })
    let x = NDArray(
      shape: [4, h, w, 1], values: frames.flatMap { $0 }.map { Float($0 > 0 ? 900 : 50) })
    let npz = folder.appendingPathComponent("data.npz").path
    try writeBundle(ArrayBundle([("X", x), ("y", y)]), to: OutputFile(path: npz))
    let trk = folder.appendingPathComponent("m.trk").path
    let run = try runTool("dc-track", [npz, "--trk", trk])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stderr.contains("4 frames"), run.stderr)
    let file = try TRKFile(path: trk)
    XCTAssertEqual(try file.raw.readFrame(2), x.frame(2))
    XCTAssertEqual(file.lineage.entries.count, 16)
  }

  /// deepcell-tracking itself (the reference env, `.oracle`) loads the .trk dc-track writes,
  /// finds its lineage valid, and converts it to the same CTC table. `.ci/run` builds
  /// `.oracle` with `../shared/oracle/setup.sh`; elsewhere the test skips without it.
  func testTRKLoadsInDeepcellTracking() throws {
    let python = TestPaths.packageRoot.appendingPathComponent(".oracle/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
      try TestEnvironment.missing(
        "the reference Python env (.oracle)", remedy: "run ../shared/oracle/setup.sh")
    }
    let folder = try TestPaths.temporaryFolder(self)
    let (input, gt, h, w) = try writeInput(folder)
    let raw = folder.appendingPathComponent("raw.npy")
    try writeNPY(
      NDArray(shape: [gt.count, h, w], values: gt.flatMap { $0 }.map { Float($0) }), raw)
    let trk = folder.appendingPathComponent("m.trk").path
    let ctc = folder.appendingPathComponent("RES").path
    XCTAssertEqual(
      try runTool("dc-track", [input, "--raw", raw.path, "--trk", trk, "--ctc", ctc, "--quiet"])
        .status, 0)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [
      "-c",
      """
      import sys
      from deepcell_tracking.trk_io import load_trks
      from deepcell_tracking.utils import is_valid_lineage
      from deepcell_tracking.isbi_utils import trk_to_isbi
      d = load_trks(sys.argv[1])
      assert is_valid_lineage(d['y'][..., 0], d['lineages'][0])
      for row in sorted(trk_to_isbi(d['lineages'][0]).to_numpy().tolist()):
          print(*row)
      """, trk,
    ]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    XCTAssertEqual(
      Set(text.split(separator: "\n").map(String.init)), try rows(ctc + "/res_track.txt"))
  }
}
