import CZlib
import Foundation
import XCTest

@testable import DeepCellKit

/// Builds PNG files chunk by chunk (zlib for IDAT and CRC-32), so the tests control every
/// byte: colour types, bit depths, palettes, tRNS and gAMA chunks, filters, corruption.
enum PNGBuilder {
  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
    return be32(UInt32(data.count)) + body + be32(crc)
  }

  static func be32(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
  }

  /// A PNG of `rows` (each already prefixed with its filter byte).
  static func png(
    width: Int, height: Int, depth: UInt8, colorType: UInt8, rows: [UInt8], extra: [[UInt8]] = []
  ) -> [UInt8] {
    var bound = compressBound(uLong(rows.count))
    var packed = [UInt8](repeating: 0, count: Int(bound))
    _ = compress2(&packed, &bound, rows, uLong(rows.count), 6)
    packed.removeLast(packed.count - Int(bound))
    let ihdr = be32(UInt32(width)) + be32(UInt32(height)) + [depth, colorType, 0, 0, 0]
    return PNGCodec.signature + chunk("IHDR", ihdr) + extra.flatMap { $0 } + chunk("IDAT", packed)
      + chunk("IEND", [])
  }

  /// Filter-0 rows from row-major sample bytes.
  static func unfilteredRows(_ bytes: [UInt8], rowBytes: Int) -> [UInt8] {
    stride(from: 0, to: bytes.count, by: rowBytes).flatMap { [0] + bytes[$0..<($0 + rowBytes)] }
  }
}

