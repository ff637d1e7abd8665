import Foundation
import XCTest

/// `models/paired_bootstrap.py` reports the pooled F1 and AP@0.5 difference of two folders of
/// per-image dc-metrics reports with a paired bootstrap interval over the images, notes reports
/// without a pair, and refuses folders with none in common with one line on stderr and a
/// resample count or level out of range with argparse's usage error.
final class PairedBootstrapTests: XCTestCase {
  /// Writes a report per image: `correct` matches at IoU 0.6 and as many at 0.5, of 10
  /// annotated and 10 predicted nuclei.
  func reports(_ folder: URL, _ correct: [Int]) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (k, c) in correct.enumerated() {
      let json = """
        {"summary": {"correct_detections": \(c), "n_pred": 10, "n_true": 10,
         "f1_0.50": \(Double(c) / 10), "f1_0.90": 0.0}}
        """
      try json.write(
        to: folder.appendingPathComponent("image\(k).json"), atomically: true, encoding: .utf8)
    }
  }

  func testDifferenceIntervalAndRefusal() throws {
    let root = try TestPaths.temporaryFolder(self)
    let python = URL(fileURLWithPath: try interopPython())
    let script = TestPaths.packageRoot.appendingPathComponent("models/paired_bootstrap.py").path
    let (a, b, same) = (
      root.appendingPathComponent("a"), root.appendingPathComponent("b"),
      root.appendingPathComponent("same")
    )
    try reports(a, [4, 10, 8])
    try reports(same, [4, 10, 8])
    // B finds 2 more nuclei in image 0: pooled F1 22/30 → 24/30, AP@0.5 22/38 → 24/36. Paired,
    // no resample has B behind, and one without image 0 (8/27 of them) ties; resampling A and
    // B apart would put B behind whenever A drew image 1 more often.
    try reports(b, [6, 10, 8])
    let run = try runProcess(python, [script, a.path, b.path, "--resamples", "2000"])
    XCTAssertEqual(run.status, 0, run.stderr)
    let lines = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.first, "3 images, 2000 resamples, 90% interval of B − A")
    XCTAssertTrue(lines[1].hasPrefix("F1: +0.0667 [+0.0000, +0."), lines[1])
    XCTAssertTrue(lines[2].hasPrefix("AP@0.5: +0.0877 [+0.0000, +0."), lines[2])
    let ahead = Int(lines[1].split(separator: " ").last!.dropLast()) ?? -1
    XCTAssertTrue((60...80).contains(ahead), lines[1])  // 1 − 8/27 ≈ 70 %

    let tie = try runProcess(python, [script, a.path, same.path, "--resamples", "100"])
    XCTAssertEqual(tie.status, 0, tie.stderr)
    XCTAssertTrue(
      String(decoding: tie.stdout, as: UTF8.self).contains(
        "F1: +0.0000 [+0.0000, +0.0000], B ahead in 0%"))

    // A report without a pair is left out, and said so.
    try reports(root.appendingPathComponent("more"), [6, 10, 8, 5])
    let more = try runProcess(
      python, [script, a.path, root.appendingPathComponent("more").path, "--resamples", "100"])
    XCTAssertEqual(more.status, 0, more.stderr)
    XCTAssertTrue(more.stderr.contains("1 report(s) of"), more.stderr)
    XCTAssertTrue(String(decoding: more.stdout, as: UTF8.self).contains("F1: +0.0667"))

    for flags in [["--resamples", "0"], ["--level", "1"]] {
      let refused = try runProcess(python, [script, a.path, b.path] + flags)
      XCTAssertEqual(refused.status, 2, refused.stderr)
      XCTAssertTrue(refused.stderr.contains("--resamples must be ≥ 1"), refused.stderr)
    }

    let empty = root.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let none = try runProcess(python, [script, a.path, empty.path])
    XCTAssertEqual(none.status, 1, none.stderr)
    XCTAssertTrue(none.stderr.contains("no image report in common"), none.stderr)
    XCTAssertEqual(none.stderr.split(separator: "\n").count, 1, none.stderr)
  }
}
