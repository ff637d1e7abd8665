import XCTest

@testable import DeepCellKit

/// Parity of tiling and spline-blended untiling with deepcell-toolbox 0.12.1 `tile_image` /
/// `untile_image` (fixtures made by the oracle: a random (1, 150, 100, 2) float32 image,
/// 64×64 tiles, stride ratio 0.75; the "prediction" is `tile · 2 + 1`).
final class TilingTests: XCTestCase {
  func testTilesMatchReference() throws {
    let image = try loadFixtureNPY("predict/tiling_in_150x100x2.npy")
    let plan = TilePlan(height: 150, width: 100, tileHeight: 64, tileWidth: 64)
    XCTAssertEqual(plan.tileCount, 6)
    for mode in TilePadMode.allCases {
      let expected = try loadFixtureNPY("predict/tiling_tiles_\(mode.rawValue)_t64.npy").floats()
      let tiles = image.floats().withUnsafeBufferPointer {
        Tiling.cut($0, channels: 2, plan: plan, padMode: mode)
      }
      XCTAssertEqual(Array(tiles.joined()), expected, "\(mode)")
    }
  }

  func testUntileMatchesReference() throws {
    let image = try loadFixtureNPY("predict/tiling_in_150x100x2.npy")
    let plan = TilePlan(height: 150, width: 100, tileHeight: 64, tileWidth: 64)
    XCTAssertTrue(plan.blends)
    for mode in TilePadMode.allCases {
      let expected = try loadFixtureNPY("predict/tiling_untiled_\(mode.rawValue)_t64.npy").floats()
      let tiles = image.floats().withUnsafeBufferPointer {
        Tiling.cut($0, channels: 2, plan: plan, padMode: mode)
      }
      let predictions = tiles.map { $0.map { $0 * 2 + 1 } }
      let joined = Tiling.join(predictions, channels: 2, plan: plan)
      XCTAssertLessThanOrEqual(maxAbsDifference(joined, expected), 1e-6, "\(mode)")
    }
  }

  func testSplineWindowsMatchReference() throws {
    let expected = try loadFixtureNPY("predict/spline_windows_64.npy").doubleValues()
    let ours =
      Tiling.splineWindow(length: 64, overlapLeft: 16, overlapRight: 16)
      + Tiling.splineWindow(length: 64, overlapLeft: 0, overlapRight: 16)
      + Tiling.splineWindow(length: 64, overlapLeft: 1, overlapRight: 1)
      + Tiling.splineWindow(length: 64, overlapLeft: 3, overlapRight: 2)
    XCTAssertEqual(ours.count, expected.count)
    for (a, b) in zip(ours, expected) { XCTAssertEqual(a, b, accuracy: 1e-15) }
    // predict.md §4's numbers for L = 64.
    let w = Tiling.splineWindow(length: 256, overlapLeft: 64, overlapRight: 0)
    XCTAssertEqual(w[0], 0.000122, accuracy: 1e-6)
    XCTAssertEqual(w[31], 0.484556, accuracy: 1e-6)
    XCTAssertEqual(w[63], 1.0, accuracy: 1e-12)
  }

  func testPlanMatchesSpecExample() {
    // predict.md §3: 600×500, t = 256 → stride 192, 3×3 tiles, pads (20, 20) and (70, 70).
    let plan = TilePlan(height: 600, width: 500, tileHeight: 256, tileWidth: 256)
    XCTAssertEqual(plan.rows.stride, 192)
    XCTAssertEqual(plan.tileCount, 9)
    XCTAssertEqual([plan.rows.padBefore, plan.rows.padAfter], [20, 20])
    XCTAssertEqual([plan.columns.padBefore, plan.columns.padAfter], [70, 70])
    XCTAssertEqual((0..<3).map(plan.rows.start), [0, 192, 384])
  }

  func testShortAxisIsPaddedAloneAndRoundTrips() {
    // 40 rows (< tile) and 150 columns: rows padded to one tile, columns tiled.
    let h = 40
    let w = 150
    let frame = (0..<(h * w)).map { Float($0 % 97) / 97 }
    let plan = TilePlan(height: h, width: w, tileHeight: 64, tileWidth: 64)
    XCTAssertEqual(plan.rows.count, 1)
    XCTAssertEqual(plan.rows.paddedLength, 64)
    XCTAssertEqual(plan.columns.count, 3)
    XCTAssertFalse(plan.blends, "no blending when the tile covers a whole padded axis")
    let tiles = frame.withUnsafeBufferPointer {
      Tiling.cut($0, channels: 1, plan: plan, padMode: .constant)
    }
    XCTAssertEqual(tiles.count, 3)
    XCTAssertEqual(Tiling.join(tiles, channels: 1, plan: plan), frame)
  }

  func testBlendedIdentityIsNearlyExact() {
    // A prediction equal to its input untiles to the input up to the window's ripple.
    let h = 300
    let w = 260
    let frame = (0..<(h * w)).map { Float(($0 * 7919) % 1000) / 1000 }
    let plan = TilePlan(height: h, width: w, tileHeight: 128, tileWidth: 128)
    XCTAssertTrue(plan.blends)
    let tiles = frame.withUnsafeBufferPointer {
      Tiling.cut($0, channels: 1, plan: plan, padMode: .reflect)
    }
    XCTAssertLessThanOrEqual(
      maxAbsDifference(Tiling.join(tiles, channels: 1, plan: plan), frame), 1e-3)
  }
}