final class PNGCodecTests: XCTestCase {
  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let path = try TestPaths.temporaryFolder(self).appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  func testRoundTripGrayRGBAndLabels() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let cases: [(NDArray, NDArray)] = [
      (
        makeTestStack(.uint8, frames: 1, height: 9, width: 7, channels: 1).frame(0),
        makeTestStack(.uint8, frames: 1, height: 9, width: 7, channels: 1)
      ),
      (
        makeTestStack(.uint16, frames: 1, height: 9, width: 7, channels: 1).frame(0),
        makeTestStack(.uint16, frames: 1, height: 9, width: 7, channels: 1)
      ),
      (
        makeTestStack(.uint8, frames: 1, height: 5, width: 6, channels: 2).frame(0),
        makeTestStack(.uint8, frames: 1, height: 5, width: 6, channels: 2)
      ),
      (
        makeTestStack(.uint8, frames: 1, height: 5, width: 6, channels: 3),
        makeTestStack(.uint8, frames: 1, height: 5, width: 6, channels: 3)
      ),
      (
        makeTestStack(.uint8, frames: 1, height: 5, width: 6, channels: 4).frame(0),
        makeTestStack(.uint8, frames: 1, height: 5, width: 6, channels: 4)
      ),
      (
        makeTestStack(.uint16, frames: 1, height: 5, width: 6, channels: 3).frame(0),
        makeTestStack(.uint16, frames: 1, height: 5, width: 6, channels: 3)
      ),
    ]
    for (i, (input, expected)) in cases.enumerated() {
      let path = dir.appendingPathComponent("case\(i).png").path
      try PNGCodec.write(input, to: path)
      XCTAssertEqual(
        try PNGCodec.read(path: path), expected, "case \(i): \(input.shape) \(input.dtype)")
    }
    // int32 labels up to 65535 become a 16-bit PNG; a 2-D array is one gray image.
    let labels = NDArray(
      shape: [3, 4], values: [Int32](arrayLiteral: 0, 1, 2, 65535, 300, 0, 7, 7, 40000, 1, 0, 5))
    let path = dir.appendingPathComponent("labels.png").path
    try PNGCodec.write(labels, to: path)
    let back = try PNGCodec.read(path: path)
    XCTAssertEqual(back.dtype, .uint16)
    XCTAssertEqual(back.shape, [1, 3, 4, 1])
    XCTAssertEqual(back.integerValues(), labels.integerValues())
    // 16-bit samples are stored big-endian, as PNG requires.
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    XCTAssertEqual(bytes[24], 16, "IHDR bit depth")
    XCTAssertEqual(bytes[25], 0, "IHDR colour type gray")
  }

  func testWriteRejectsWhatPNGCannotHold() throws {
    let dir = try TestPaths.temporaryFolder(self)
    func kind(_ array: NDArray, _ path: String = "x.png") -> DeepCellError.Kind? {
      do {
        try PNGCodec.write(array, to: dir.appendingPathComponent(path).path)
        return nil
      } catch let error as DeepCellError { return error.kind } catch { return nil }
    }
    do {
      try PNGCodec.write(
        NDArray(shape: [1, 2], values: [Int32(0), 70000]),
        to: dir.appendingPathComponent("big.png").path)
      XCTFail("labels above 65535 must fail")
    } catch let error as DeepCellError {
      XCTAssertEqual(error.kind, .badData)
      XCTAssertTrue(error.reason.contains("TIFF"), error.reason)
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: dir.appendingPathComponent("big.png").path))
    XCTAssertEqual(kind(NDArray(shape: [1, 2], values: [Int16(-1), 3])), .badData)
    XCTAssertEqual(kind(NDArray(zeros: [4, 4, 1], dtype: .float32)), .badData)
    XCTAssertEqual(kind(NDArray(zeros: [4, 4, 4], dtype: .uint16)), .badData)
    XCTAssertEqual(kind(NDArray(zeros: [2, 4, 4, 1], dtype: .uint8)), .badData)
    XCTAssertEqual(kind(NDArray(zeros: [4, 4, 5], dtype: .uint8)), .badData)
    XCTAssertEqual(
      kind(NDArray(zeros: [4, 4, 1], dtype: .uint8), "missing/dir/x.png"), .cannotCreate)
  }

  func testReadsPaletteLowBitGammaTaggedAndFilteredImagesAsStored() throws {
    // Palette with tRNS → RGBA.
    let palette = PNGBuilder.png(
      width: 3, height: 2, depth: 8, colorType: 3,
      rows: PNGBuilder.unfilteredRows([0, 1, 2, 2, 1, 0], rowBytes: 3),
      extra: [PNGBuilder.chunk("PLTE", Array(10..<19)), PNGBuilder.chunk("tRNS", [0x80])])
    let rgba = try PNGCodec.read(path: try write(palette, "pal.png"))
    XCTAssertEqual(rgba.shape, [1, 2, 3, 4])
    XCTAssertEqual(
      rgba.values(UInt8.self),
      [
        10, 11, 12, 128, 13, 14, 15, 255, 16, 17, 18, 255, 16, 17, 18, 255, 13, 14, 15, 255, 10, 11,
        12, 128,
      ])
    // 1-bit gray expands to 0/255.
    let bits = PNGBuilder.png(width: 8, height: 1, depth: 1, colorType: 0, rows: [0, 0b1010_0001])
    XCTAssertEqual(
      try PNGCodec.read(path: try write(bits, "bits.png")).values(UInt8.self),
      [255, 0, 255, 0, 0, 0, 0, 255])
    // A gAMA chunk (linear 8-bit, 1/2.2 16-bit) does not change the stored values.
    let gray8: [UInt8] = [0, 1, 64, 128, 200, 255]
    let linear = PNGBuilder.png(
      width: 3, height: 2, depth: 8, colorType: 0,
      rows: PNGBuilder.unfilteredRows(gray8, rowBytes: 3),
      extra: [PNGBuilder.chunk("gAMA", PNGBuilder.be32(100_000))])
    XCTAssertEqual(
      try PNGCodec.read(path: try write(linear, "gamma8.png")).values(UInt8.self), gray8)
    let gray16: [UInt16] = [0, 1, 300, 32768, 65534, 65535]
    let be16 = gray16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    let tagged = PNGBuilder.png(
      width: 3, height: 2, depth: 16, colorType: 0,
      rows: PNGBuilder.unfilteredRows(be16, rowBytes: 6),
      extra: [PNGBuilder.chunk("gAMA", PNGBuilder.be32(45455)), PNGBuilder.chunk("sRGB", [0])])
    let read16 = try PNGCodec.read(path: try write(tagged, "gamma16.png"))
    XCTAssertEqual(read16.dtype, .uint16)
    XCTAssertEqual(read16.values(UInt16.self), gray16)
    // 16-bit gray+alpha: opaque pixels exact, translucent ones within rounding.
    let ga: [UInt16] = [1000, 65535, 50000, 65535, 1234, 32768, 0, 0]
    let gaBytes = ga.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    let gaPNG = PNGBuilder.png(width: 4, height: 1, depth: 16, colorType: 4, rows: [0] + gaBytes)
    let gaRead = try PNGCodec.read(path: try write(gaPNG, "ga16.png")).values(UInt16.self)
    XCTAssertEqual(Array(gaRead[0..<4]), [1000, 65535, 50000, 65535])
    XCTAssertEqual(Int(gaRead[4]), 1234, accuracy: 2)
    XCTAssertEqual(Array(gaRead[5..<8]), [32768, 0, 0])
    // Sub, Up, Average and Paeth filters.
    let raw: [UInt8] = (0..<12).map { UInt8($0 * 19 % 256) }
    var rows = [UInt8]()
    for (r, filter) in [(0, UInt8(1)), (1, 2), (2, 3), (3, 4)] {
      let cur = Array(raw[(r * 3)..<(r * 3 + 3)])
      let prev = r == 0 ? [UInt8](repeating: 0, count: 3) : Array(raw[((r - 1) * 3)..<(r * 3)])
      rows.append(filter)
      for i in 0..<3 {
        let a = i == 0 ? 0 : Int(cur[i - 1])
        let b = Int(prev[i])
        let c = i == 0 ? 0 : Int(prev[i - 1])
        let predictor: Int
        switch filter {
        case 1: predictor = a
        case 2: predictor = b
        case 3: predictor = (a + b) / 2
        default:
          let p = a + b - c
          let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
          predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        }
        rows.append(UInt8(truncatingIfNeeded: Int(cur[i]) - predictor))
      }
    }
    let filtered = PNGBuilder.png(width: 3, height: 4, depth: 8, colorType: 0, rows: rows)
    XCTAssertEqual(
      try PNGCodec.read(path: try write(filtered, "filters.png")).values(UInt8.self), raw)
  }

  func testBadInputGivesTypedErrorsAndNothingOnStderr() throws {
    let good = PNGBuilder.png(
      width: 16, height: 16, depth: 8, colorType: 0,
      rows: PNGBuilder.unfilteredRows((0..<256).map { UInt8($0) }, rowBytes: 16))
    XCTAssertEqual(try PNGCodec.read(path: try write(good, "good.png")).count, 256)
    func kind(_ path: String) -> DeepCellError.Kind? {
      do {
        _ = try PNGCodec.read(path: path)
        return nil
      } catch let error as DeepCellError {
        XCTAssertEqual(error.subject, path)
        return error.kind
      } catch { return nil }
    }
    let dir = try TestPaths.temporaryFolder(self)
    var badCRC = good
    badCRC[good.count - 20] ^= 0x55  // inside the IDAT data: its CRC no longer matches
    var badIHDR = good
    badIHDR[20] ^= 0x01  // IHDR height changed, CRC stale
    let stderr = capturingStandardError {
      XCTAssertEqual(kind(dir.appendingPathComponent("missing.png").path), .noInput)
      XCTAssertEqual(kind(dir.path), .noInput)
      XCTAssertEqual(kind(try! write([], "empty.png")), .badData)
      XCTAssertEqual(kind(try! write(Array("II*\0 not a png".utf8), "magic.png")), .badData)
      for cut in [8, 20, 40, good.count / 2, good.count - 13] {
        XCTAssertEqual(
          kind(try! write(Array(good.prefix(cut)), "cut\(cut).png")), .badData, "cut at \(cut)")
      }
      XCTAssertEqual(kind(try! write(badCRC, "crc.png")), .badData)
      XCTAssertEqual(kind(try! write(badIHDR, "ihdr.png")), .badData)
    }
    XCTAssertEqual(stderr, "")
  }

  /// Inputs the PNG fuzzer found (fuzz/README.md). This one made libpng read the input after
  /// Swift had freed it: the stream passed to png_image_begin_read_from_memory must live
  /// until png_image_finish_read (ASan heap-use-after-free, fixed in PNGCodec.decode).
  func testFuzzFindingsDecode() throws {
    let finding =
      "iVBORw0KGgoAAAANSUhEUgAAABAAAAACAQAAAAB5lmFcAAAADklEQVR4nGNYys/wnwEABXkBtNnFYO8AAAAASUVORK5CYII="
    let image = try PNGCodec.read(
      path: try write([UInt8](Data(base64Encoded: finding)!), "finding.png"))
    XCTAssertEqual(image.shape, [1, 2, 16, 1])
    XCTAssertEqual(image.dtype, .uint8)
  }
}
