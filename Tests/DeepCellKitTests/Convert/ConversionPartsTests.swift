import Foundation
import XCTest

@testable import DeepCellKit

/// The parts of batch conversion (issue 20): Python's slice semantics, natural order, the
/// split pattern, numpy's percentiles in bounded memory, dtype conversion and its refusals.
final class ConversionPartsTests: XCTestCase {
  func testFrameSliceFollowsPython() throws {
    let slices = [
      "0:100:2", "::-1", "-3:", ":-3", "2:8:3", "8:2:-2", "-1::-4", "5", "-1", "1:1", "::7",
      "-100:100", "3::", ":", "7:-12:-1",
    ]
    let script = """
      import sys, json
      out = {}
      for s in json.loads(sys.argv[1]):
          parts = [int(p) if p else None for p in s.split(':')]
          out[s] = list(range(10)[slice(*parts)]) if len(parts) > 1 else [range(10)[parts[0]]]
      print(json.dumps(out))
      """
    let json = String(decoding: try JSONSerialization.data(withJSONObject: slices), as: UTF8.self)
    let python = try runPython(script, [json])
    let expected = try JSONSerialization.jsonObject(with: Data(python.utf8)) as! [String: [Int]]
    for text in slices {
      let slice = try XCTUnwrap(FrameSlice(parsing: text), text)
      if expected[text]!.isEmpty {
        XCTAssertThrowsError(try slice.indices(count: 10, subject: "s"), text)
      } else {
        XCTAssertEqual(try slice.indices(count: 10, subject: "s"), expected[text], text)
      }
    }
    for bad in ["", "a", "1:2:0", "1:2:3:4", "1.5:", "::x"] {
      XCTAssertNil(FrameSlice(parsing: bad), bad)
    }
    XCTAssertThrowsError(try FrameSlice(parsing: "10")!.indices(count: 10, subject: "s")) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage)
    }
  }

  func testNaturalOrder() {
    let names = [
      "t10.tif", "t2.tif", "t1.tif", "t002.tif", "a.tif", "t1b.tif", "T3.tif", "t02.tif",
    ]
    XCTAssertEqual(
      NaturalOrder.sorted(names),
      ["T3.tif", "a.tif", "t1.tif", "t1b.tif", "t2.tif", "t02.tif", "t002.tif", "t10.tif"])
  }

  func testSplitPattern() throws {
    let p = try SplitPattern("t{:03d}.png")
    XCTAssertEqual(p.format, .png)
    XCTAssertEqual([p.name(0), p.name(7), p.name(1234)], ["t000.png", "t007.png", "t1234.png"])
    XCTAssertEqual(try SplitPattern("f{}.npz").name(12), "f12.npz")
    XCTAssertEqual(try SplitPattern("f{:4d}.tif").name(12), "f  12.tif")
    XCTAssertEqual(try SplitPattern("mask{:03d}.ome.tif").format, .omeTIFF)
    for bad in ["t.png", "t{:03d}", "t{:x}.png", "t{}{}.png", "a/t{}.png", "t{:03s}.png"] {
      XCTAssertThrowsError(try SplitPattern(bad), bad) {
        XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage, bad)
      }
    }
  }

  /// numpy's `percentile` (linear) over the whole stack, for uint16 data (one value a bin)
  /// and skewed float data (most values in one bin: the third pass).
  func testPercentilesMatchNumpy() throws {
    let folder = try TestPaths.temporaryFolder(self)
    var state: UInt64 = 12345
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53)
    }
    let ints = NDArray(
      shape: [5, 30, 20, 1], values: (0..<3000).map { _ in UInt16(next() * 4000) })
    let floats = NDArray(
      shape: [4, 25, 25, 1],
      values: (0..<2500).map { k -> Float in
        k % 97 == 0 ? Float(next() * 1e6) : Float(next() * 1e-3)
      })
    let pairs: [(Double, Double)] = [(0, 100), (1, 99), (0.5, 99.8), (13.7, 50), (25, 75)]
    for (name, stack) in [("ints", ints), ("floats", floats)] {
      let file = folder.appendingPathComponent("\(name).npy")
      try Data(NPY.encode(stack)).write(to: file)
      let reader = try ArrayStackReader(stack, subject: name)
      for (low, high) in pairs {
        let got = try RescaleRange.percentiles(low: low, high: high).measure(reader, subject: name)
        let out = try runPython(
          "import sys, numpy as np; a = np.load(sys.argv[1]).astype('float64'); "
            + "print(repr(float(np.percentile(a, float(sys.argv[2])))), repr(float(np.percentile(a, float(sys.argv[3])))))",
          [file.path, String(low), String(high)])
        let want = out.split(separator: " ").map {
          Double($0.trimmingCharacters(in: .whitespacesAndNewlines))!
        }
        XCTAssertEqual(got.low, want[0], accuracy: abs(want[0]) * 1e-12, "\(name) \(low)")
        XCTAssertEqual(got.high, want[1], accuracy: abs(want[1]) * 1e-12, "\(name) \(high)")
      }
      let minMax = try RescaleRange.minMax.measure(reader, subject: name)
      let values = stack.doubleValues()
      XCTAssertEqual(minMax.low, values.min())
      XCTAssertEqual(minMax.high, values.max())
    }
  }

  func testDTypeConversion() throws {
    let frame = NDArray(shape: [2, 2, 1], values: [0, 100, 255, 256] as [Int32])
    let subject = "in.tif"
    // Values that fit pass unchanged; one that does not is named with its place.
    XCTAssertEqual(
      try DTypeConversion(target: .uint16).convert(frame, frameIndex: 0, subject: subject),
      NDArray(shape: [2, 2, 1], values: [0, 100, 255, 256] as [UInt16]))
    XCTAssertThrowsError(
      try DTypeConversion(target: .uint8).convert(frame, frameIndex: 4, subject: subject)
    ) { error in
      XCTAssertEqual(
        "\(error)",
        "in.tif: frame 4 holds 256 at y=1, x=1, channel 0, which does not fit uint8 (integers 0…255): rescale with --rescale or choose a wider --dtype"
      )
    }
    let fraction = NDArray(shape: [1, 2, 1], values: [1, 2.5] as [Float])
    XCTAssertThrowsError(
      try DTypeConversion(target: .int32).convert(fraction, frameIndex: 0, subject: subject))
    let big = NDArray(shape: [1, 2, 1], values: [16_777_216, 16_777_217] as [Int32])
    XCTAssertThrowsError(
      try DTypeConversion(target: .float32).convert(big, frameIndex: 0, subject: subject))
    // Rescaling: the range onto the limits, clipped, rounded to nearest even.
    let ramp = NDArray(shape: [1, 5, 1], values: [-10, 0, 50, 100, 200] as [Int32])
    XCTAssertEqual(
      try DTypeConversion(target: .uint8, range: (0, 100)).convert(
        ramp, frameIndex: 0, subject: subject
      ).values(UInt8.self), [0, 0, 128, 255, 255])
    XCTAssertEqual(
      try DTypeConversion(target: .float32, range: (0, 200)).convert(
        ramp, frameIndex: 0, subject: subject
      ).floats(), [0, 0, 0.25, 0.5, 1])
    XCTAssertEqual(
      try DTypeConversion(target: .uint16, range: (7, 7)).convert(
        ramp, frameIndex: 0, subject: subject
      ).values(UInt16.self), [0, 0, 0, 0, 0])
    let nan = NDArray(shape: [1, 1, 1], values: [Float.nan])
    XCTAssertThrowsError(
      try DTypeConversion(target: .uint8, range: (0, 1)).convert(
        nan, frameIndex: 0, subject: subject)
    )
  }
}
