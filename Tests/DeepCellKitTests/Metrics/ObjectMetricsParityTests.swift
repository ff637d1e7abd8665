import Foundation
import XCTest

@testable import DeepCellKit

/// Parity with deepcell-toolbox 0.12.1 `Metrics.calc_object_stats` / `summarize_object_metrics_df`
/// on the golden data and on hand-made corner cases (reference outputs at full precision
/// produced by Tests/Fixtures/metrics/make_fixtures.py).
final class ObjectMetricsParityTests: XCTestCase {
  static var reference: [String: Any] = [:]

  override class func setUp() {
    reference = (try? loadMetricsJSON("reference_object_metrics.json")) as? [String: Any] ?? [:]
  }

  func evaluate(_ truth: String, _ pred: String, parameters: ObjectMetrics.Parameters = .init())
    throws
    -> SegmentationEvaluation
  {
    try SegmentationEvaluation(
      truth: loadFixtureNPY("metrics/\(truth)"), prediction: loadFixtureNPY("metrics/\(pred)"),
      parameters: parameters)
  }

  /// Per-image records to 1e-9 (counts exact); the summary's rounded rates to 1e-9; the
  /// reference's `seg` compared with our `seg_deepcell`.
  func check(
    _ evaluation: SegmentationEvaluation, _ key: String, file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let ref = try XCTUnwrap(Self.reference[key] as? [String: Any], file: file, line: line)
    let perImage = try XCTUnwrap(ref["per_image"] as? [[String: Any]])
    XCTAssertEqual(perImage.count, evaluation.frames.count, file: file, line: line)
    for (i, record) in perImage.enumerated() {
      assertRecord(
        evaluation.frames[i].record, record, tolerance: 1e-9, rename: ["seg": "seg_deepcell"],
        context: "\(key) image \(i)", file: file, line: line)
    }
    let summary = try XCTUnwrap(ref["summary"] as? [String: Any])
    assertRecord(
      evaluation.summary.record, summary, tolerance: 1e-9, rename: ["seg": "seg_deepcell"],
      context: "\(key) summary", file: file, line: line)
  }

  func testGoldenPerturbed() throws {
    try check(evaluate("golden_y_true.npy", "golden_y_pred.npy"), "perturbed")
  }

  func testGoldenDeepWatershedVsTruth() throws {
    try check(
      evaluate("golden_y_true.npy", "golden_deep_watershed_labels.npy"), "deep_watershed_vs_truth")
  }

  func testSpecSynthetic() throws {
    try check(evaluate("spec_metrics_true.npy", "spec_metrics_pred.npy"), "spec_synthetic")
  }

  func testEdgeCases() throws {
    let e = try evaluate("edge_y_true.npy", "edge_y_pred.npy")
    try check(e, "edge_cases")
    // The quirks the spec marks, spelled out.
    XCTAssertEqual(e.frames[0].catastrophe, 1)
    XCTAssertEqual(e.frames[0].correctDetections, 2, "a catastrophe counts as a correct detection")
    XCTAssertEqual(e.frames[5].missedDetections, 2, "a lone pair with IoU 0.5 is missed + gained")
    XCTAssertEqual(e.frames[5].gainedDetections, 1)
    XCTAssertTrue(e.relabelled)
  }

  func testEdgeCasesForceEventLinks() throws {
    try check(
      evaluate("edge_y_true.npy", "edge_y_pred.npy", parameters: .init(forceEventLinks: true)),
      "edge_cases_force_event_links")
  }

  func testEdgeCasesOtherCutoffs() throws {
    try check(
      evaluate("edge_y_true.npy", "edge_y_pred.npy", parameters: .init(cutoff1: 0.3, cutoff2: 0.2)),
      "edge_cases_cutoff1_0.3")
  }

  /// Small objects swallowed by a big one with 55 % or exactly 60 % of their pixels inside
  /// (the modified-IoU rule `max(trueInPred, predInTrue) > 0.5`, metrics.md §2): without the
  /// rule their IoU (< 0.1 = cutoff2) gives no error-graph edge. Frame 0 is a merge, 1 a
  /// split, 4 a merge of two 3/5 objects; 2 and 3 are a match plus a miss or gain.
  func testSwallowedBetweenHalfAndSixTenths() throws {
    let e = try evaluate("swallowed_y_true.npy", "swallowed_y_pred.npy")
    try check(e, "swallowed")
    XCTAssertEqual(e.frames.map(\.merge), [1, 0, 0, 0, 1])
    XCTAssertEqual(e.frames.map(\.split), [0, 1, 0, 0, 0])
    XCTAssertEqual(e.frames.map(\.missedDetections), [0, 0, 1, 0, 0])
    XCTAssertEqual(e.frames.map(\.gainedDetections), [0, 0, 0, 1, 0])
  }

