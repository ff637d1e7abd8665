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
    return try Parallel.map(r.items, threads: threads > 0 ? threads : nil) { k in
      CTCFrameMatch(
        reference: try IndexedLabels(
          stack: reference, frame: k, imageShape: r.shape, subject: referenceName),
        result: try IndexedLabels(stack: result, frame: k, imageShape: r.shape, subject: resultName)
      )
    }
  }
}
