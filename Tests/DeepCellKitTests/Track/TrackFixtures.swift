import Foundation
import XCTest

@testable import DeepCellKit

/// The synthetic tracked sequence of the golden files (`ctc_sequence.npz`: 16 drifting cells,
/// cell 1 divides into 17 and 18 at frame 5), as (T, H, W) frames, plus helpers to scramble
/// and drop labels.
enum TrackFixtures {
  /// `gt` of `ctc_sequence.npz` as frames of `[Int]` (uint8 copy in Tests/Fixtures/track).
  static func groundTruth() throws -> (frames: [[Int]], height: Int, width: Int) {
    let stack = try loadFixtureNPY("track/ctc_sequence_gt.npy")
    let t = stack.shape[0]
    let h = stack.shape[1]
    let w = stack.shape[2]
    let values = stack.integerValues().map { Int($0) }
    return ((0..<t).map { Array(values[($0 * h * w)..<(($0 + 1) * h * w)]) }, h, w)
  }

  /// A frame as an NDArray (H, W) of uint16.
  static func frame(_ values: [Int], _ h: Int, _ w: Int) -> NDArray {
    NDArray(shape: [h, w], values: values.map { UInt16($0) })
  }

  /// The frame with its labels replaced by a seeded random permutation of 1…n (ids scrambled).
  static func scrambled(_ values: [Int], seed: UInt64) -> [Int] {
    let labels = Array(Set(values).subtracting([0])).sorted()
    var rng = SplitMix(seed: seed)
    var targets = Array(1...max(1, labels.count))
    for i in stride(from: targets.count - 1, to: 0, by: -1) {
      targets.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    var map = [Int: Int]()
    for (i, l) in labels.enumerated() { map[l] = targets[i] + 100 }
    return values.map { $0 == 0 ? 0 : map[$0]! }
  }

  /// Runs the tracker over frames and returns the per-frame outputs and the history.
  static func track(
    _ frames: [[Int]], _ h: Int, _ w: Int, parameters: TrackingParameters = TrackingParameters()
  )
    throws -> ([TrackedFrame], TrackHistory)
  {
    let tracker = try CellTracker(parameters: parameters)
    var out: [TrackedFrame] = []
    for f in frames { out.append(try tracker.addFrame(labels: frame(f, h, w))) }
    return (out, tracker.history())
  }

  /// For each ground-truth label, the set of output ids its pixels carry over all frames.
  static func idsPerTruthLabel(_ truth: [[Int]], _ output: [TrackedFrame], segments: Bool = false)
    -> [Int: Set<Int>]
  {
    var ids = [Int: Set<Int>]()
    for (t, f) in truth.enumerated() {
      let labels = segments ? output[t].segmentLabels : output[t].trackLabels
      for (p, l) in f.enumerated() where l != 0 { ids[l, default: []].insert(Int(labels[p])) }
    }
    return ids
  }
}
