import XCTest

@testable import DeepCellKit

final class TestTimeFlipsTests: XCTestCase {
  let (h, w, c) = (3, 4, 2)

  func frame(_ seed: Int) -> [Float] { (0..<(3 * 4 * 2)).map { Float(($0 * 7 + seed) % 11) } }

  func testFlipsAreTheirOwnInverseAndMoveThePixels() {
    let f = frame(1)
    for flip in TestTimeFlips.flips {
      let once = TestTimeFlips.flipped(
        f, height: h, width: w, channels: c, vertical: flip.vertical, horizontal: flip.horizontal)
      XCTAssertEqual(
        TestTimeFlips.flipped(
          once, height: h, width: w, channels: c, vertical: flip.vertical,
          horizontal: flip.horizontal), f)
    }
    let lr = TestTimeFlips.flipped(
      f, height: h, width: w, channels: c, vertical: false, horizontal: true)
    // Pixel (0, 0) of the left–right flip is pixel (0, w − 1), both channels.
    XCTAssertEqual(Array(lr[0..<2]), Array(f[((w - 1) * c)..<(w * c)]))
    let tb = TestTimeFlips.flipped(
      f, height: h, width: w, channels: c, vertical: true, horizontal: false)
    XCTAssertEqual(Array(tb[0..<(w * c)]), Array(f[((h - 1) * w * c)..<(h * w * c)]))
  }

  func testAnEquivariantPredictorIsUnchangedAndAPositionalOneIsSymmetrised() {
    let frames = [frame(0), frame(5)]
    // Identity "model": every flip comes back to the frame itself.
    let same = TestTimeFlips.averaged(frames, height: h, width: w, channels: c, classes: [c]) {
      $0.map { [$0] }
    }
    XCTAssertEqual(same.map { $0[0] }, frames)
    // A model that outputs the column index (like the location layer): the average of x and
    // w − 1 − x is (w − 1) / 2 everywhere.
    let column = TestTimeFlips.averaged(frames, height: h, width: w, channels: c, classes: [1]) {
      variants in
      variants.map { _ in [(0..<(self.h * self.w)).map { Float($0 % self.w) }] }
    }
    for f in column {
      XCTAssertEqual(f[0], [Float](repeating: Float(w - 1) / 2, count: h * w))
    }
  }
}
