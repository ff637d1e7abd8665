import Foundation
import XCTest

@testable import DeepCellKit

/// Bad NPY/NPZ input gives a DeepCellError of the right kind — never a crash (spec/io.md,
/// issue 2 "Bad input").
final class NPZBadInputTests: XCTestCase {
  private func archive(_ bundle: ArrayBundle, compressed: Bool) throws -> [UInt8] {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("a.npz").path
    let writer = try NPZWriter(path: path, compressed: compressed)
    try writer.write(bundle)
    try writer.finish()
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  private func save(_ bytes: [UInt8], _ name: String = "bad.npz") throws -> String {
    let folder = try TestPaths.temporaryFolder(self)
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  /// Opens and reads everything through InputFile, frames included.
  private func readEverything(_ path: String) throws {
    let input = try InputFile(path: path)
    _ = try input.readBundle()
    for name in input.arrayNames { _ = try input.stackReader(name: name).readAll() }
  }

  private var noisy: NDArray {
    var state: UInt32 = 12345
    let values = (0..<(8 * 32 * 32)).map { _ -> Float in
      state = state &* 1_664_525 &+ 1_013_904_223
      return Float(state >> 8) / Float(1 << 24)
    }
    return NDArray(shape: [8, 32, 32], values: values)
  }

  func testTruncatedArchives() throws {
    for compressed in [false, true] {
      let bytes = try archive(
        ArrayBundle([("X", noisy), ("y", NPZSamples.array(.int32, shape: [8, 32, 32]))]),
        compressed: compressed)
      for cut in [4, 30, 100, bytes.count / 2, bytes.count - 30, bytes.count - 22, bytes.count - 1]
      {
        let path = try save(Array(bytes.prefix(cut)))
        assertDeepCellError(.badData) { try readEverything(path) }
      }
    }
  }

  func testCorruptDeflateStream() throws {
    var bytes = try archive(ArrayBundle([("X", noisy)]), compressed: true)
    for i in 2000..<2040 { bytes[i] ^= 0x5A }
    let path = try save(bytes)
    assertDeepCellError(.badData) { try readEverything(path) }
    assertDeepCellError(.badData) { _ = try NPZReader(path: path).stackReader("X").readAll() }
  }

  func testCRCMismatch() throws {
    var bytes = try archive(ArrayBundle([("X", noisy)]), compressed: false)
    bytes[55 + 128 + 1000] ^= 0x01  // a data byte of X.npy (header 30 + 5 + 20, NPY header 128)
    let path = try save(bytes)
    let reader = try NPZReader(path: path)
    assertDeepCellError(.badData, "CRC-32 mismatch") { try reader.readArray("X") }
    let frames = try reader.stackReader("X")
    XCTAssertNoThrow(try frames.readFrame(0))
    assertDeepCellError(.badData, "CRC-32 mismatch") { try frames.readAll() }
  }

  func testWrongMagicEmptyMissingAndDirectory() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let text = try save(Array("hello, this is text".utf8), "a.npz")
    assertDeepCellError(.badData, "not a TIFF, PNG, NPY or NPZ file") { try InputFile(path: text) }
    let empty = try save([], "empty.tif")
    assertDeepCellError(.badData, "empty file") { try InputFile(path: empty) }
    assertDeepCellError(.noInput, "no such file") {
      try InputFile(path: folder.appendingPathComponent("nope.npz").path)
    }
    assertDeepCellError(.noInput, "is a directory") { try InputFile(path: folder.path) }
    assertDeepCellError(.noInput, "is a directory") { try NPZReader(path: folder.path) }
    // NPY magic with garbage after it
    let npy = try save(
      Array("\u{93}NUMPY".utf8.suffix(5)) + [0x01, 0x00, 0xFF, 0x7F] + Array("{'descr'".utf8),
      "x.npy")
    assertDeepCellError(.badData) { try readEverything(npy) }
  }

  func testUnsupportedDtypes() throws {
    for (descr, reason) in [
      ("<c8", "unsupported dtype '<c8'"), ("|O", "object array"), ("<U5", "unsupported dtype"),
      ("|V8", "unsupported dtype"),
    ] {
      let npy =
        npyHeader("{'descr': '\(descr)', 'fortran_order': False, 'shape': (2, 2), }")
        + [UInt8](repeating: 0, count: 4 * 8)
      let path = try save(npy, "t.npy")
      assertDeepCellError(.badData, reason) { try readEverything(path) }
    }
    // an NPZ member of complex type fails the file; an object member only warns
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("c.npz").path
    let writer = try NPZWriter(path: path)
    try writer.write("X", NPZSamples.array(.float32, shape: [1, 2, 2]))
    try writer.writeMember(
      "z.npy",
      bytes: npyHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }")
        + [UInt8](repeating: 0, count: 16))
    try writer.finish()
    assertDeepCellError(.badData, "unsupported dtype '<c8'") { try InputFile(path: path) }
  }

