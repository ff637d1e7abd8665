import Foundation
import XCTest

/// `bench/ctc_detection_errors.py` finds each kind of detection error of the CTC's DET matching
/// (an object matches a marker when it covers more than half of it): a missed marker (FN), an
/// object on no marker (FP) and an object covering two markers (NS), and refuses a result
/// folder that lacks a frame with one line on stderr. Run with the interop Python (numpy,
/// tifffile).
final class CTCDetectionErrorsTests: XCTestCase {
  func testFindsEachKindOfError() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let python = URL(fileURLWithPath: try interopPython())
    // Two 10×10 frames, reference markers 1 (top left) and 2 (bottom right) in both. Frame 0:
    // object 5 covers marker 1, marker 2 is missed, object 7 lies on no marker. Frame 1:
    // object 9 covers both markers.
    let make = """
      import os, sys, numpy as np, tifffile
      root = sys.argv[1]
      os.makedirs(root + "/GT/TRA"); os.makedirs(root + "/RES")
      gt = np.zeros((10, 10), np.uint16); gt[0:4, 0:4] = 1; gt[6:10, 6:10] = 2
      r0 = np.zeros((10, 10), np.uint16); r0[0:4, 0:4] = 5; r0[0:3, 6:10] = 7
      r1 = np.full((10, 10), 9, np.uint16)
      for t, r in enumerate([r0, r1]):
          tifffile.imwrite(f"{root}/GT/TRA/man_track{t:03d}.tif", gt)
          tifffile.imwrite(f"{root}/RES/mask{t:03d}.tif", r)
      """
    try runPython(make, [folder.path])
    let script = TestPaths.packageRoot.appendingPathComponent("bench/ctc_detection_errors.py").path
    let gt = folder.appendingPathComponent("GT").path
    let res = folder.appendingPathComponent("RES").path
    let run = try runProcess(python, [script, res, gt])
    XCTAssertEqual(run.status, 0, run.stderr)
    let lines = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    for row in [
      "| FN | 2 | 0 (1) | 16 |  |", "| FP | 7 | 0 (1) | 12 |  |", "| NS | 9 | 1 (1) | 100 |  |",
    ] {
      XCTAssertTrue(lines.contains(row), "\(row) not in \(lines)")
    }
    XCTAssertEqual(
      lines.last, "FN 1 (×10), FP 1 (×1), NS 1 (×5): 16 of the AOGM from detection")

    try FileManager.default.removeItem(atPath: res + "/mask001.tif")
    let missing = try runProcess(python, [script, res, gt])
    XCTAssertEqual(missing.status, 1, missing.stderr)
    XCTAssertTrue(missing.stderr.contains("mask001.tif is missing"), missing.stderr)
    XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
  }
}
