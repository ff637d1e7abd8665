import Foundation
import XCTest

@testable import DeepCellKit

final class TrackFormatsTests: XCTestCase {
  func testLineageJSONRoundTripAndDeepcellLayout() throws {
    let lineage = Lineage(entries: [
      1: LineageEntry(
        label: 1, frames: [0, 1, 2], daughters: [2, 3], capped: true, frameDivision: 3, parent: nil),
      2: LineageEntry(label: 2, frames: [3, 4], parent: 1),
      3: LineageEntry(label: 3, frames: [3], parent: 1),
      10: LineageEntry(label: 10, frames: []),
    ])
    let text = lineage.jsonText()
    XCTAssertTrue(
      text.hasPrefix(
        "{\n    \"1\": {\n        \"label\": 1,\n        \"frames\": [\n            0,"), text)
    XCTAssertTrue(text.contains("\"frame_div\": null"))
    XCTAssertEqual(try Lineage.parse(Array(text.utf8), subject: "t"), lineage)
    // A .trks-style one-element list is accepted; bad JSON is refused.
    XCTAssertEqual(try Lineage.parse(Array("[\(text)]".utf8), subject: "t"), lineage)
    XCTAssertThrowsError(try Lineage.parse(Array("{\"x\": {}}".utf8), subject: "t"))
    XCTAssertThrowsError(try Lineage.parse(Array("{\"1\": ".utf8), subject: "t")) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
  }

  func testLineageValidation() throws {
    let lineage = Lineage(entries: [
      1: LineageEntry(label: 1, frames: [0, 1], daughters: [2], capped: true, frameDivision: 2),
      2: LineageEntry(label: 2, frames: [2], parent: 1),
    ])
    XCTAssertNoThrow(try lineage.validate(present: [1: [0, 1], 2: [2]], subject: "t"))
    XCTAssertThrowsError(try lineage.validate(present: [1: [0, 1], 2: [2], 3: [2]], subject: "t")) {
      XCTAssertTrue("\($0)".contains("label 3"), "\($0)")
    }
    XCTAssertThrowsError(try lineage.validate(present: [1: [0, 1, 2], 2: [2]], subject: "t"))
    XCTAssertThrowsError(try lineage.validate(present: [1: [0, 1]], subject: "t"))
  }

  func testTrackTableParsingAndRules() throws {
    let table = try TrackTable.parse(
      "1 0 4 0\n2 0 5 0\n17 5 9 1\n18 5 9 1\n19 7 9 2\n", subject: "t")
    XCTAssertEqual(table.rows.count, 5)
    XCTAssertEqual(table.text(), "1 0 4 0\n2 0 5 0\n17 5 9 1\n18 5 9 1\n19 7 9 2\n")
    for bad in [
      "1 0 4\n", "1 5 4 0\n", "1 0 4 0\n1 5 6 0\n", "2 0 4 7\n", "1 0 4 0\n2 3 5 1\n", "x 0 1 0\n",
    ] {
      XCTAssertThrowsError(try TrackTable.parse(bad, subject: "t"), bad) {
        XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
      }
    }
  }

  func testTrackTableToHistoryJoinsGapContinuations() throws {
    // 2 → 19 is a re-appearance after a gap (only child, B > E + 1): one track.
    // 1 → 17, 18 is a division. 5 → 6 (only child, no gap) stays a division-like link.
    let table = try TrackTable.parse(
      "1 0 4 0\n2 0 5 0\n5 0 3 0\n6 4 9 5\n17 5 9 1\n18 5 9 1\n19 7 9 2\n", subject: "t")
    let (history, trackOf) = try table.history()
    XCTAssertEqual(trackOf[19], 2)
    XCTAssertEqual(trackOf[6], 6)
    XCTAssertEqual(
      history.records[2]?.spans,
      [TrackSpan(first: 0, last: 5, label: 2), TrackSpan(first: 7, last: 9, label: 19)])
    XCTAssertEqual(history.records[1]?.daughters, [17, 18])
    XCTAssertEqual(history.records[1]?.frameDivision, 5)
    XCTAssertEqual(history.records[6]?.parent, 5)
    // Back to CTC: the same table.
    XCTAssertEqual(
      Set(history.trackTable().rows.map { "\($0.label) \($0.begin) \($0.end) \($0.parent)" }),
      Set(table.rows.map { "\($0.label) \($0.begin) \($0.end) \($0.parent)" }))
    // Lineage with a gap → history: the later run gets a fresh label with the earlier as parent.
    let lineage = history.lineage()
    XCTAssertEqual(lineage.entries[2]?.frames, [0, 1, 2, 3, 4, 5, 7, 8, 9])
    let again = lineage.history()
    XCTAssertEqual(again.records[2]?.spans.count, 2)
    let later = again.records[2]!.spans[1].label
    XCTAssertEqual(again.trackTable().rows.first { $0.label == later }?.parent, 2)
  }