  func testMalformedHeaders() throws {
    for dict in [
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999), }",
      "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }",
      "{'descr': '<f4', 'shape': (2,), }",
      "{'fortran_order': False, 'shape': (2,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }",
      "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000,), }",
    ] {
      let path = try save(npyHeader(dict) + [UInt8](repeating: 0, count: 8), "m.npy")
      assertDeepCellError(.badData) { try readEverything(path) }
    }
  }

  func testMissingArrayAndZeroFrames() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("x.npz").path
    let writer = try NPZWriter(path: path)
    try writer.write("X", NDArray(zeros: [0, 4, 4], dtype: .float32))
    try writer.write("v", NDArray(zeros: [5], dtype: .float32))
    try writer.finish()
    let input = try InputFile(path: path)
    assertDeepCellError(.badData, "no array 'y' in \(path)") { try input.stackReader(name: "y") }
    assertDeepCellError(.badData, "empty stack") { try input.stackReader(name: "X") }
    assertDeepCellError(.badData, "not an image stack") { try input.stackReader(name: "v") }
    XCTAssertEqual(
      try input.readArray(name: "X").shape, [0, 4, 4], "empty arrays still read whole")
    let npy = try save(NPY.encode(NDArray(zeros: [0, 3, 3], dtype: .uint16)), "z.npy")
    assertDeepCellError(.badData, "empty stack") { try InputFile(path: npy).stackReader() }
  }

  func testUnsupportedCompressionMethodAndEncryption() throws {
    let bytes = try archive(
      ArrayBundle([("X", NPZSamples.array(.uint8, shape: [2, 2]))]), compressed: false)
    let central = try XCTUnwrap(bytes.firstRange(of: [0x50, 0x4B, 0x01, 0x02])).lowerBound
    var bzip = bytes
    bzip[central + 10] = 12
    bzip[8] = 12
    assertDeepCellError(.badData, "compression method 12") { try readEverything(try save(bzip)) }
    var encrypted = bytes
    encrypted[central + 8] |= 1
    assertDeepCellError(.badData, "encrypted") { try readEverything(try save(encrypted)) }
  }

  func testArchivesWithoutReadableArrays() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let empty = folder.appendingPathComponent("empty.npz").path
    try NPZWriter(path: empty).finish()
    XCTAssertEqual(
      [UInt8](try Data(contentsOf: URL(fileURLWithPath: empty))).prefix(4),
      [0x50, 0x4B, 0x05, 0x06])
    let input = try InputFile(path: empty)
    XCTAssertEqual(input.arrayNames, [])
    XCTAssertEqual(try input.readBundle(), ArrayBundle())
    assertDeepCellError(.badData, "no readable array") { try input.stackReader() }

    let objects = folder.appendingPathComponent("meta.npz").path
    let writer = try NPZWriter(path: objects)
    try writer.writeMember(
      "meta.npy",
      bytes: npyHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }") + [0x80])
    try writer.finish()
    let onlyObjects = try InputFile(path: objects)
    XCTAssertEqual(onlyObjects.warnings.count, 1)
    assertDeepCellError(.badData, "no readable array") { try onlyObjects.readArray() }
  }
}
