/// The Cell Tracking Challenge matching of one frame (metrics.md §4; py-ctcmetrics
/// `representations.match`): result object R matches reference object G iff
/// |R ∩ G| > 0.5·|G|, so each G has at most one match.
public struct CTCFrameMatch: Sendable, Equatable {
  /// Reference labels present, ascending.
  public var referenceLabels: [Int]
  /// Result labels present, ascending.
  public var resultLabels: [Int]
  /// Matched pairs as indices into the label lists, ordered by reference label, with the
  /// pair's IoU |R ∩ G| / |R ∪ G|.
  public var matches: [(reference: Int, result: Int, iou: Double)]

  /// Matches a reference frame (or volume) against a result frame of the same shape.
  public init(reference: IndexedLabels, result: IndexedLabels) {
    referenceLabels = reference.labels.map { Int($0) }
    resultLabels = result.labels.map { Int($0) }
    let overlap = LabelOverlap(truth: reference, prediction: result)
    matches = overlap.pairs.compactMap { pair in
      guard 2 * pair.intersection > reference.areas[pair.truth] else { return nil }
      return (
        pair.truth, pair.prediction,
        overlap.iou(truth: pair.truth, prediction: pair.prediction, intersection: pair.intersection)
      )
    }
  }

  /// A match from its parts (for tests and callers with their own matching).
  public init(
    referenceLabels: [Int], resultLabels: [Int],
    matches: [(reference: Int, result: Int, iou: Double)]
  ) {
    self.referenceLabels = referenceLabels
    self.resultLabels = resultLabels
    self.matches = matches
  }

  /// The matched label pairs `(reference label, result label)` in reference order
  /// (py-ctcmetrics' `mapped_ref`, `mapped_comp`).
  public var mappedLabels: [(reference: Int, result: Int)] {
    matches.map { (referenceLabels[$0.reference], resultLabels[$0.result]) }
  }

  public static func == (a: CTCFrameMatch, b: CTCFrameMatch) -> Bool {
    a.referenceLabels == b.referenceLabels && a.resultLabels == b.resultLabels
      && a.matches.count == b.matches.count
      && zip(a.matches, b.matches).allSatisfy {
        $0.reference == $1.reference && $0.result == $1.result && $0.iou == $1.iou
      }
  }
}