  func testGoldenTRKIsRead() throws {
    let trk = try TRKFile(path: TestPaths.fixture("track/tracking.trk").path)
    XCTAssertEqual(trk.lineage.entries.count, 18)
    XCTAssertEqual(trk.lineage.entries[1]?.daughters, [17, 18])
    XCTAssertEqual(trk.lineage.entries[17]?.parent, 1)
    XCTAssertEqual(trk.lineage.entries[1]?.frames, [0, 1, 2, 3, 4])
    XCTAssertEqual(trk.tracked.frameCount, 10)
    XCTAssertEqual(trk.tracked.frameShape, [256, 256, 1])
    XCTAssertEqual(trk.raw.dtype, .float32)
    let (gt, _, _) = try TrackFixtures.groundTruth()
    for t in [0, 5, 9] {
      XCTAssertEqual(try trk.tracked.readFrame(t).integerValues().map { Int($0) }, gt[t])
      let raw = try trk.raw.readFrame(t).floats()
      XCTAssertEqual(raw, gt[t].map { $0 > 0 ? 1000 : 100 })
    }
    // Its history: the CellTracker frame_div convention (daughters' first frame).
    XCTAssertEqual(trk.lineage.history().records[1]?.frameDivision, 5)
  }

  func testTRKWriteReadRoundTrip() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("out.trk").path
    let lineage = Lineage(entries: [
      1: LineageEntry(label: 1, frames: [0], daughters: [2, 3], capped: true, frameDivision: 1),
      2: LineageEntry(label: 2, frames: [1], parent: 1),
      3: LineageEntry(label: 3, frames: [1], parent: 1),
    ])
    let writer = try TRKWriter(
      path: path, frameCount: 2, height: 2, width: 3, rawChannels: 1, rawType: .uint8)
    try writer.append(
      raw: NDArray(shape: [2, 3, 1], values: [UInt8](arrayLiteral: 1, 2, 3, 4, 5, 6)),
      tracked: [1, 1, 0, 0, 0, 0])
    try writer.append(
      raw: NDArray(shape: [2, 3, 1], values: [UInt8](arrayLiteral: 7, 8, 9, 10, 11, 12)),
      tracked: [2, 0, 3, 0, 0, 0])
    XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing visible before finish")
    try writer.finish(lineage: lineage)
    let trk = try TRKFile(path: path)
    XCTAssertEqual(trk.lineage, lineage)
    XCTAssertEqual(try trk.tracked.readFrame(1).values(Int32.self), [2, 0, 3, 0, 0, 0])
    XCTAssertEqual(try trk.raw.readFrame(1).values(UInt8.self), [7, 8, 9, 10, 11, 12])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["out.trk"])
  }

  func testCorruptOrInconsistentTRKIsRefused() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let golden = try Data(contentsOf: TestPaths.fixture("track/tracking.trk"))
    // Truncated gzip stream.
    let truncated = folder.appendingPathComponent("truncated.trk")
    try golden.prefix(golden.count / 2).write(to: truncated)
    XCTAssertThrowsError(try TRKFile(path: truncated.path)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    // Not an archive at all.
    let text = folder.appendingPathComponent("text.trk")
    try Data("hello, this is not a tar archive".utf8 + [UInt8](repeating: 32, count: 600)).write(
      to: text)
    XCTAssertThrowsError(try TRKFile(path: text.path)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    // Missing file.
    XCTAssertThrowsError(try TRKFile(path: folder.appendingPathComponent("nope.trk").path)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .noInput)
    }
    // A lineage that does not match its masks: label 2 is listed but never occurs.
    let path = folder.appendingPathComponent("mismatch.trk").path
    let writer = try TRKWriter(
      path: path, frameCount: 1, height: 1, width: 2, rawChannels: 1, rawType: .uint8)
    try writer.append(raw: NDArray(zeros: [1, 2, 1], dtype: .uint8), tracked: [1, 0])
    try writer.finish(
      lineage: Lineage(entries: [
        1: LineageEntry(label: 1, frames: [0]), 2: LineageEntry(label: 2, frames: [0]),
      ]))
    XCTAssertThrowsError(try TRKFile(path: path)) {
      XCTAssertTrue("\($0)".contains("label 2"), "\($0)")
    }
  }

  func testTRKReadableByPythonTarfile() throws {
    let python = try interopPython()
    _ = python
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("py.trk").path
    let writer = try TRKWriter(
      path: path, frameCount: 1, height: 2, width: 2, rawChannels: 1, rawType: .float32)
    try writer.append(
      raw: NDArray(shape: [2, 2, 1], values: [Float](arrayLiteral: 1, 2, 3, 4)),
      tracked: [0, 5, 5, 0])
    try writer.finish(lineage: Lineage(entries: [5: LineageEntry(label: 5, frames: [0])]))
    let out = try runPython(
      """
      import sys, tarfile, json, io, numpy as np
      t = tarfile.open(sys.argv[1], 'r:gz')
      names = t.getnames()
      lin = json.loads(t.extractfile('lineage.json').read())
      raw = np.load(io.BytesIO(t.extractfile('raw.npy').read()))
      trk = np.load(io.BytesIO(t.extractfile('tracked.npy').read()))
      print(names, sorted(lin), raw.shape, raw.dtype, trk.shape, trk.dtype, trk.ravel().tolist())
      """, [path])
    XCTAssertEqual(
      out.trimmingCharacters(in: .whitespacesAndNewlines),
      "['lineage.json', 'raw.npy', 'tracked.npy'] ['5'] (1, 2, 2, 1) float32 (1, 2, 2, 1) int32 [0, 5, 5, 0]"
    )
  }
}
