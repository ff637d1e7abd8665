import XCTest

@testable import DeepCellKit

/// ``SquareRootTransform``: √(x − min) before the normalization it wraps.
final class SquareRootTransformTests: XCTestCase {
  private func normalized(_ values: [Float], _ method: any PlaneNormalization, h: Int, w: Int)
    throws -> [Float]
  {
    var out = [Float](repeating: -1, count: values.count)
    try values.withUnsafeBufferPointer { src in
      try out.withUnsafeMutableBufferPointer { dst in
        try method.normalize(src, height: h, width: w, sourceType: .uint16, into: dst, threads: 2)
      }
    }
    return out
  }

  func testSquareRootsThenTheWrappedNormalization() throws {
    var rng = RandomGenerator(seed: 11)
    let (h, w) = (37, 45)
    let plane = (0..<(h * w)).map { _ in Float(UInt16(rng.uniform(100, 60000))) }
    let lo = plane.min()!
    // The float64 roots rounded to float32, as numpy's sqrt of the float64 values gives them.
    let roots = plane.map { Float((Double($0) - Double(lo)).squareRoot()) }
    let clahe = HistogramNormalization(kernelSize: nil)
    XCTAssertEqual(
      try normalized(plane, SquareRootTransform(clahe), h: h, w: w),
      try normalized(roots, clahe, h: h, w: w))
    XCTAssertEqual(
      try normalized(plane, IntensityTransform.sqrt.applied(to: clahe), h: h, w: w),
      try normalized(roots, clahe, h: h, w: w))
    XCTAssertEqual(
      try normalized(plane, IntensityTransform.none.applied(to: clahe), h: h, w: w),
      try normalized(plane, clahe, h: h, w: w))
    // A constant plane stays all zeros.
    XCTAssertEqual(
      try normalized([Float](repeating: 7, count: 12), SquareRootTransform(clahe), h: 3, w: 4),
      [Float](repeating: 0, count: 12))
  }

  func testDimObjectsKeepMoreContrast() throws {
    // A bright and a dim square on a zero background: after the square root (followed by the
    // percentile method at 100, which leaves the values as they are) the dim one, at a fifth
    // of the bright one's brightness, keeps √(1/5) ≈ 0.45 of its contrast.
    var plane = [Float](repeating: 0, count: 20 * 20)
    for y in 2..<6 { for x in 2..<6 { plane[y * 20 + x] = 1000 } }
    for y in 10..<14 { for x in 10..<14 { plane[y * 20 + x] = 200 } }
    let rooted = try normalized(
      plane, SquareRootTransform(PercentileNormalization(percentile: 100)), h: 20, w: 20)
    XCTAssertEqual(
      rooted[10 * 20 + 10] / rooted[2 * 20 + 2], (0.2 as Float).squareRoot(), accuracy: 1e-6)
  }
}
