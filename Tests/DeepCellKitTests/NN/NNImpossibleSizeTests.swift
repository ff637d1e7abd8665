import Foundation
import XCTest

@testable import DeepCellKit

/// Buffers whose size comes from user input (batch, crop, frame, a model file's architecture)
/// and cannot exist: a thrown ``DeepCellError`` (one line, exit 65 or 74), never an abort.
final class NNImpossibleSizeTests: XCTestCase {
  func testBufferLargerThanMemoryThrows() {
    let count = Int(ProcessInfo.processInfo.physicalMemory / 4) + 1
    XCTAssertThrowsError(try FloatBuffer(count: count)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .io)
      XCTAssertTrue("\($0)".contains("more than this machine's"), "\($0)")
    }
    XCTAssertThrowsError(try FloatBuffer(count: Int.max / 2)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .io)
    }
    XCTAssertEqual(try FloatBuffer(count: 3).values, [0, 0, 0])
  }

  func testTensorWhoseElementCountOverflowsThrows() {
    XCTAssertThrowsError(try Tensor(TensorShape(1 << 40, 1, 1 << 20, 1 << 20), layout: .nchw)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    XCTAssertThrowsError(try Tensor(TensorShape(1 << 20, 64, 1024, 1024), layout: .nchw)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .io)
    }
  }

  func testArchitectureTooLargeForMemoryThrows() {
    var c = PanopticNetConfiguration()
    c.featureSize = 3_000_000_000
    XCTAssertThrowsError(try PanopticNet(c, seed: 0)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .io)
    }
    c.featureSize = 1 << 62
    XCTAssertThrowsError(try PanopticNet(c, seed: 0)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
  }
}
