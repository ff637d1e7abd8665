import XCTest

@testable import DeepCellKit

/// Golden parity of ``DeepWatershed`` against deepcell-toolbox 0.12.1 `deep_watershed`:
/// labels must be identical (watershed.md; golden READMEs in ../shared/golden).
final class DeepWatershedParityTests: XCTestCase {
  /// Runs the batch API on fixtures `maxima`/`interior` and compares with `expected`.
  private func assertIdentical(
    maxima: String, interior: String, expected: String, parameters: DeepWatershedParameters,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let m = try loadFixtureNPY("watershed/\(maxima)")
    let i = try loadFixtureNPY("watershed/\(interior)")
    let want = try loadFixtureNPY("watershed/\(expected)")
    let got = try DeepWatershed.segment(outputs: [m, i], parameters: parameters)
    XCTAssertEqual(got.count, want.count, file: file, line: line)
    let g = got.integerValues()
    let w = want.integerValues()
    let mismatches = zip(g, w).filter { $0 != $1 }.count
    XCTAssertEqual(
      mismatches, 0, "\(expected): \(mismatches) pixels differ", file: file, line: line)
    XCTAssertEqual(g.max(), w.max(), "\(expected): object count", file: file, line: line)
  }

  func testDeepcellToolboxGoldenHMaxima() throws {
    var p = DeepWatershedParameters()
    p.minDistance = 10  // the golden call passes the deprecated alias too
    try assertIdentical(
      maxima: "dw_inner.npy", interior: "dw_outer.npy", expected: "dw_labels.npy", parameters: p)
  }

  func testDeepcellToolboxGoldenPeakLocalMax() throws {
    var p = DeepWatershedParameters()
    p.minDistance = 10
    p.maximaAlgorithm = .peakLocalMax
    try assertIdentical(
      maxima: "dw_inner.npy", interior: "dw_outer.npy", expected: "dw_labels_peak_local_max.npy",
      parameters: p)
  }

  private let inner = "inner_alpha_auto_beta1_erosion0.npy"
  private let outer = "outer_erosion1.npy"

  func testSpecSyntheticDefaults() throws {
    try assertIdentical(
      maxima: inner, interior: outer, expected: "watershed_out_defaults.npy",
      parameters: DeepWatershedParameters())
  }

  func testSpecSyntheticRadius3() throws {
    var p = DeepWatershedParameters()
    p.radius = 3
    try assertIdentical(
      maxima: inner, interior: outer, expected: "watershed_out_radius3.npy", parameters: p)
  }

  func testSpecSyntheticPeakLocalMaxRadius5() throws {
    var p = DeepWatershedParameters()
    p.radius = 5
    p.maximaAlgorithm = .peakLocalMax
    try assertIdentical(
      maxima: inner, interior: outer, expected: "watershed_out_peak_local_max_radius5.npy",
      parameters: p)
  }

  func testSpecSyntheticSmallObjectsAndErosion() throws {
    var p = DeepWatershedParameters()
    p.radius = 3
    p.smallObjectsThreshold = 30
    p.labelErosion = 1
    try assertIdentical(
      maxima: inner, interior: outer, expected: "watershed_out_smallobj30_erosion1.npy",
      parameters: p)
  }
}
