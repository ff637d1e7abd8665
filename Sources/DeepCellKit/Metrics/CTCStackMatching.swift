import Dispatch
import Foundation

extension CTCFrameMatch {
  /// Matches two label stacks frame by frame (CTC rule, metrics.md §4) — the in-memory
  /// counterpart of a CTC folder pair. Shapes (F, H, W) or (F, H, W, 1) must be equal.
  ///
  /// - Throws: ``DeepCellError`` `badData` for shapes that differ or are not label stacks,
  ///   or labels that are not non-negative integers.
  public static func matchStacks(
    reference: NDArray, result: NDArray, referenceName: String = "truth",
    resultName: String = "result", threads: Int = 0
  ) throws -> [CTCFrameMatch] {
    let r = try SegmentationEvaluation.itemShape(
      reference.shape, volumetric: false, name: referenceName)
    let c = try SegmentationEvaluation.itemShape(result.shape, volumetric: false, name: resultName)
    guard r.items == c.items, r.shape == c.shape else {
      throw DeepCellError(
        .badData, resultName,
        "shape \(result.shape) does not match \(referenceName)'s \(reference.shape)")
    }
    var out = [CTCFrameMatch?](repeating: nil, count: r.items)
    var failure: (Int, Error)?
    let lock = NSLock()
    let workers = min(
      max(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, 1), max(r.items, 1))
    out.withUnsafeMutableBufferPointer { slots in
      let s = slots
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        var k = w
        while k < r.items {
          do {
            s[k] = CTCFrameMatch(
              reference: try IndexedLabels(
                stack: reference, frame: k, imageShape: r.shape, subject: referenceName),
              result: try IndexedLabels(
                stack: result, frame: k, imageShape: r.shape, subject: resultName))
          } catch {
            lock.lock()
            if failure == nil || failure!.0 > k { failure = (k, error) }
            lock.unlock()
            return
          }
          k += workers
        }
      }
    }
    if let failure { throw failure.1 }
    return out.map { $0! }
  }
}