  /// The same frames with force_event_links: the big pair that swallowed 55 % of a small
  /// truth (frame 2, `trueInPred > 0.5`) or of a small prediction (frame 3,
  /// `predInTrue > 0.5`) loses its match, so the event is a merge or a split.
  func testSwallowedForceEventLinks() throws {
    let e = try evaluate(
      "swallowed_y_true.npy", "swallowed_y_pred.npy", parameters: .init(forceEventLinks: true))
    try check(e, "swallowed_force_event_links")
    XCTAssertEqual(e.frames.map(\.merge), [1, 0, 1, 0, 1])
    XCTAssertEqual(e.frames.map(\.split), [0, 1, 0, 1, 0])
    XCTAssertEqual(e.frames.map(\.correctDetections), [0, 0, 0, 0, 0])
  }

  func testRandomStack() throws {
    try check(evaluate("random_y_true.npy", "random_y_pred.npy"), "random")
    try check(
      evaluate("random_y_true.npy", "random_y_pred.npy", parameters: .init(forceEventLinks: true)),
      "random_force_event_links")
  }

  /// The shared golden JSON itself (rounded to 6 digits per image, 4 in the summary).
  func testSharedGoldenJSON() throws {
    let url = TestPaths.fixture("metrics/metrics_stats.json")
    let golden = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let perturbed = try XCTUnwrap(golden["perturbed"] as? [String: Any])
    let e = try evaluate("golden_y_true.npy", "golden_y_pred.npy")
    for (i, record) in (perturbed["per_image"] as! [[String: Any]]).enumerated() {
      assertRecord(
        e.frames[i].record, record, tolerance: 5.1e-7, rename: ["seg": "seg_deepcell"],
        context: "image \(i)")
    }
    assertRecord(
      e.summary.record, perturbed["summary"] as! [String: Any], tolerance: 1e-12,
      rename: ["seg": "seg_deepcell"],
      context: "perturbed summary")
    let dw = try evaluate("golden_y_true.npy", "golden_deep_watershed_labels.npy")
    let dwSummary =
      (golden["deep_watershed_vs_truth"] as! [String: Any])["summary"] as! [String: Any]
    assertRecord(
      dw.summary.record, dwSummary, tolerance: 1e-12, rename: ["seg": "seg_deepcell"],
      context: "dw summary")
  }

  /// Pixel statistics (`PixelMetrics.to_dict()`) per image.
  func testPixelMetrics() throws {
    for (key, t, p) in [
      ("pixel_golden", "golden_y_true.npy", "golden_y_pred.npy"),
      ("pixel_edge", "edge_y_true.npy", "edge_y_pred.npy"),
    ] {
      let e = try evaluate(t, p)
      let refs = try XCTUnwrap(Self.reference[key] as? [[String: Any]])
      for (i, r) in refs.enumerated() {
        assertRecord(
          e.frames[i].pixels.record.map { ($0.0, .rate($0.1)) }, r, tolerance: 1e-12,
          context: "\(key) \(i)")
      }
    }
  }

  /// CTC SEG per frame equals a direct computation from the definition.
  func testCTCSegOfFrame() throws {
    // truth 1: 4x4 block; prediction covers 10 of its 16 pixels plus 2 outside.
    var t = [Int64](repeating: 0, count: 64)
    var p = [Int64](repeating: 0, count: 64)
    for r in 0..<4 { for c in 0..<4 { t[r * 8 + c] = 1 } }
    for r in 0..<3 { for c in 0..<4 { p[r * 8 + c] = 5 } }
    t[7 * 8 + 7] = 2  // missed one-pixel truth → J = 0
    let o = LabelOverlap(
      truth: try IndexedLabels(labels: t, shape: [8, 8]),
      prediction: try IndexedLabels(labels: p, shape: [8, 8]))
    let m = try ObjectMetrics(o)
    XCTAssertEqual(m.seg, (12.0 / 16.0 + 0) / 2, accuracy: 1e-15)
  }

  /// CTC SEG per frame against py-ctcmetrics' own matching (`match`: a truth object is
  /// matched by the prediction covering more than half of it; edge frame 5 covers exactly
  /// half, which is no match), as the number of truth objects and the sum of matched IoUs.
  func testCTCSegAgainstPyCTCMetrics() throws {
    let refs = try XCTUnwrap(Self.reference["ctc_seg"] as? [String: [[String: Any]]])
    for (key, t, p) in [
      ("edge_cases", "edge_y_true.npy", "edge_y_pred.npy"),
      ("swallowed", "swallowed_y_true.npy", "swallowed_y_pred.npy"),
      ("random", "random_y_true.npy", "random_y_pred.npy"),
    ] {
      let e = try evaluate(t, p)
      let frames = try XCTUnwrap(refs[key])
      XCTAssertEqual(frames.count, e.frames.count, key)
      for (i, r) in frames.enumerated() {
        XCTAssertEqual(e.frames[i].nTrue, r["n_ref"] as? Int, "\(key) frame \(i)")
        XCTAssertEqual(
          e.frames[i].segSum, try XCTUnwrap(r["iou_sum"] as? Double), accuracy: 1e-12,
          "\(key) frame \(i)")
      }
    }
  }

