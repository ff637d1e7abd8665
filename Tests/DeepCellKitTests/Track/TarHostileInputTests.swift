import Foundation
import XCTest

@testable import DeepCellKit

/// `.trk` archives with hostile tar headers: sizes that overflow or cannot be allocated, PAX
/// records that lie about their length. Each must be a `badData` error naming the file (dc-track:
/// one line, exit 65), never a trap, an attempt to allocate the declared size, or a hang.
final class TarHostileInputTests: XCTestCase {
  /// A header from ``TarArchive/header(name:size:modificationTime:)`` with `edit` applied and
  /// the checksum recomputed.
  private func header(
    name: String, size: Int, type: UInt8 = UInt8(ascii: "0"),
    edit: (inout [UInt8]) -> Void = { _ in }
  ) -> [UInt8] {
    var h = TarArchive.header(name: name, size: size)
    h[156] = type
    edit(&h)
    for i in 148..<156 { h[i] = 0x20 }
    let sum = String(h.reduce(0) { $0 + Int($1) }, radix: 8)
    for (i, c) in (String(repeating: "0", count: 6 - sum.count) + sum).utf8.enumerated() {
      h[148 + i] = c
    }
    h[154] = 0
    return h
  }

  /// Writes `bytes` as a plain-tar `.trk` and expects `TRKFile` to refuse it as bad data.
  private func assertRefused(
    _ bytes: [UInt8], mentioning text: String, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("hostile.trk").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try TRKFile(path: path), file: file, line: line) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData, "\($0)", file: file, line: line)
      XCTAssertTrue("\($0)".hasPrefix(path), "\($0)", file: file, line: line)
      XCTAssertTrue("\($0)".contains(text), "'\(text)' not in: \($0)", file: file, line: line)
    }
  }

  func testBase256SizeThatOverflowsIsRefused() throws {
    // All eleven size bytes 0xFF: 2⁸⁸ − 1, which wrapped to a negative Int before.
    let h = header(name: "raw.npy", size: 0) { h in
      h[124] = 0x80
      for i in 125..<136 { h[i] = 0xFF }
    }
    try assertRefused(h + TarArchive.trailer, mentioning: "impossibly large")
  }

  func testHugeSizeOfAnUnknownMemberIsSkippedNotAllocated() throws {
    // A 512 TiB member (base-256 size 2⁴⁹) of an unknown type ("5", a folder) in a 1.5 KiB
    // file: skipped block by block, so the error is the truncation; reading it whole, as
    // before, asked for 512 TiB and crashed.
    let h = header(name: "big", size: 1 << 49, type: UInt8(ascii: "5"))
    XCTAssertEqual(h[124], 0x80)
    try assertRefused(h + TarArchive.trailer, mentioning: "truncated")
  }

  func testPAXRecordsWithImpossibleLengthsAreIgnoredAndHugeSizesRefused() throws {
    // "1 " claims a one-byte record (shorter than its own length field): ignored, not a trap.
    XCTAssertEqual(TRKFile.parsePax(Array("1 x=y\n".utf8)).0, nil)
    XCTAssertEqual(TRKFile.parsePax(Array("99999999999999999999 size=1\n".utf8)).0, nil)
    XCTAssertEqual(TRKFile.parsePax(Array("12 size=345\n".utf8)).0, 345)
    // A PAX size beyond any file.
    let record = Array("26 size=99999999999999999\n".utf8)
    let pax = header(name: "pax", size: record.count, type: UInt8(ascii: "x"))
    let member = header(name: "raw.npy", size: 0)
    try assertRefused(
      pax + record + TarArchive.padding(forSize: record.count) + member + TarArchive.trailer,
      mentioning: "impossible")
    // An extended header too large to be one.
    let longName = header(name: "././@LongLink", size: 5 << 20, type: UInt8(ascii: "L"))
    try assertRefused(longName + TarArchive.trailer, mentioning: "extended header")
  }
}
