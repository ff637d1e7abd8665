import XCTest

@testable import DeepCellKit

final class CellTrackerTests: XCTestCase {
  func testFeaturesOfASmallFrame() throws {
    // 3 × 4 frame: label 7 is an L of 3 pixels, label 2 one pixel.
    let labels = NDArray(
      shape: [3, 4], values: [Int32](arrayLiteral: 0, 7, 7, 0, 0, 7, 0, 0, 0, 0, 0, 2))
    let raw = NDArray(shape: [3, 4], values: (0..<12).map { Float($0) })
    let cells = try CellFeatures.measure(labels: labels, raw: raw)
    XCTAssertEqual(cells.map(\.label), [2, 7])
    XCTAssertEqual(cells[1].area, 3)
    XCTAssertEqual(cells[1].centroidRow, 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(cells[1].centroidColumn, 4.0 / 3, accuracy: 1e-12)
    XCTAssertTrue(cells[1].boundingBox == (0, 1, 1, 2))
    XCTAssertEqual(cells[1].meanIntensity, [(1 + 2 + 5) / 3.0])
    XCTAssertEqual(cells[1].pixels, [1, 2, 5])
    XCTAssertEqual(cells[0].pixels, [11])
  }

  func testScrambledGroundTruthIsTrackedExactlyWithTheDivision() throws {
    let (gt, h, w) = try TrackFixtures.groundTruth()
    let input = gt.enumerated().map { TrackFixtures.scrambled($1, seed: UInt64(1000 + $0)) }
    let (output, history) = try TrackFixtures.track(input, h, w)
    // Every ground-truth track carries exactly one id, and different tracks different ids.
    let ids = TrackFixtures.idsPerTruthLabel(gt, output)
    XCTAssertEqual(ids.count, 18)
    for (label, set) in ids {
      XCTAssertEqual(set.count, 1, "ground-truth track \(label) split into \(set)")
    }
    XCTAssertEqual(Set(ids.values.map { $0.first! }).count, 18)
    // Cell 1 divides into 17 and 18 at frame 5.
    let parent = ids[1]!.first!
    let record = try XCTUnwrap(history.records[parent])
    XCTAssertTrue(record.capped)
    XCTAssertEqual(record.frameDivision, 5)
    XCTAssertEqual(Set(record.daughters), [ids[17]!.first!, ids[18]!.first!])
    XCTAssertEqual(history.records[ids[17]!.first!]?.parent, parent)
    // The CTC table equals man_track up to the renaming of labels.
    let table = history.trackTable()
    XCTAssertEqual(table.rows.count, 18)
    let man = try loadFixtureNPY("track/ctc_sequence_man_track.npy").integerValues().map { Int($0) }
    for k in 0..<18 {
      let (l, b, e, p) = (man[4 * k], man[4 * k + 1], man[4 * k + 2], man[4 * k + 3])
      let row = try XCTUnwrap(table.rows.first { $0.label == ids[l]!.first! })
      XCTAssertEqual(
        [row.begin, row.end, row.parent], [b, e, p == 0 ? 0 : ids[p]!.first!], "track \(l)")
    }
    // The lineage is valid against the relabelled movie.
    var present = [Int: [Int]]()
    for f in output {
      for l in Set(f.trackLabels) where l != 0 { present[Int(l), default: []].append(f.index) }
    }
    for k in present.keys { present[k]!.sort() }
    XCTAssertNoThrow(try history.lineage().validate(present: present, subject: "test"))
  }

  func testGapClosingKeepsTheIdentityAcrossMissingFrames() throws {
    let (gt, h, w) = try TrackFixtures.groundTruth()
    var input = gt
    // Cell 5 missing in frame 4; cell 9 missing in frames 6 and 7 (gap of 2).
    input[4] = input[4].map { $0 == 5 ? 0 : $0 }
    input[6] = input[6].map { $0 == 9 ? 0 : $0 }
    input[7] = input[7].map { $0 == 9 ? 0 : $0 }
    let scrambled = input.enumerated().map { TrackFixtures.scrambled($1, seed: UInt64(2000 + $0)) }
    let (output, history) = try TrackFixtures.track(scrambled, h, w)
    let ids = TrackFixtures.idsPerTruthLabel(input, output)
    XCTAssertEqual(ids[5]?.count, 1, "cell 5 must keep one id across its gap")
    XCTAssertEqual(ids[9]?.count, 1, "cell 9 must keep one id across its gap")
    let record = try XCTUnwrap(history.records[ids[9]!.first!])
    XCTAssertEqual(record.spans.map { [$0.first, $0.last] }, [[0, 5], [8, 9]])
    // CTC: the later run is a new label whose parent is the earlier run.
    let table = history.trackTable()
    let later = try XCTUnwrap(table.rows.first { $0.label == record.spans[1].label })
    XCTAssertEqual([later.begin, later.end, later.parent], [8, 9, record.spans[0].label])
    XCTAssertNotEqual(record.spans[1].label, record.id)
    // deepcell's behaviour drops the gap link.
    XCTAssertEqual(
      history.trackTable(keepGapLinks: false).rows.first { $0.label == later.label }?.parent, 0)
    // Without gap closing the cell gets two ids.
    var noGap = TrackingParameters()
    noGap.maxGap = 0
    let (plain, _) = try TrackFixtures.track(scrambled, h, w, parameters: noGap)
    XCTAssertEqual(TrackFixtures.idsPerTruthLabel(input, plain)[9]?.count, 2)
  }

  func testDeterministic() throws {
    let (gt, h, w) = try TrackFixtures.groundTruth()
    let input = gt.enumerated().map { TrackFixtures.scrambled($1, seed: UInt64(3000 + $0)) }
    let (a, ha) = try TrackFixtures.track(input, h, w)
    let (b, hb) = try TrackFixtures.track(input, h, w)
    XCTAssertEqual(a, b)
    XCTAssertEqual(ha, hb)
  }

  func testDivisionDetectionThresholds() {
    func cell(_ label: Int, _ r: Double, _ c: Double, _ area: Int) -> CellFeatures {
      CellFeatures(
        label: label, area: area, centroidRow: r, centroidColumn: c, boundingBox: (0, 0, 0, 0),
        meanIntensity: [], pixels: [])
    }
    let parent = cell(1, 50, 50, 400)
    let cells = [cell(1, 50, 40, 200), cell(2, 50, 62, 190), cell(3, 50, 200, 210)]
    var p = TrackingParameters()
    // Parent continued into cell 0; cell 1 is new and close: a division.
    XCTAssertEqual(
      DivisionDetection.detect(
        parents: [parent], continuation: [0], cells: cells, isNewborn: [false, true, true],
        parameters: p),
      [Division(parent: 0, daughters: [0, 1])])
    // Too far for the division distance.
    p.divisionDistance = 10
    XCTAssertEqual(
      DivisionDetection.detect(
        parents: [parent], continuation: [0], cells: cells, isNewborn: [false, true, true],
        parameters: p), [])
    // Daughters too small for the area ratio.
    p = TrackingParameters()
    p.minDaughterAreaRatio = 0.6
    XCTAssertEqual(
      DivisionDetection.detect(
        parents: [parent], continuation: [0], cells: cells, isNewborn: [false, true, true],
        parameters: p), [])
    // Parent ended: two newborn cells become daughters.
    XCTAssertEqual(
      DivisionDetection.detect(
        parents: [parent], continuation: [-1], cells: cells, isNewborn: [true, true, true],
        parameters: TrackingParameters()),
      [Division(parent: 0, daughters: [0, 1])])
  }

  func testBadFramesAreRefused() throws {
    let tracker = try CellTracker()
    _ = try tracker.addFrame(labels: NDArray(zeros: [4, 4], dtype: .uint16))
    XCTAssertThrowsError(try tracker.addFrame(labels: NDArray(zeros: [4, 5], dtype: .uint16))) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
      XCTAssertTrue("\($0)".contains("frame 1"), "\($0)")
    }
    XCTAssertThrowsError(
      try tracker.addFrame(
        labels: NDArray(shape: [4, 4], values: [Float](repeating: 1.5, count: 16)))
    ) {
      XCTAssertTrue("\($0)".contains("whole numbers"), "\($0)")
    }
    XCTAssertThrowsError(
      try tracker.addFrame(
        labels: NDArray(shape: [4, 4], values: [Int32](repeating: -2, count: 16))))
    XCTAssertThrowsError(
      try tracker.addFrame(
        labels: NDArray(zeros: [4, 4], dtype: .uint16),
        raw: NDArray(zeros: [3, 4], dtype: .float32))
    ) { XCTAssertTrue("\($0)".contains("raw frame"), "\($0)") }
    var bad = TrackingParameters()
    bad.maxDistance = -1
    XCTAssertThrowsError(try CellTracker(parameters: bad)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage)
    }
  }
}
