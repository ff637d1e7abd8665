import XCTest

@testable import DeepCellKit

/// The spool of dc-track's first pass gives back exactly the frames it was given, in order,
/// after a rewind (run-length encoding of label frames with long runs, single pixels, a frame
/// that is all one label, and labels beyond 16 bits).
final class TrackedFrameSpoolTests: XCTestCase {
  func testFramesComeBackBitForBitInOrder() throws {
    let pixels = 6 * 7
    var rng = RandomGenerator(seed: 4)
    var frames = [TrackedFrame]()
    for t in 0..<5 {
      var track = [Int32](repeating: 0, count: pixels)
      var segment = [Int32](repeating: 0, count: pixels)
      for p in 0..<pixels {
        // Runs of a few pixels, isolated pixels and large ids.
        track[p] = rng.uniform(0, 1) < 0.3 ? 0 : Int32(p / 5 + 1)
        segment[p] = track[p] == 0 ? 0 : track[p] + 70_000 * Int32(t)
      }
      if t == 3 { track = [Int32](repeating: 9, count: pixels) }
      if t == 4 { segment = [Int32](repeating: 0, count: pixels) }
      frames.append(TrackedFrame(index: t, trackLabels: track, segmentLabels: segment))
    }
    let spool = try TrackedFrameSpool(pixels: pixels)
    for f in frames { try spool.append(f) }
    try spool.rewind()
    for f in frames {
      let (track, segment) = try spool.next()
      XCTAssertEqual(track, f.trackLabels, "frame \(f.index)")
      XCTAssertEqual(segment, f.segmentLabels, "frame \(f.index)")
    }
    XCTAssertThrowsError(try spool.next()) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .io)
    }
  }
}
