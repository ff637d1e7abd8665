import Foundation
import XCTest

@testable import DeepCellKit

final class NPZRoundTripTests: XCTestCase {
  func testBundleRoundTripStoredAndDeflated() throws {
    let folder = try TestPaths.temporaryFolder(self)
    for compressed in [false, true] {
      let path = folder.appendingPathComponent("b-\(compressed).npz").path
      let writer = try NPZWriter(path: path, compressed: compressed)
      try writer.write(NPZSamples.bundle)
      try writer.finish()
      let reader = try NPZReader(path: path)
      XCTAssertEqual(reader.names, NPZSamples.bundle.names)
      XCTAssertEqual(reader.warnings, [])
      XCTAssertEqual(try reader.readAll(), NPZSamples.bundle)
      XCTAssertEqual(try reader.header("X").shape, [3, 5, 4, 2])
    }
  }

  func testStreamedFramesReadBackInAnyOrder() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let stack = NPZSamples.array(.uint16, shape: [6, 7, 5, 2])
    for compressed in [false, true] {
      let path = folder.appendingPathComponent("s.npz").path
      let writer = try NPZWriter(path: path, compressed: compressed)
      try writer.write("y", NPZSamples.array(.int32, shape: [6, 7, 5, 1]))
      let stream = try writer.beginArray("X", shape: stack.shape, dtype: .uint16)
      for i in 0..<6 { try stream.append(stack.frame(i).converted(to: .float32)) }  // converted back on write
      try stream.end()
      try writer.finish()
      let reader = try NPZReader(path: path).stackReader("X")
      XCTAssertEqual(reader.frameCount, 6)
      XCTAssertEqual(reader.frameShape, [7, 5, 2])
      XCTAssertEqual(reader.dtype, .uint16)
      for i in [0, 1, 2, 3, 4, 5, 2, 0, 5, 1] {
        XCTAssertEqual(
          try reader.readFrame(i).bytes, stack.frame(i).bytes, "frame \(i) compressed=\(compressed)"
        )
      }
      XCTAssertEqual(try reader.readAll(), stack)
    }
  }

  func testStreamMustFillItsShape() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("short.npz").path
    let writer = try NPZWriter(path: path)
    let stream = try writer.beginArray("X", shape: [3, 2, 2], dtype: .uint8)
    try stream.append(NDArray(zeros: [2, 2], dtype: .uint8))
    assertDeepCellError(.usage, "got") { try stream.end() }
    assertDeepCellError(.usage, "frame of shape") {
      try stream.append(NDArray(zeros: [3, 2], dtype: .uint8))
    }
    writer.abort()
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: path), "abort removes the partial archive")
  }

  func testWriteThroughPipeUsesDataDescriptors() throws {
    for compressed in [false, true] {
      let data = try collectThroughPipe { fd in
        let writer = try NPZWriter(fileDescriptor: fd, compressed: compressed)
        try writer.write(NPZSamples.bundle)
        try writer.finish()
      }
      let bytes = [UInt8](data)
      XCTAssertEqual(Array(bytes[0..<4]), [0x50, 0x4B, 0x03, 0x04])
      XCTAssertEqual(bytes[6] & 0x08, 0x08, "general-purpose bit 3 set")
      XCTAssertEqual(
        Array(bytes[14..<26]), [UInt8](repeating: 0, count: 12), "local CRC and sizes are zero")
      let folder = try TestPaths.temporaryFolder(self)
      let path = folder.appendingPathComponent("p.npz")
      try data.write(to: path)
      XCTAssertEqual(try NPZReader(path: path.path).readAll(), NPZSamples.bundle)
    }
  }

  func testForcedZip64RoundTrip() throws {
    let folder = try TestPaths.temporaryFolder(self)
    for compressed in [false, true] {
      let path = folder.appendingPathComponent("z.npz").path
      let writer = try NPZWriter(path: path, compressed: compressed)
      writer.zip64Limit = 0
      try writer.write(NPZSamples.bundle)
      try writer.finish()
      let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
      XCTAssertNotNil(bytes.firstRange(of: [0x50, 0x4B, 0x06, 0x06]), "Zip64 end record written")
      XCTAssertEqual(try NPZReader(path: path).readAll(), NPZSamples.bundle)
      // and through a pipe with Zip64 data descriptors
      let piped = try collectThroughPipe { fd in
        let w = try NPZWriter(fileDescriptor: fd, compressed: compressed)
        w.zip64Limit = 0
        try w.write(NPZSamples.bundle)
        try w.finish()
      }
      try piped.write(to: URL(fileURLWithPath: path))
      XCTAssertEqual(try NPZReader(path: path).readAll(), NPZSamples.bundle)
    }
  }

  func testRawMembersAndObjectSkipping() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let path = folder.appendingPathComponent("m.npz").path
    let writer = try NPZWriter(path: path, compressed: true)
    try writer.write("conv/kernel", NPZSamples.array(.float32, shape: [3, 3, 1, 2]))
    try writer.writeMember("model.json", bytes: Array("{\"layers\": []}".utf8))
    // an object array member as numpy writes it (pickle data after the header)
    let object = npyHeader("{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }")
    try writer.writeMember("meta.npy", bytes: object + [0x80, 0x04, 0x95])
    try writer.finish()
    let reader = try NPZReader(path: path)
    XCTAssertEqual(reader.names, ["conv/kernel"])
    XCTAssertEqual(reader.memberNames, ["conv/kernel.npy", "model.json", "meta.npy"])
    XCTAssertEqual(reader.warnings.count, 1)
    XCTAssertTrue(reader.warnings[0].contains("'meta'"), reader.warnings[0])
    XCTAssertEqual(
      String(decoding: try reader.readMember("model.json"), as: UTF8.self), "{\"layers\": []}")
    assertDeepCellError(.badData, "no array 'meta' in") { try reader.readArray("meta") }
  }

  func testDuplicateNamesRejected() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let writer = try NPZWriter(path: folder.appendingPathComponent("d.npz").path)
    try writer.write("X", NPZSamples.array(.uint8, shape: [2, 2]))
    assertDeepCellError(.usage, "duplicate") {
      try writer.write("X", NPZSamples.array(.uint8, shape: [2, 2]))
    }
    writer.abort()
  }
}
