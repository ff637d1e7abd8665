import Foundation
import XCTest

@testable import DeepCellKit

/// Track tables crafted to break the reader: parent cycles, chains as long as the table,
/// tracks past the movie's end. Each must give a `badData` error (dc-track: one line, exit
/// 65) or a correct result in linear time, never a stack overflow or an attempt to allocate
/// the frames of an impossible track.
final class HostileTrackTableTests: XCTestCase {
  /// `count` tracks, each the re-appearance of the one before after a one-frame gap (only
  /// child, `B > E_parent + 1`), so all of them form one track of `count` runs.
  private func chain(_ count: Int) -> String {
    var text = "1 0 0 0\n"
    text.reserveCapacity(count * 24)
    for label in 2...count {
      text += "\(label) \(2 * (label - 1)) \(2 * (label - 1)) \(label - 1)\n"
    }
    return text
  }

  func testMillionLongChainOfReappearancesIsOneTrack() throws {
    let count = 1_000_000
    let table = try TrackTable.parse(chain(count), subject: "chain")
    let start = Date()
    let (history, trackOf) = try table.history()
    let seconds = Date().timeIntervalSince(start)
    XCTAssertEqual(history.records.count, 1)
    XCTAssertEqual(trackOf[count], 1)
    XCTAssertEqual(history.records[1]?.spans.count, count)
    XCTAssertEqual(
      history.records[1]?.spans.last,
      TrackSpan(first: 2 * count - 2, last: 2 * count - 2, label: count))
    // Linear: the recursive version overflowed the stack here, a quadratic one would take hours.
    XCTAssertLessThan(seconds, 60, "history of a \(count)-row chain took \(seconds) s")
  }

  func testCycleOfParentLinksIsRefused() throws {
    // parse() refuses it (a parent must end before its child begins) ...
    let text = "1 5 6 2\n2 2 3 3\n3 0 0 0\n"
    XCTAssertNoThrow(try TrackTable.parse(text, subject: "t"))
    XCTAssertThrowsError(try TrackTable.parse("1 0 3 2\n2 5 6 1\n", subject: "cycle.txt")) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
      XCTAssertTrue("\($0)".hasPrefix("cycle.txt: "), "\($0)")
    }
    // ... and a table built in code with a cycle of re-appearances is an error, not a hang
    // or a stack overflow.
    let rows = [
      TrackRecord(label: 1, begin: 10, end: 0, parent: 2),
      TrackRecord(label: 2, begin: 10, end: 0, parent: 1),
    ]
    XCTAssertThrowsError(try TrackTable(rows: rows).history()) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
      XCTAssertTrue("\($0)".contains("cycle"), "\($0)")
    }
  }

  /// dc-track on a CTC folder whose table is a million-row chain, a cycle, or a track ending
  /// at frame 10¹²: one line, exit 65, nothing written.
  func testDCTrackRefusesHostileTablesWithOneLine() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let tables = [
      ("chain", chain(1_000_000), "past the movie"),
      ("cycle", "1 0 0 2\n2 0 0 1\n", "does not end before"),
      ("far", "1 0 1000000000000 0\n", "past the movie"),
      ("overflow", "1 0 99999999999999999999999 0\n", "res_track.txt"),
    ]
    for (name, text, mention) in tables {
      let ctc = folder.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: ctc, withIntermediateDirectories: true)
      let writer = try TIFFStackWriter(
        path: ctc.appendingPathComponent("mask000.tif").path, dtype: .uint16,
        frameShape: [4, 4, 1], frameCount: 1)
      try writer.append(NDArray(shape: [4, 4, 1], values: [UInt16](repeating: 1, count: 16)))
      try writer.finish()
      try Data(text.utf8).write(to: ctc.appendingPathComponent("res_track.txt"))
      let out = folder.appendingPathComponent("\(name)-out.json").path
      let run = try runTool("dc-track", [ctc.path, "--lineage", out, "--quiet"])
      XCTAssertEqual(run.status, 65, "\(name): \(run.stderr)")
      XCTAssertTrue(run.stderr.hasPrefix("dc-track: error: "), "\(name): \(run.stderr)")
      XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "\(name): \(run.stderr)")
      XCTAssertTrue(run.stderr.contains(mention), "\(name): \(run.stderr)")
      XCTAssertFalse(FileManager.default.fileExists(atPath: out), name)
    }
  }
}
