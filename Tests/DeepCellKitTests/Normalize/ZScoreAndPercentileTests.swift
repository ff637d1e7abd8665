import XCTest

@testable import DeepCellKit

/// Parity of the z-score and percentile normalizations with deepcell-toolbox 0.12.1
/// (normalize.md §2). Fixtures made by Tests/Fixtures/normalize/make_fixtures.py.
final class ZScoreAndPercentileTests: XCTestCase {
  /// `processing.normalize`: float32 mean/std in numpy vs float64 here, so agreement is to
  /// float32 rounding of the statistics: 2e-6 absolute on outputs of magnitude ≲ 100.
  func testZScoreMatchesReference() throws {
    let x = try loadFixtureNPY("normalize/norm_in_f32.npy")
    let expected = try loadFixtureNPY("normalize/zscore_out.npy")
    let out = try StackNormalizer(ZScoreNormalization()).normalize(stack: x, subject: "x")
    XCTAssertEqual(out.shape, x.shape)
    let diff = zip(out.floats(), expected.floats()).map { abs($0 - $1) / max(1, abs($1)) }.max()!
    XCTAssertLessThanOrEqual(diff, 2e-6)
    // The constant plane (frame 1, channel 1) is exactly zero, as in the reference.
    let values = out.floats()
    let planeSize = 40 * 50
    let plane: [Float] = (0..<planeSize).map { (i: Int) -> Float in values[(planeSize + i) * 2 + 1]
    }
    XCTAssertEqual(Set(plane), [0])
  }

  func testZScoreOfIntegersMatchesReference() throws {
    let x = try loadFixtureNPY("normalize/norm_in_u16.npy")
    let expected = try loadFixtureNPY("normalize/zscore_u16_out.npy")
    let out = try StackNormalizer(ZScoreNormalization()).normalize(stack: x, subject: "x")
    XCTAssertEqual(out.dtype, .float32)
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), expected.floats()), 2e-6)
  }

  /// `processing.percentile_threshold`: bit-exact (the percentile is float64, as numpy's).
  func testPercentileMatchesReference() throws {
    let x = try loadFixtureNPY("normalize/norm_in_f32.npy")
    for (q, name) in [(99.9, "percentile_out_99.9.npy"), (90, "percentile_out_90.npy")] {
      let expected = try loadFixtureNPY("normalize/" + name)
      let out = try StackNormalizer(PercentileNormalization(percentile: q)).normalize(
        stack: x, subject: "x")
      XCTAssertEqual(out.floats(), expected.floats(), "percentile \(q)")
    }
  }

  /// Integer input: the threshold written back is truncated, as numpy's assignment into uint16.
  func testPercentileOfIntegersMatchesReference() throws {
    let x = try loadFixtureNPY("normalize/norm_in_u16.npy")
    let expected = try loadFixtureNPY("normalize/percentile_u16_out_99.9.npy")
    let out = try StackNormalizer(PercentileNormalization()).normalize(stack: x, subject: "x")
    XCTAssertEqual(out.dtype, .float32)
    XCTAssertEqual(out.floats(), expected.floats())
  }

  func testLinearPercentileMatchesNumpy() {
    // np.percentile(np.arange(10, dtype=np.float32) * 1.1, 99.9) == 9.890100568771365
    let values = (0..<10).map { Float($0) * Float(1.1) }
    XCTAssertEqual(
      PercentileNormalization.linearPercentile(sorted: values, percentile: 99.9), 9.890100568771365)
    XCTAssertEqual(PercentileNormalization.linearPercentile(sorted: [4], percentile: 50), 4)
    XCTAssertEqual(PercentileNormalization.linearPercentile(sorted: [1, 3], percentile: 100), 3)
    XCTAssertEqual(PercentileNormalization.linearPercentile(sorted: [1, 3], percentile: 0), 1)
  }

  func testPercentileOutOfRangeIsUsageError() {
    let stack = NDArray(shape: [4, 4], values: [Float](repeating: 1, count: 16))
    XCTAssertThrowsError(
      try StackNormalizer(PercentileNormalization(percentile: 101)).normalize(
        stack: stack, subject: "x")
    ) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage)
    }
  }
}
