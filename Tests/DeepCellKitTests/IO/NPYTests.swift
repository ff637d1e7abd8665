import XCTest

@testable import DeepCellKit

final class NPYTests: XCTestCase {
  func testRoundTripEveryDtype() throws {
    for dtype in DType.allCases where dtype != .float16 {
      let a = NDArray(shape: [2, 3, 1], values: (0..<6).map { Double($0) }).converted(to: dtype)
      let encoded = NPY.encode(a)
      XCTAssertEqual(encoded.count % 64, a.bytes.count % 64, "header must pad to 64 bytes")
      XCTAssertEqual(try NPY.decode(encoded, subject: "t"), a)
    }
  }

  func testHeaderMatchesNumpy() {
    let h = NPY.headerBytes(shape: [2, 4, 4, 1], dtype: .float32)
    XCTAssertEqual(h.count, 128)
    let text = String(decoding: h[10...], as: UTF8.self)
    XCTAssertTrue(
      text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 4, 1), }"))
    XCTAssertEqual(h.last, 0x0A)
    XCTAssertTrue(
      String(decoding: NPY.headerBytes(shape: [5], dtype: .uint8), as: UTF8.self).contains("(5,)"))
  }

  func testBigEndianAndFortranOrder() throws {
    // numpy: np.array([[1, 2, 3], [4, 5, 6]], dtype='>u2', order='F')
    let dict = "{'descr': '>u2', 'fortran_order': True, 'shape': (2, 3), }"
    var bytes: [UInt8] =
      NPY.magic + [1, 0, UInt8(dict.utf8.count + 1), 0] + Array(dict.utf8) + [0x0A]
    for v: UInt16 in [1, 4, 2, 5, 3, 6] { bytes += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    let a = try NPY.decode(bytes, subject: "t")
    XCTAssertEqual(a.shape, [2, 3])
    XCTAssertEqual(a.values(UInt16.self), [1, 2, 3, 4, 5, 6])
  }

  func testBadInputThrowsBadData() {
    let good = NPY.encode(NDArray(shape: [4], values: [Float](repeating: 1, count: 4)))
    for bad in [Array(good.prefix(20)), Array(good.dropLast(3)), [UInt8](repeating: 0, count: 100)]
    {
      XCTAssertThrowsError(try NPY.decode(bad, subject: "bad.npy")) { error in
        XCTAssertEqual((error as? DeepCellError)?.kind, .badData)
      }
    }
    let object = NPY.encode(NDArray(shape: [1], values: [UInt8(0)])).map { $0 }
    var text = String(decoding: object, as: UTF8.self)
    text = text.replacingOccurrences(of: "|u1", with: "|O8")
    XCTAssertThrowsError(try NPY.decode(Array(text.utf8), subject: "o.npy"))
  }

  func testFloat16Decodes() {
    XCTAssertEqual(halfToFloat(0x3C00), 1)
    XCTAssertEqual(halfToFloat(0xC000), -2)
    XCTAssertEqual(halfToFloat(floatToHalf(0.333)), 0.33300781)
    XCTAssertEqual(floatToHalf(65504), 0x7BFF)
  }
}
