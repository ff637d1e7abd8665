import XCTest

@testable import DeepCellKit

/// Bad and degenerate input to ``DeepWatershed``: a clear error or the reference's result,
/// never a crash (issue: dc-watershed, "Bad input").
final class DeepWatershedInputTests: XCTestCase {
  private func map(_ h: Int, _ w: Int, _ f: (Int, Int) -> Float) -> NDArray {
    var v: [Float] = []
    for y in 0..<h { for x in 0..<w { v.append(f(y, x)) } }
    return NDArray(shape: [1, h, w, 1], values: v)
  }

  private func bump(_ h: Int, _ w: Int) -> NDArray {
    map(h, w) { y, x in
      max(0, 1 - Float((y - h / 2) * (y - h / 2) + (x - w / 2) * (x - w / 2)) / 40)
    }
  }

  private func assertError(
    _ kind: DeepCellError.Kind, _ body: () throws -> Any, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
      XCTAssertEqual((error as? DeepCellError)?.kind, kind, "\(error)", file: file, line: line)
    }
  }

  func testDifferentShapesAreAnError() {
    assertError(.badData) {
      try DeepWatershed.segment(
        outputs: [self.bump(20, 20), self.bump(20, 21)], parameters: .init())
    }
    assertError(.badData) {
      try DeepWatershed.segment(
        maxima: [0, 1], interior: [0, 1, 2], height: 1, width: 2, parameters: .init())
    }
  }

  func testNaNOrInfinityIsAnError() {
    let nan = map(10, 10) { y, x in y == 3 && x == 4 ? .nan : 0.5 }
    assertError(.badData) {
      try DeepWatershed.segment(outputs: [nan, self.bump(10, 10)], parameters: .init())
    }
    assertError(.badData) {
      try DeepWatershed.segment(outputs: [self.bump(10, 10), nan], parameters: .init())
    }
    let inf = map(10, 10) { _, _ in .infinity }
    assertError(.badData) {
      try DeepWatershed.segment(outputs: [inf, self.bump(10, 10)], parameters: .init())
    }
  }

  func testParametersOutOfRangeAreUsageErrors() {
    let m = bump(16, 16)
    var p = DeepWatershedParameters()
    for change: (inout DeepWatershedParameters) -> Void in [
      { $0.maximaThreshold = 0 }, { $0.maximaThreshold = -0.1 }, { $0.maximaThreshold = .nan },
      { $0.interiorThreshold = .infinity }, { $0.radius = -1 }, { $0.interiorSmooth = -1 },
      { $0.smallObjectsThreshold = -3 }, { $0.labelErosion = -1 }, { $0.pixelExpansion = -2 },
      { $0.detectionThreshold = 0 }, { $0.interiorIndex = 5 },
    ] {
      p = DeepWatershedParameters()
      change(&p)
      assertError(.usage) { try DeepWatershed.segment(outputs: [m, m], parameters: p) }
    }
    // peak_local_max accepts a zero or negative threshold, as the reference does.
    p = DeepWatershedParameters()
    p.maximaAlgorithm = .peakLocalMax
    p.maximaThreshold = -1
    XCTAssertNoThrow(try DeepWatershed.segment(outputs: [m, m], parameters: p))
  }

  func testEmptyOrConstantMapsGiveNoObjects() throws {
    for value: Float in [0, 0.7] {
      let flat = map(12, 15) { _, _ in value }
      for algorithm in DeepWatershedParameters.MaximaAlgorithm.allCases {
        var p = DeepWatershedParameters()
        p.maximaAlgorithm = algorithm
        let labels = try DeepWatershed.segment(outputs: [flat, flat], parameters: p)
        XCTAssertEqual(labels.shape, [1, 12, 15, 1])
        XCTAssertEqual(labels.integerValues().max(), 0, "\(algorithm) on constant \(value)")
      }
    }
    let none = try DeepWatershed.segment(
      outputs: [
        NDArray(zeros: [0, 4, 4, 1], dtype: .float32),
        NDArray(zeros: [0, 4, 4, 1], dtype: .float32),
      ],
      parameters: .init())
    XCTAssertEqual(none.shape, [0, 4, 4, 1])
  }

  func testOneBumpIsOneObjectAndAliasesWin() throws {
    let m = bump(21, 23)
    let labels = try DeepWatershed.segment(outputs: [m, m], parameters: .init())
    XCTAssertEqual(labels.integerValues().max(), 1)
    // Aliases override: a detection threshold above the range leaves no markers.
    var p = DeepWatershedParameters()
    p.detectionThreshold = 2
    XCTAssertEqual(
      try DeepWatershed.segment(outputs: [m, m], parameters: p).integerValues().max(), 0)
    p = DeepWatershedParameters()
    p.distanceThreshold = 5  // nothing above it: empty mask
    XCTAssertEqual(
      try DeepWatershed.segment(outputs: [m, m], parameters: p).integerValues().max(), 0)
    XCTAssertEqual(p.effectiveInteriorThreshold, 5)
  }

  func testResultDoesNotDependOnThreads() throws {
    let m = try loadFixtureNPY("watershed/dw_inner.npy")
    let i = try loadFixtureNPY("watershed/dw_outer.npy")
    var p = DeepWatershedParameters()
    p.radius = 5
    let one = try DeepWatershed.segment(outputs: [m, i], parameters: p, threads: 1)
    let many = try DeepWatershed.segment(outputs: [m, i], parameters: p, threads: 4)
    XCTAssertEqual(one, many)
  }

  func testAllStepsRunTogether() throws {
    // Every optional step switched on: smoothing both maps, pixel expansion, erosion,
    // small-object removal and hole filling; labels stay sequential 1…N.
    let m = try loadFixtureNPY("watershed/inner_alpha_auto_beta1_erosion0.npy")
    let i = try loadFixtureNPY("watershed/outer_erosion1.npy")
    var p = DeepWatershedParameters()
    p.radius = 3
    p.maximaSmooth = 1
    p.pixelExpansion = 1
    p.labelErosion = 1
    p.smallObjectsThreshold = 10
    p.fillHolesThreshold = 5
    let labels = try DeepWatershed.segment(outputs: [m, i], parameters: p).integerValues()
    let present = Set(labels.filter { $0 != 0 })
    XCTAssertEqual(present, Set(1...Int64(present.count)))
    XCTAssertGreaterThan(present.count, 0)
  }

  func testOverlayColoursOutlines() {
    let labels: [Int32] = [0, 0, 0, 0, 1, 1, 0, 1, 1]
    let image: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    let rgb = LabelOverlay.render(image: image, labels: labels, height: 3, width: 3)
    XCTAssertEqual(rgb.count, 27)
    XCTAssertEqual(Array(rgb[0..<3]), [0, 0, 0])  // darkest grey
    let c = LabelOverlay.colour(for: 1)
    XCTAssertEqual(Array(rgb[12..<15]), [c.red, c.green, c.blue])  // outline pixel
    XCTAssertNotEqual(LabelOverlay.colour(for: 1).red, LabelOverlay.colour(for: 2).red)
  }
}
