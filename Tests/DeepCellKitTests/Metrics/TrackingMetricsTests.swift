import Foundation
import XCTest

@testable import DeepCellKit

/// CTC measures against py-ctcmetrics 1.3.3 on the golden synthetic sequence
/// (reference_ctc_metrics.json from make_fixtures.py; ctc_metrics.json in ../shared).
final class TrackingMetricsTests: XCTestCase {
  /// The golden sequence's frames: (gt, res) stacks of (10, 256, 256) uint16.
  static func sequence() throws -> (
    gt: NDArray, res: NDArray, manTrack: [TrackRecord], resTrack: [TrackRecord]
  ) {
    func stack(_ name: String) throws -> NDArray {
      let a = try loadFixtureNPY("metrics/ctc_\(name)_0.npy")
      let b = try loadFixtureNPY("metrics/ctc_\(name)_1.npy")
      return NDArray(
        shape: [a.shape[0] + b.shape[0], a.shape[1], a.shape[2]], dtype: a.dtype,
        bytes: a.bytes + b.bytes)
    }
    return (
      try stack("gt"), try stack("res"),
      try CTCTrackTable.records(loadFixtureNPY("metrics/ctc_man_track.npy"), subject: "man_track"),
      try CTCTrackTable.records(loadFixtureNPY("metrics/ctc_res_track.npy"), subject: "res_track")
    )
  }

  static func matches(_ gt: NDArray, _ res: NDArray, frames: [Int]? = nil) throws -> [CTCFrameMatch]
  {
    let shape = [gt.shape[1], gt.shape[2]]
    return try (frames ?? Array(0..<gt.shape[0])).map {
      CTCFrameMatch(
        reference: try IndexedLabels(stack: gt, frame: $0, imageShape: shape, subject: "gt"),
        result: try IndexedLabels(stack: res, frame: $0, imageShape: shape, subject: "res"))
    }
  }

  func reference(_ key: String) throws -> [String: Any] {
    let all = try XCTUnwrap(loadMetricsJSON("reference_ctc_metrics.json") as? [String: Any])
    return try XCTUnwrap(all[key] as? [String: Any])
  }

  func check(_ e: TrackingEvaluation, _ ref: [String: Any], context: String) {
    var expected = ref
    expected["BC(1)"] = nil
    expected["tp_div(1)"] = nil
    expected["fp_div(1)"] = nil
    expected["fn_div(1)"] = nil
    assertRecord(e.record, expected, tolerance: 1e-12, context: context)
  }

  func testGoldenSequence() throws {
    let s = try Self.sequence()
    let frames = try Self.matches(s.gt, s.res)
    let e = try TrackingEvaluation(
      frames: frames, segmentationFrames: frames, referenceTracks: s.manTrack,
      resultTracks: s.resTrack)
    check(e, try reference("golden"), context: "golden")
    let e1 = try TrackingEvaluation(
      frames: frames, segmentationFrames: frames, referenceTracks: s.manTrack,
      resultTracks: s.resTrack,
      divisionTolerance: 1)
    let r = try reference("golden")
    XCTAssertEqual(e1.divisions.falseNegatives, r["fn_div(1)"] as? Int)
    assertClose(e1.divisions.f1, jsonDouble(r["BC(1)"]), 1e-12, "BC(1)")
  }

  func testSegOnSomeFrames() throws {
    let s = try Self.sequence()
    let frames = try Self.matches(s.gt, s.res)
    let segFrames = try Self.matches(s.gt, s.res, frames: [1, 4, 7])
    let e = try TrackingEvaluation(
      frames: frames, segmentationFrames: segFrames, referenceTracks: s.manTrack,
      resultTracks: s.resTrack)
    check(e, try reference("golden_seg_frames_1_4_7"), context: "seg 1,4,7")
  }

