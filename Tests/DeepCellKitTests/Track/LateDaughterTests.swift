import XCTest

@testable import DeepCellKit

/// ``LateDaughter`` on hand-made tracks (issue 18): which late tracks become daughters, where
/// the division is dated, and how the history and the written frames change.
final class LateDaughterTests: XCTestCase {
  typealias Features = [[Int: (Double, Double, Int)]]

  /// Track 1 from frame 0 to 7: area 400 at (50, 50) until frame 2, then a daughter of 200
  /// moving away along the rows from frame 3; track 2 appears at frame 5 on the other side.
  /// `extra` adds cells (track id → frame → cell).
  func movie(
    firstDaughterArea: Int = 200, secondAt column: Double = 62, step: Double = 2,
    extra: [Int: [Int: (Double, Double, Int)]] = [:]
  ) -> (TrackHistory, Features) {
    var features = Features(repeating: [:], count: 8)
    for t in 0..<8 {
      features[t][1] =
        t < 3 ? (50, 50, 400) : (50, 42 - step * Double(t - 3), firstDaughterArea + 5 * (t - 3))
    }
    for t in 5..<8 { features[t][2] = (50, column + Double(t - 5), 210) }
    var records = [
      1: TrackHistoryRecord(id: 1, spans: [TrackSpan(first: 0, last: 7, label: 1)]),
      2: TrackHistoryRecord(id: 2, spans: [TrackSpan(first: 5, last: 7, label: 2)]),
    ]
    for (id, cells) in extra {
      for (t, c) in cells { features[t][id] = c }
      let frames = cells.keys.sorted()
      records[id] = TrackHistoryRecord(
        id: id, spans: [TrackSpan(first: frames.first!, last: frames.last!, label: id)])
    }
    return (TrackHistory(records: records), features)
  }

  var on: TrackingParameters {
    var p = TrackingParameters()
    p.lateDaughterGap = 3
    return p
  }

  func testALateTrackBesideAShrunkenOneIsItsSister() throws {
    let (history, features) = movie()
    var late = LateDaughter(history: history, features: features, parameters: on)
    XCTAssertEqual(late.splits.map(\.parent), [1])
    XCTAssertEqual(late.splits.first?.frame, 3)
    XCTAssertEqual(late.splits.first?.secondDaughter, 2)
    XCTAssertEqual(late.splits.first?.firstDaughter, 3)  // above the history's labels
    let h = late.applied(to: history)
    XCTAssertEqual(h.records[1]!.spans, [TrackSpan(first: 0, last: 2, label: 1)])
    XCTAssertEqual(h.records[1]!.daughters, [2, 3])
    XCTAssertTrue(h.records[1]!.capped)
    XCTAssertEqual(h.records[3]!.spans, [TrackSpan(first: 3, last: 7, label: 3)])
    XCTAssertEqual(h.records[3]!.parent, 1)
    XCTAssertEqual(h.records[2]!.parent, 1)
    XCTAssertEqual(
      h.trackTable().rows,
      [
        .init(label: 1, begin: 0, end: 2, parent: 0), .init(label: 2, begin: 5, end: 7, parent: 1),
        .init(label: 3, begin: 3, end: 7, parent: 1),
      ])
    // The written frames: track 1's pixels are track 3 from frame 3 on, in both labellings.
    for (t, expected) in [(2, Int32(1)), (3, 3), (7, 3)] {
      var track: [Int32] = [0, 1, 2]
      var segment: [Int32] = [0, 1, 2]
      late.relabel(frame: t, trackLabels: &track, segmentLabels: &segment)
      XCTAssertEqual(track, [0, expected, 2], "frame \(t)")
      XCTAssertEqual(segment, [0, expected, 2], "frame \(t)")
    }
  }

  func testARunAfterAGapKeepsItsCTCLabel() throws {
    // Track 1 is missed in frame 6: its run from frame 7 has CTC label 9. The cut gives the
    // new track the cells from frame 3 on; the run holding frame 3 takes its id as label,
    // the later run keeps label 9 (its parent is then the new track's first run).
    var (history, features) = movie()
    features[6][1] = nil
    history.records[1]!.spans = [
      TrackSpan(first: 0, last: 5, label: 1), TrackSpan(first: 7, last: 7, label: 9),
    ]
    var late = LateDaughter(history: history, features: features, parameters: on)
    XCTAssertEqual(late.splits.first?.firstDaughter, 10)
    let h = late.applied(to: history)
    XCTAssertEqual(
      h.records[10]!.spans,
      [TrackSpan(first: 3, last: 5, label: 10), TrackSpan(first: 7, last: 7, label: 9)])
    for (t, segment) in [(4, Int32(10)), (7, 9)] {
      var track: [Int32] = [1, 0]
      var labels: [Int32] = [t == 7 ? 9 : 1, 0]
      late.relabel(frame: t, trackLabels: &track, segmentLabels: &labels)
      XCTAssertEqual(track, [10, 0], "frame \(t)")
      XCTAssertEqual(labels, [segment, 0], "frame \(t)")
    }
  }

  func testNothingIsFoundOffOrWhereTheSignsAreMissing() throws {
    let (history, features) = movie()
    XCTAssertEqual(
      LateDaughter(history: history, features: features, parameters: TrackingParameters()).splits,
      [])
    var short = on
    short.lateDaughterGap = 1  // the daughter appeared 2 frames after the shrinking
    XCTAssertEqual(LateDaughter(history: history, features: features, parameters: short).splits, [])
    // No shrinking (the track kept 0.75 of its area): a newcomer beside it.
    let (kept, keptFeatures) = movie(firstDaughterArea: 300)
    XCTAssertEqual(LateDaughter(history: kept, features: keptFeatures, parameters: on).splits, [])
    // Too far (beyond the division distance of 48 px) or too costly.
    let (far, farFeatures) = movie(secondAt: 110)
    XCTAssertEqual(LateDaughter(history: far, features: farFeatures, parameters: on).splits, [])
  }

  func testTheOtherHalfBesideItOrAJumpingTrackIsNoLateDivision() throws {
    // The mitotic nucleus cut in two: its other half (track 9) lies within the parent's
    // radius in frame 3, so the second daughter was not unseen there.
    let (cut, cutFeatures) = movie(extra: [9: [3: (50, 56, 190)]])
    XCTAssertEqual(LateDaughter(history: cut, features: cutFeatures, parameters: on).splits, [])
    // The same half beyond the parent's radius (11.3 px) is another cell.
    let (apart, apartFeatures) = movie(extra: [9: [3: (50, 63, 190)]])
    XCTAssertEqual(
      LateDaughter(history: apart, features: apartFeatures, parameters: on).splits.map(\.parent),
      [1])
    // A track that moves 9 px a frame (more than the daughter's radius, 8 px) may have
    // switched to a neighbour.
    let (jump, jumpFeatures) = movie(step: 9)
    XCTAssertEqual(LateDaughter(history: jump, features: jumpFeatures, parameters: on).splits, [])
  }
}
