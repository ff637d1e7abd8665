import XCTest

@testable import DeepCellKit

/// dc-train's contact weights: 1 + w₀ only where a window holds two different nuclei.
final class ContactWeightMapTests: XCTestCase {
  /// A 6×14 frame: nuclei 1 and 2 touch at columns 3|4, nucleus 3 stands 4 px from nucleus 2
  /// at columns 11–12.
  let frame: [Int32] = (0..<6).flatMap { y -> [Int32] in
    (0..<14).map { x -> Int32 in
      guard (1...4).contains(y) else { return 0 }
      if (1...3).contains(x) { return 1 }
      if (4...6).contains(x) { return 2 }
      if (11...12).contains(x) { return 3 }
      return 0
    }
  }

  func testWeightsOnlyTheContactBand() {
    let w = frame.withUnsafeBufferPointer {
      ContactWeightMap.compute(labels: $0, height: 6, width: 14, radius: 1, weight: 4)
    }
    for y in 0..<6 {
      for x in 0..<14 {
        // Within one pixel (Chebyshev) of both nucleus 1 (x ≤ 3) and nucleus 2 (x ≥ 4), rows
        // 0–5 reach rows 1–4 through the window.
        let contact = (3...4).contains(x)
        XCTAssertEqual(w[y * 14 + x], contact ? 5 : 1, "(\(y), \(x))")
      }
    }
    // Radius 2: columns 2–5; the 4-px gap between nuclei 2 and 3 is wider than the window.
    let w2 = frame.withUnsafeBufferPointer {
      ContactWeightMap.compute(labels: $0, height: 6, width: 14, radius: 2, weight: 4)
    }
    for x in 0..<14 { XCTAssertEqual(w2[2 * 14 + x], (2...5).contains(x) ? 5 : 1, "x \(x)") }
    // Radius 3 bridges that gap at columns 8–9 (within 3 of both column 6 and column 11).
    let w3 = frame.withUnsafeBufferPointer {
      ContactWeightMap.compute(labels: $0, height: 6, width: 14, radius: 3, weight: 4)
    }
    for x in 7...13 { XCTAssertEqual(w3[2 * 14 + x], (8...9).contains(x) ? 5 : 1, "x \(x)") }
  }

  func testLabelsBeyondFloatPrecisionStayDistinct() {
    // 2³⁰ and 2³⁰ + 1 are the same float32; the map must still see two nuclei.
    let big: [Int32] = [1 << 30, (1 << 30) + 1, 0, 0]
    let w = big.withUnsafeBufferPointer {
      ContactWeightMap.compute(labels: $0, height: 1, width: 4, radius: 1, weight: 3)
    }
    XCTAssertEqual(w, [4, 4, 1, 1])
  }

  func testBatchTensorAndAllBackground() throws {
    var values = frame
    values += [Int32](repeating: 0, count: 84)
    let labels = NDArray(shape: [2, 6, 14, 1], values: values)
    let t = try ContactWeightMap.tensor(labels: labels, radius: 1, weight: 2)
    XCTAssertEqual(t.shape, TensorShape(2, 1, 6, 14))
    let all = t.nchwValues()
    XCTAssertEqual(all[2 * 14 + 3], 3)
    XCTAssertTrue(all[84...].allSatisfy { $0 == 1 })
  }
}