  func testTruthAgainstItself() throws {
    let s = try Self.sequence()
    let frames = try Self.matches(s.gt, s.gt)
    let e = try TrackingEvaluation(
      frames: frames, segmentationFrames: frames, referenceTracks: s.manTrack,
      resultTracks: s.manTrack)
    check(e, try reference("truth_vs_itself"), context: "truth vs itself")
    XCTAssertEqual(e.divisions.f1, 1)
  }

  /// The rounded numbers in ../shared/golden/deepcell-toolbox/ctc_metrics.json (copied to
  /// Tests/Fixtures/metrics by scripts/copy-golden-fixtures.sh).
  func testSharedGoldenJSON() throws {
    let url = TestPaths.fixture("metrics/ctc_metrics.json")
    let golden = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let results = try XCTUnwrap(golden["results"] as? [String: Any])
    let s = try Self.sequence()
    let frames = try Self.matches(s.gt, s.res)
    let e = try TrackingEvaluation(
      frames: frames, segmentationFrames: frames, referenceTracks: s.manTrack,
      resultTracks: s.resTrack)
    assertRecord(
      e.record, results["py-ctcmetrics"] as! [String: Any], tolerance: 5e-7,
      context: "py-ctcmetrics")
    let more = results["py-ctcmetrics_more"] as! [String: Any]
    assertClose(e.lnk, jsonDouble(more["LNK"]), 5e-7, "LNK")
    assertClose(e.divisions.f1, jsonDouble(more["BC(0)"]), 5e-7, "BC(0)")
    let traccuracy = (results["traccuracy"] as! [String: Any])["CTCMetrics"] as! [String: Any]
    XCTAssertEqual(e.operations.aogm, jsonDouble(traccuracy["AOGM"]))
  }

  func testLineageNamingAbsentLabel() throws {
    let s = try Self.sequence()
    let frames = try Self.matches(s.gt, s.res)
    var bad = s.resTrack
    bad.append(TrackRecord(label: 99, begin: 2, end: 3, parent: 0))
    XCTAssertThrowsError(
      try TrackingEvaluation(
        frames: frames, segmentationFrames: nil, referenceTracks: s.manTrack, resultTracks: bad,
        resultMaskName: { "RES/mask\($0).tif" })
    ) { error in
      let e = error as? DeepCellError
      XCTAssertEqual(e?.kind, .badData)
      XCTAssertEqual(e?.subject, "RES/mask2.tif")
      XCTAssertTrue(e?.reason.contains("track 99") ?? false, "\(String(describing: e))")
    }
    // Reference lineage with a parent that is absent from its masks.
    var badRef = s.manTrack
    badRef[0].end = 7
    XCTAssertThrowsError(
      try TrackingEvaluation(
        frames: frames, segmentationFrames: nil, referenceTracks: badRef, resultTracks: s.resTrack)
    ) { error in
      XCTAssertEqual((error as? DeepCellError)?.subject, "man_track.txt")
    }
    // A result label that the lineage does not list.
    var missing = s.resTrack
    missing.removeAll { $0.label == 20 }
    XCTAssertThrowsError(
      try TrackingEvaluation(
        frames: frames, segmentationFrames: nil, referenceTracks: s.manTrack, resultTracks: missing)
    ) { error in
      XCTAssertTrue("\(error)".contains("label 20"), "\(error)")
    }
  }

  func testTrackTableParsing() throws {
    let t = try CTCTrackTable.parse("1 0 4 0\n2\t5 9\t1\n\n", subject: "x.txt")
    XCTAssertEqual(
      t,
      [
        TrackRecord(label: 1, begin: 0, end: 4, parent: 0),
        TrackRecord(label: 2, begin: 5, end: 9, parent: 1),
      ])
    XCTAssertThrowsError(try CTCTrackTable.parse("1 0 4\n", subject: "x.txt")) { error in
      XCTAssertEqual("\(error)", "x.txt: line 1: expected four integers `L B E P`, got \"1 0 4\"")
    }
  }
}
