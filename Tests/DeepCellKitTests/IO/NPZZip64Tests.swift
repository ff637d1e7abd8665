import Foundation
import XCTest

@testable import DeepCellKit

/// Zip64 reading (APPNOTE §4.3.14–16, §4.5.3) on an archive built here byte by byte,
/// independent of ``NPZWriter``: 0xFFFFFFFF placeholders in the central directory with
/// the real values in Zip64 extras (after another extra field to be skipped by length),
/// a Zip64 end record and locator, a member with a data descriptor, and an archive comment.
final class NPZZip64Tests: XCTestCase {
  static let first = NPZSamples.array(.float32, shape: [2, 3, 4], seed: 1)
  static let second = NPZSamples.array(.int16, shape: [3, 5], seed: 2)

  static func syntheticArchive() -> [UInt8] {
    var out = [UInt8]()
    var central = [UInt8]()
    for (index, (name, array)) in [("X", first), ("y", second)].enumerated() {
      let content = NPY.encode(array)
      let crc = content.withUnsafeBytes { crc32Update(0, $0) }
      let nameBytes = Array("\(name).npy".utf8)
      let offset = UInt64(out.count)
      let descriptor = index == 1
      // local header: classic 32-bit fields, no extra (sizes zero when a descriptor follows)
      out.appendLE(ZipRecord.localHeaderSignature)
      out.appendLE(UInt16(45))
      out.appendLE(UInt16(descriptor ? 0x08 : 0))
      out.appendLE(UInt16(0))
      out.appendLE(UInt16(0))
      out.appendLE(UInt16(0x21))
      out.appendLE(descriptor ? 0 : crc)
      out.appendLE(UInt32(descriptor ? 0 : content.count))
      out.appendLE(UInt32(descriptor ? 0 : content.count))
      out.appendLE(UInt16(nameBytes.count))
      out.appendLE(UInt16(0))
      out += nameBytes
      out += content
      if descriptor {
        out.appendLE(ZipRecord.dataDescriptorSignature)
        out.appendLE(crc)
        out.appendLE(UInt32(content.count))
        out.appendLE(UInt32(content.count))
      }
      // central header: everything in the Zip64 extra, after a 5-byte timestamp extra
      var extra: [UInt8] = [0x55, 0x54, 5, 0, 1, 0, 0, 0, 0]
      extra.appendLE(UInt16(1))
      extra.appendLE(UInt16(24))
      extra.appendLE(UInt64(content.count))
      extra.appendLE(UInt64(content.count))
      extra.appendLE(offset)
      central.appendLE(ZipRecord.centralHeaderSignature)
      central.appendLE(UInt16(0x032D))
      central.appendLE(UInt16(45))
      central.appendLE(UInt16(descriptor ? 0x08 : 0))
      central.appendLE(UInt16(0))
      central.appendLE(UInt16(0))
      central.appendLE(UInt16(0x21))
      central.appendLE(crc)
      central.appendLE(UInt32(0xFFFF_FFFF))
      central.appendLE(UInt32(0xFFFF_FFFF))
      central.appendLE(UInt16(nameBytes.count))
      central.appendLE(UInt16(extra.count))
      central.appendLE(UInt16(0))
      central.appendLE(UInt16(0))
      central.appendLE(UInt16(0))
      central.appendLE(UInt32(0))
      central.appendLE(UInt32(0xFFFF_FFFF))
      central += nameBytes
      central += extra
    }
    let directoryOffset = UInt64(out.count)
    out += central
    let recordOffset = UInt64(out.count)
    out.appendLE(ZipRecord.zip64EndOfCentralDirectorySignature)
    out.appendLE(UInt64(44))
    out.appendLE(UInt16(45))
    out.appendLE(UInt16(45))
    out.appendLE(UInt32(0))
    out.appendLE(UInt32(0))
    out.appendLE(UInt64(2))
    out.appendLE(UInt64(2))
    out.appendLE(UInt64(central.count))
    out.appendLE(directoryOffset)
    out.appendLE(ZipRecord.zip64LocatorSignature)
    out.appendLE(UInt32(0))
    out.appendLE(recordOffset)
    out.appendLE(UInt32(1))
    out.appendLE(ZipRecord.endOfCentralDirectorySignature)
    out.appendLE(UInt16(0))
    out.appendLE(UInt16(0))
    out.appendLE(UInt16(0xFFFF))
    out.appendLE(UInt16(0xFFFF))
    out.appendLE(UInt32(0xFFFF_FFFF))
    out.appendLE(UInt32(0xFFFF_FFFF))
    let comment = Array("made by hand".utf8)
    out.appendLE(UInt16(comment.count))
    out += comment
    return out
  }

  func testReadsSyntheticZip64Archive() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("zip64.npz")
    try Data(Self.syntheticArchive()).write(to: path)
    let reader = try NPZReader(path: path.path)
    XCTAssertEqual(reader.names, ["X", "y"])
    XCTAssertEqual(try reader.readArray("X"), Self.first)
    XCTAssertEqual(try reader.readArray("y"), Self.second)
    let input = try InputFile(path: path.path)
    XCTAssertEqual(input.format, .npz)
    XCTAssertEqual(try input.stackReader(name: "y").readAll().shape, [1, 3, 5, 1])
  }

  func testNumpyAgreesWithTheSyntheticArchive() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("zip64.npz")
    try Data(Self.syntheticArchive()).write(to: path)
    let out = try runPython(
      "import sys, numpy as np; d = np.load(sys.argv[1]); print(d['X'].sum(), d['y'].sum(), sorted(d.files))",
      [path.path])
    let expected =
      "\(Self.first.doubleValues().reduce(0, +)) \(Self.second.integerValues().reduce(0, +)) ['X', 'y']"
    XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), expected)
  }

  func testWriterUsesZip64ExtrasPastTheLimit() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("w.npz").path
    let writer = try NPZWriter(path: path)
    writer.zip64Limit = 200  // sizes and offsets from 200 bytes count as "large": b (448 bytes at 187)
    try writer.write("a", NPZSamples.array(.uint8, shape: [4]))
    try writer.write("b", NPZSamples.array(.float64, shape: [40]))
    try writer.finish()
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let directory = ZipCentralDirectoryProbe(bytes)
    XCTAssertEqual(directory.extraLengths, [0, 20], "only the large member gets Zip64 sizes")
    XCTAssertEqual(try NPZReader(path: path).readAll().names, ["a", "b"])
  }
}

/// Lists the extra-field lengths of the central headers of an archive.
struct ZipCentralDirectoryProbe {
  var extraLengths: [Int] = []
  init(_ bytes: [UInt8]) {
    var i = 0
    while i + 46 <= bytes.count {
      if bytes[i] == 0x50 && bytes[i + 1] == 0x4B && bytes[i + 2] == 1 && bytes[i + 3] == 2 {
        extraLengths.append(Int(bytes[i + 30]) | Int(bytes[i + 31]) << 8)
        i += 46
      } else {
        i += 1
      }
    }
  }
}