  /// StarDist-style matching counts at IoU 0.50 … 0.95.
  func testThresholdMatchingAgainstStarDistFormula() throws {
    let refs = try XCTUnwrap(Self.reference["stardist_matching"] as? [String: Any])
    for (key, t, p) in [
      ("perturbed", "golden_y_true.npy", "golden_y_pred.npy"),
      ("edge_cases", "edge_y_true.npy", "edge_y_pred.npy"),
      ("random", "random_y_true.npy", "random_y_pred.npy"),
    ] {
      let e = try evaluate(t, p)
      let frames = try XCTUnwrap(refs[key] as? [[[String: Any]]])
      for (f, thresholds) in frames.enumerated() {
        for (k, r) in thresholds.enumerated() {
          let m = e.matching[f][k]
          XCTAssertEqual(m.truePositives, r["tp"] as? Int, "\(key) frame \(f) τ \(m.threshold)")
          XCTAssertEqual(m.falsePositives, r["fp"] as? Int)
          XCTAssertEqual(m.falseNegatives, r["fn"] as? Int)
          assertClose(
            m.matchedIoUSum, jsonDouble(r["sum_matched_iou"]), 1e-9, "\(key) \(f) iou sum")
        }
      }
    }
  }

  func testThreadCountDoesNotChangeResults() throws {
    let t = try loadFixtureNPY("metrics/random_y_true.npy")
    let p = try loadFixtureNPY("metrics/random_y_pred.npy")
    let one = try SegmentationEvaluation(truth: t, prediction: p, threads: 1)
    let four = try SegmentationEvaluation(truth: t, prediction: p, threads: 4)
    XCTAssertEqual(one.summary.record.map(\.1), four.summary.record.map(\.1))
  }

  func testBadInput() throws {
    let t = try loadFixtureNPY("metrics/edge_y_true.npy")
    let p = try loadFixtureNPY("metrics/spec_metrics_true.npy")
    XCTAssertThrowsError(try SegmentationEvaluation(truth: t, prediction: p)) { error in
      XCTAssertEqual((error as? DeepCellError)?.kind, .badData)
    }
    let floats = NDArray(shape: [1, 2, 2], values: [Float(0), 1.5, 2, 0])
    let ints = NDArray(shape: [1, 2, 2], values: [Int32(0), 1, 2, 0])
    XCTAssertThrowsError(
      try SegmentationEvaluation(truth: ints, prediction: floats, predictionName: "p.tif")
    ) { error in
      XCTAssertTrue("\(error)".contains("p.tif: frame 0"), "\(error)")
    }
    let wholeFloats = NDArray(shape: [1, 2, 2], values: [Float(0), 1, 2, 0])
    XCTAssertNoThrow(try SegmentationEvaluation(truth: ints, prediction: wholeFloats))
    let negative = NDArray(shape: [1, 2, 2], values: [Int32(0), -1, 2, 0])
    XCTAssertThrowsError(try SegmentationEvaluation(truth: negative, prediction: ints))
    let twoChannels = NDArray(shape: [1, 2, 1, 2], values: [Int32(0), 1, 2, 0])
    XCTAssertThrowsError(try SegmentationEvaluation(truth: twoChannels, prediction: twoChannels))
  }

  func testPythonRound() {
    XCTAssertEqual(pythonRound(0.70125, digits: 4), 0.7013)  // binary value is above the tie
    XCTAssertEqual(pythonRound(0.00015, digits: 4), 0.0001)  // 0.000149999…
    XCTAssertEqual(pythonRound(0.657894736842, digits: 4), 0.6579)
    XCTAssertEqual(pythonRound(2.5, digits: 0), 2.0)
    XCTAssertTrue(pythonRound(.nan, digits: 4).isNaN)
  }
}

/// `Metrics.calc_pixel_stats` on a 3-channel semantic map.
final class SemanticPixelStatisticsTests: XCTestCase {
  func testAgainstReference() throws {
    let reference = try XCTUnwrap(
      loadMetricsJSON("reference_object_metrics.json") as? [String: Any])
    let records = try XCTUnwrap(reference["pixel_stats_semantic"] as? [[String: Any]])
    let s = try SemanticPixelStatistics(
      truth: loadFixtureNPY("metrics/semantic_true.npy"),
      prediction: loadFixtureNPY("metrics/semantic_pred.npy"))
    for r in records {
      let name = r["name"] as! String
      if name == "confusion_matrix" {
        XCTAssertEqual(s.confusion, r["value"] as? [[Int]])
        continue
      }
      let values = s.channels.map { m in m.record.first { $0.0 == name }!.1 }
      if let channel = r["feature"] as? Int {
        assertClose(values[channel], jsonDouble(r["value"]), 1e-12, "\(name) channel \(channel)")
      } else {
        assertClose(
          values.reduce(0, +) / Double(values.count), jsonDouble(r["value"]), 1e-12,
          "\(name) average")
      }
    }
  }
}
