import XCTest

@testable import DeepCellKit

/// Target transforms against deepcell 0.12.10's `_transform_masks` (augment.md §5):
/// golden files from ../shared/golden (copied to Tests/Fixtures/augment) and extra
/// fixtures from Tests/Fixtures/augment/make_fixtures.py. Tolerance: float maps ≤ 1e-5
/// (the bound; measured values are printed), one-hot maps bit-exact.
final class TargetParityTests: XCTestCase {
  static let labels64 = "augment/labels_64.npy"

  func target(_ t: TargetTransform, _ labelsFixture: String = labels64) throws -> NDArray {
    try t.apply(to: loadFixtureNPY(labelsFixture))
  }

  func assertClose(
    _ t: TargetTransform, _ expected: String, labels: String = labels64, tolerance: Float = 1e-5,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let ours = try target(t, labels)
    let want = try loadFixtureNPY(expected)
    XCTAssertEqual(ours.count, want.count, "element count", file: file, line: line)
    XCTAssertEqual(ours.dtype, .float32, file: file, line: line)
    XCTAssertEqual(
      ours.shape.suffix(3),
      want.shape.count == 2 ? [want.shape[0], want.shape[1], 1] : want.shape.suffix(3), file: file,
      line: line)
    let err = maxAbsDifference(ours.floats(), want.floats())
    print("parity \(expected): max abs error \(err)")
    XCTAssertLessThanOrEqual(err, tolerance, expected, file: file, line: line)
  }

  func assertExact(
    _ t: TargetTransform, _ expected: String, labels: String = labels64,
    file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let ours = try target(t, labels)
    let want = try loadFixtureNPY(expected)
    XCTAssertEqual(ours.dtype, .uint8, file: file, line: line)
    XCTAssertEqual(ours.shape.suffix(3), want.shape.suffix(3), file: file, line: line)
    let a = ours.values(UInt8.self)
    let b = want.values(UInt8.self)
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    let mismatches = zip(a, b).filter { $0 != $1 }.count
    XCTAssertEqual(
      mismatches, 0, "\(expected): \(mismatches) elements differ", file: file, line: line)
  }

  func testInnerDistanceSynthetic() throws {
    try assertClose(
      .innerDistance(alpha: .auto, beta: 1, erosionWidth: 0, bins: nil),
      "augment/inner_alpha_auto_beta1_erosion0.npy")
    try assertClose(
      .innerDistance(alpha: .fixed(0.1), beta: 1, erosionWidth: 0, bins: nil),
      "augment/inner_alpha0.1_beta1_erosion0.npy")
    try assertClose(
      .innerDistance(alpha: .fixed(0.5), beta: 2, erosionWidth: 2, bins: nil),
      "augment/extra_inner_alpha0.5_beta2_erosion2.npy")
  }

  func testOuterDistanceSynthetic() throws {
    try assertClose(
      .outerDistance(erosionWidth: 1, bins: nil), "augment/outer_erosion1.npy", tolerance: 0)
    try assertClose(
      .outerDistance(erosionWidth: 0, bins: nil), "augment/outer_erosion0.npy", tolerance: 0)
    try assertClose(
      .outerDistance(erosionWidth: 2, bins: nil), "augment/extra_outer_erosion2.npy", tolerance: 0)
  }

  func testOneHotTargetsSynthetic() throws {
    try assertExact(.fgbg, "augment/fgbg.npy")
    try assertExact(
      .pixelwise(dilationRadius: nil, separateEdgeClasses: false), "augment/pixelwise.npy")
    try assertExact(
      .pixelwise(dilationRadius: 2, separateEdgeClasses: false), "augment/extra_pixelwise_r2.npy")
    try assertExact(
      .pixelwise(dilationRadius: nil, separateEdgeClasses: true),
      "augment/extra_pixelwise_separate.npy")
    try assertExact(
      .pixelwise(dilationRadius: 1, separateEdgeClasses: true),
      "augment/extra_pixelwise_separate_r1.npy")
    try assertExact(
      .innerDistance(alpha: .auto, beta: 1, erosionWidth: 0, bins: 4),
      "augment/extra_inner_bins4.npy")
    try assertExact(
      .outerDistance(erosionWidth: 1, bins: 5), "augment/extra_outer_bins5_erosion1.npy")
  }

  /// Frame 0 of ../shared/golden/deepcell-toolbox/transforms.npz (38 elliptical nuclei, 256²).
  func testToolboxTransformsFrame0() throws {
    let y = "augment/transforms0_y_u1.npy"
    try assertClose(
      TargetTransform.notebookInner, "augment/transforms0_inner_distance.npy", labels: y)
    try assertClose(
      TargetTransform.notebookOuter, "augment/transforms0_outer_distance.npy", labels: y,
      tolerance: 0)
    try assertClose(
      .outerDistance(erosionWidth: 0, bins: nil), "augment/transforms0_outer_distance_erosion0.npy",
      labels: y, tolerance: 0)
    try assertExact(.fgbg, "augment/transforms0_fgbg.npy", labels: y)
    try assertExact(
      .pixelwise(dilationRadius: nil, separateEdgeClasses: false),
      "augment/transforms0_pixelwise.npy", labels: y)
  }

  func testBadLabels() throws {
    let floats = NDArray(shape: [4, 4], values: [Float](repeating: 1, count: 16))
    XCTAssertThrowsError(try TargetTransform.fgbg.apply(to: floats)) { error in
      XCTAssertEqual((error as? DeepCellError)?.kind, .badData)
      XCTAssertTrue("\(error)".contains("integers"), "\(error)")
    }
    let negative = NDArray(shape: [2, 2], values: [Int16(0), 1, -2, 1])
    XCTAssertThrowsError(try TargetTransform.fgbg.apply(to: negative)) { error in
      XCTAssertEqual((error as? DeepCellError)?.kind, .badData)
    }
    let twoChannels = NDArray(zeros: [1, 4, 4, 2], dtype: .int32)
    XCTAssertThrowsError(try TargetTransform.fgbg.apply(to: twoChannels))
    XCTAssertThrowsError(
      try TargetTransform.outerDistance(erosionWidth: -1, bins: nil).apply(
        to: NDArray(zeros: [4, 4], dtype: .int32))
    ) { error in XCTAssertEqual((error as? DeepCellError)?.kind, .usage) }
  }

  func testThreadCountDoesNotChangeTargets() throws {
    let y = try loadFixtureNPY("augment/transforms0_y_u1.npy")
    let stack = NDArray.stacking([y, y, y])!
    for t in TargetTransform.notebookDefaults {
      XCTAssertEqual(try t.apply(to: stack, threads: 1), try t.apply(to: stack, threads: 3))
    }
  }
}
