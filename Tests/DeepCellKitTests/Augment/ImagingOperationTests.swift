import XCTest

@testable import DeepCellKit

/// The imaging operations under the targets and the generator: exact EDT against brute
/// force, boundaries/erosion, label properties, and the affine warp against scipy/Keras.
final class ImagingOperationTests: XCTestCase {
  /// Deterministic pseudo-random masks (our own LCG; content does not matter).
  func randomMask(height: Int, width: Int, density: Double, seed: UInt64) -> [UInt8] {
    var s = seed
    return (0..<(height * width)).map { _ in
      s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(s >> 11) / Double(1 << 53) < density ? 1 : 0
    }
  }

  func testEDTMatchesBruteForce() {
    for (h, w, density, seed) in [
      (17, 23, 0.9, 1), (40, 9, 0.97, 2), (1, 30, 0.8, 3), (30, 1, 0.7, 4), (25, 25, 0.5, 5),
    ]
      as [(Int, Int, Double, UInt64)]
    {
      let mask = randomMask(height: h, width: w, density: density, seed: seed)
      let d = EuclideanDistanceTransform.distances(of: mask, height: h, width: w)
      let zeros = (0..<(h * w)).filter { mask[$0] == 0 }
      XCTAssertFalse(zeros.isEmpty)
      for i in 0..<(h * w) {
        var best = Int.max
        for z in zeros {
          let dr = i / w - z / w
          let dc = i % w - z % w
          best = min(best, dr * dr + dc * dc)
        }
        XCTAssertEqual(d[i], Float(Double(best).squareRoot()), "pixel \(i) of \(h)x\(w)")
      }
    }
  }

  func testEDTWithoutBackgroundMatchesScipyQuirk() {
    // scipy: distance_transform_edt(np.ones((3, 4))) measures from the virtual pixel (-1, 0).
    let d = EuclideanDistanceTransform.distances(
      of: [UInt8](repeating: 1, count: 12), height: 3, width: 4)
    XCTAssertEqual(d[0], 1)
    XCTAssertEqual(d[3], Float(10.0.squareRoot()))
    XCTAssertEqual(d[11], Float(18.0.squareRoot()))
  }

  func testBoundariesAndErosion() {
    // Two touching 3×3 squares (labels 1 and 2) in a 5×7 image.
    var labels = [Int32](repeating: 0, count: 35)
    for r in 1..<4 {
      for c in 1..<4 { labels[r * 7 + c] = 1 }
      for c in 4..<7 { labels[r * 7 + c] = 2 }
    }
    let b = LabelBoundaries.inner(of: labels, height: 5, width: 7)
    XCTAssertEqual(b[2 * 7 + 2], 0, "centre of square 1 is interior")
    XCTAssertEqual(b[2 * 7 + 3], 1, "touching column is a boundary")
    XCTAssertEqual(b[2 * 7 + 6], 0, "the image border is not a boundary")
    let eroded = EdgeErosion.eroded(labels, height: 5, width: 7, iterations: 1)
    XCTAssertEqual(eroded.filter { $0 == 1 }.count, 1)
    XCTAssertEqual(eroded.filter { $0 == 2 }.count, 2, "column 6 survives at the border")
  }

  func testLabelPropertiesWeightedCentroid() {
    let labels: [Int32] = [0, 1, 1, 0, 2, 0]
    let intensity: [Float] = [9, 1, 3, 9, 5, 9]
    let p = labels.withUnsafeBufferPointer { l in
      intensity.withUnsafeBufferPointer { i in
        LabelProperties(labels: l, height: 2, width: 3, maxLabel: 2, intensity: i)
      }
    }
    XCTAssertEqual(p.area[1], 2)
    XCTAssertEqual(p.centroidCol[1], 1.5)
    XCTAssertEqual(p.weightedCentroidCol[1], 1.75)
    XCTAssertEqual(p.weightedCentroidRow[2], 1)
    XCTAssertEqual(p.endCol[2], 2)
  }

  func testComponentsOfLabelImageSplitLabelsAndDiagonals() {
    // Label 1 in two pieces, label 2 touching label 3 diagonally (8-connected per value),
    // as the targets label a label image (augment.md §5 "components").
    let labels: [Int32] = [
      1, 0, 1,
      0, 2, 0,
      3, 0, 2,
    ]
    let (out, n) = ConnectedComponents.label(
      labels, height: 3, width: 3, connectivity: .eight, background: 0)
    XCTAssertEqual(n, 4)
    XCTAssertEqual(out, [1, 0, 2, 0, 3, 0, 4, 0, 3])
  }

  func testAffineGoldenOrder1() throws {
    let input = try loadFixtureNPY("augment/affine_in_64x48x1.npy")
    let warp = try XCTUnwrap(AffineWarp.keras(theta: 30, zx: 0.8, zy: 1.25, height: 64, width: 48))
    let ours = try warp.apply(to: input, order: 1, fillMode: .nearest)
    let want = try loadFixtureNPY("augment/affine_theta30_zx0.8_zy1.25_order1_nearest.npy")
    let err = maxAbsDifference(ours.floats(), want.floats())
    print("parity affine order 1: max abs error \(err)")
    XCTAssertEqual(err, 0)
  }

  func testAffineGoldenOrder0Labels() throws {
    let labels = try loadFixtureNPY("augment/labels_64.npy").converted(to: .float32).reshaped([
      64, 64, 1,
    ])
    let warp = try XCTUnwrap(AffineWarp.keras(theta: -45, zx: 1.2, zy: 0.9, height: 64, width: 64))
    let ours = try warp.apply(to: labels, order: 0, fillMode: .nearest)
    let want = try loadFixtureNPY("augment/affine_labels_theta-45_zx1.2_zy0.9_order0_nearest.npy")
    XCTAssertEqual(ours.floats(), want.floats())
  }

  func testAffineFillModesAndShearShift() throws {
    let one = try loadFixtureNPY("augment/affine_in_64x48x1.npy").floats()
    // Channel 1 = rows reversed × 0.5, as make_fixtures.py builds it.
    var two = [Float](repeating: 0, count: 64 * 48 * 2)
    for r in 0..<64 {
      for c in 0..<48 {
        two[(r * 48 + c) * 2] = one[r * 48 + c]
        two[(r * 48 + c) * 2 + 1] = one[(63 - r) * 48 + c] * 0.5
      }
    }
    let image = NDArray(shape: [64, 48, 2], values: two)
    let warp = try XCTUnwrap(
      AffineWarp.keras(
        theta: 30, tx: 3.5, ty: -2.25, shear: 10, zx: 0.8, zy: 1.25, height: 64, width: 48))
    for mode in FillMode.allCases {
      for order in [0, 1] {
        let ours = try warp.apply(to: image, order: order, fillMode: mode, cval: -3)
        let want = try loadFixtureNPY("augment/extra_affine_\(mode.rawValue)_order\(order).npy")
        let err = maxAbsDifference(ours.floats(), want.floats())
        print("parity affine \(mode) order \(order): max abs error \(err)")
        XCTAssertLessThanOrEqual(err, order == 0 ? 0 : 1e-4, "\(mode) order \(order)")
      }
    }
  }

  func testIdentityKerasWarpIsSkipped() {
    XCTAssertNil(AffineWarp.keras(height: 10, width: 10))
    XCTAssertNotNil(AffineWarp.keras(zx: 1.1, height: 10, width: 10))
  }
}
