import XCTest

@testable import DeepCellKit

/// traccuracy's division counts (frame buffer 0) on a hand-made pair of lineages.
final class GraphDivisionMetricsTests: XCTestCase {
  func testTruePositiveFalsePositiveFalseNegativeAndWrongChild() {
    // Reference: 1 → {2, 3} (TP), 4 undivided, 5 → {6, 7} (missed), 8 → {9, 20} (wrong child).
    let reference = [
      TrackRecord(label: 1, begin: 0, end: 1, parent: 0),
      TrackRecord(label: 2, begin: 2, end: 3, parent: 1),
      TrackRecord(label: 3, begin: 2, end: 3, parent: 1),
      TrackRecord(label: 4, begin: 0, end: 3, parent: 0),
      TrackRecord(label: 5, begin: 0, end: 1, parent: 0),
      TrackRecord(label: 6, begin: 2, end: 3, parent: 5),
      TrackRecord(label: 7, begin: 2, end: 3, parent: 5),
      TrackRecord(label: 8, begin: 0, end: 1, parent: 0),
      TrackRecord(label: 9, begin: 2, end: 3, parent: 8),
      TrackRecord(label: 20, begin: 2, end: 3, parent: 8),
    ]
    // Result: 10 → {11, 12} matches 1 → {2, 3}; 14 → {15, 16} splits the undivided 4 (16 is
    // a false object); 17 follows 5 then 6 without dividing; 30 → {31, 32} with 32 false and
    // 20 found as 33 without a parent.
    let result = [
      TrackRecord(label: 10, begin: 0, end: 1, parent: 0),
      TrackRecord(label: 11, begin: 2, end: 3, parent: 10),
      TrackRecord(label: 12, begin: 2, end: 3, parent: 10),
      TrackRecord(label: 14, begin: 0, end: 1, parent: 0),
      TrackRecord(label: 15, begin: 2, end: 3, parent: 14),
      TrackRecord(label: 16, begin: 2, end: 3, parent: 14),
      TrackRecord(label: 17, begin: 0, end: 3, parent: 0),
      TrackRecord(label: 30, begin: 0, end: 1, parent: 0),
      TrackRecord(label: 31, begin: 2, end: 3, parent: 30),
      TrackRecord(label: 32, begin: 2, end: 3, parent: 30),
      TrackRecord(label: 33, begin: 2, end: 3, parent: 0),
    ]
    func frame(_ pairs: [(Int, Int)], extraResult: [Int]) -> CTCFrameMatch {
      let refs = pairs.map(\.0).sorted()
      let ress = (pairs.map(\.1) + extraResult).sorted()
      return CTCFrameMatch(
        referenceLabels: refs, resultLabels: ress,
        matches: pairs.sorted { $0.0 < $1.0 }.map {
          (refs.firstIndex(of: $0.0)!, ress.firstIndex(of: $0.1)!, 1.0)
        })
    }
    let early = frame([(1, 10), (4, 14), (5, 17), (8, 30)], extraResult: [])
    let late = frame(
      [(2, 11), (3, 12), (4, 15), (6, 17), (9, 31), (20, 33)], extraResult: [16, 32])
    var frames = [early, early, late, late]
    // Frame 1 and 2 are what the division test looks at; 7 is unmatched (missed).
    frames[2].referenceLabels.append(7)
    let m = GraphDivisionMetrics(frames: frames, referenceTracks: reference, resultTracks: result)
    XCTAssertEqual(m.referenceDivisions, 3)
    XCTAssertEqual(m.resultDivisions, 3)
    XCTAssertEqual(m.truePositives, 1)
    XCTAssertEqual(m.falseNegatives, 1)
    XCTAssertEqual(m.falsePositives, 1)
    XCTAssertEqual(m.wrongChildren, 1)
    XCTAssertEqual(m.precision, 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(m.recall, 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(m.f1, 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(m.mitoticBranchingCorrectness, 1.0 / 4, accuracy: 1e-12)
    // No divisions anywhere: NaN, as traccuracy.
    let none = GraphDivisionMetrics(
      frames: [early], referenceTracks: [TrackRecord(label: 1, begin: 0, end: 0, parent: 0)],
      resultTracks: [TrackRecord(label: 10, begin: 0, end: 0, parent: 0)])
    XCTAssertTrue(none.f1.isNaN)
    XCTAssertTrue(none.precision.isNaN)
  }
}
