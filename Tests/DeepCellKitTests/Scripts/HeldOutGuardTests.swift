import Foundation
import XCTest

/// The guards of the evaluation scripts in `models/` and `bench/` (models/tune.py): scripts
/// that choose or check settings refuse held-out ids (`training_side`), and a measurement on
/// the split (`bench/diameter_auto.py --held-out`) refuses anything else (`held_out_side`).
/// Both exit with one line on stderr before reading an image or writing anything.
final class HeldOutGuardTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = try TestPaths.temporaryFolder(self)
  }

  /// A labels table naming one held-out image and one training image (the paths are never
  /// opened), and id lists: held-out only, training only, both, none.
  private func lists() throws -> (
    tsv: String, held: String, training: String, both: String, empty: String
  ) {
    let heldOut = try String(
      contentsOf: TestPaths.packageRoot.appendingPathComponent("models/held-out.txt"),
      encoding: .utf8
    ).split(separator: "\n").first.map(String.init)
    let held = try XCTUnwrap(heldOut)
    let training = "0000000000000000000000000000000000000000000000000000000000000000"
    func write(_ name: String, _ text: String) throws -> String {
      let url = folder.appendingPathComponent(name)
      try text.write(to: url, atomically: true, encoding: .utf8)
      return url.path
    }
    return (
      try write(
        "labels.tsv",
        "\(held)\t/nonexistent/\(held).tif\n\(training)\t/nonexistent/\(training).tif\n"),
      try write("held.txt", held + "\n"), try write("training.txt", training + "\n"),
      try write("both.txt", "\(training)\n\(held)\n"), try write("empty.txt", "")
    )
  }

  private func guardResult(_ function: String, _ tsv: String, _ ids: String) throws -> ToolRun {
    let script = """
      import sys
      sys.path.insert(0, sys.argv[1])
      import tune
      paths, ids = getattr(tune, sys.argv[2])(sys.argv[3], sys.argv[4])
      print(len(paths), ",".join(i[:4] for i in ids))
      """
    return try runProcess(
      URL(fileURLWithPath: try interopPython()),
      [
        "-c", script, TestPaths.packageRoot.appendingPathComponent("models").path, function, tsv,
        ids,
      ])
  }

  /// `function` of models/tune.py accepts `accepted` (printing both paths and the ids' first
  /// four characters, `expected`) and refuses each of `refused` with one line naming `message`.
  private func checkGuard(
    _ function: String, tsv: String, accepts accepted: String, printing expected: String,
    refuses refused: [String], message: String, line: UInt = #line
  ) throws {
    let ok = try guardResult(function, tsv, accepted)
    XCTAssertEqual(ok.status, 0, ok.stderr, line: line)
    XCTAssertEqual(String(decoding: ok.stdout, as: UTF8.self), expected, line: line)
    for ids in refused {
      let run = try guardResult(function, tsv, ids)
      XCTAssertEqual(run.status, 1, run.stderr, line: line)
      XCTAssertTrue(run.stderr.contains(message), run.stderr, line: line)
      XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr, line: line)
    }
  }

  func testTrainingSideRefusesHeldOutIds() throws {
    let l = try lists()
    try checkGuard(
      "training_side", tsv: l.tsv, accepts: l.training, printing: "2 0000\n",
      refuses: [l.held, l.both], message: "lists held-out ids (1)")
  }

  func testHeldOutSideRefusesEverythingElse() throws {
    let l = try lists()
    let first = try String(contentsOfFile: l.held, encoding: .utf8).prefix(4)
    try checkGuard(
      "held_out_side", tsv: l.tsv, accepts: l.held, printing: "2 \(first)\n",
      refuses: [l.training, l.both, l.empty], message: "must list only held-out ids")
  }

  /// `bench/diameter_auto.py` picks the guard by `--held-out` and stops before writing OUT.
  func testDiameterBenchChoosesTheGuardByItsFlag() throws {
    let l = try lists()
    let script = TestPaths.packageRoot.appendingPathComponent("bench/diameter_auto.py").path
    let out = folder.appendingPathComponent("out").path
    for (ids, flags, message) in [
      (l.held, [String](), "lists held-out ids"),
      (l.training, ["--held-out"], "must list only held-out ids"),
    ] {
      let run = try runProcess(
        URL(fileURLWithPath: try interopPython()), [script, l.tsv, ids, out] + flags)
      XCTAssertEqual(run.status, 1, run.stderr)
      XCTAssertTrue(run.stderr.contains(message), run.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
  }
}
