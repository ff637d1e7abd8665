import Dispatch

/// Object metrics of a predicted label stack against a truth stack, frame by frame
/// (`Metrics.calc_object_stats`, metrics.md §2): each frame is renumbered 1…n, classified by
/// ``ObjectMetrics`` and matched at the IoU thresholds of ``ThresholdMatching``; the
/// frames are then summarised by ``ObjectMetricsSummary``.
public struct SegmentationEvaluation: Sendable {
  /// Per-frame classification, in frame order.
  public let frames: [ObjectMetrics]
  /// Per-frame matchings at the thresholds.
  public let matching: [[ThresholdMatching]]
  /// The stack summary.
  public let summary: ObjectMetricsSummary

  /// Whether any frame had to be renumbered (the reference warns that object ids change).
  public var relabelled: Bool { frames.contains { $0.relabelled } }

  /// Evaluates `prediction` against `truth`.
  ///
  /// - Parameters:
  ///   - truth: labels of shape (H, W), (B, H, W) or (B, H, W, 1); with `volumetric`,
  ///     (Z, H, W) or (B, Z, H, W) items measured in 3-D (the reference's `is_3d`).
  ///   - prediction: labels of the same shape.
  ///   - parameters: cutoffs (reference defaults).
  ///   - thresholds: IoU thresholds for the AP / F1 extension (empty for none).
  ///   - digits: rounding of the summary rates (reference: 4).
  ///   - threads: worker count (results do not depend on it).
  /// - Throws: ``DeepCellError`` `badData` for shapes that differ or do not fit, or labels
  ///   that are not non-negative integers (message names `truthName` / `predictionName`
  ///   and the frame).
  public init(
    truth: NDArray, prediction: NDArray, parameters: ObjectMetrics.Parameters = .init(),
    thresholds: [Double] = ThresholdMatching.standardThresholds, volumetric: Bool = false,
    digits: Int = 4,
    threads: Int = 0, truthName: String = "truth", predictionName: String = "prediction"
  ) throws {
    let itemShape = try Self.itemShape(truth.shape, volumetric: volumetric, name: truthName)
    let predShape = try Self.itemShape(
      prediction.shape, volumetric: volumetric, name: predictionName)
    guard itemShape.items == predShape.items && itemShape.shape == predShape.shape else {
      throw DeepCellError(
        .badData, predictionName,
        "shape \(prediction.shape) does not match the truth's \(truth.shape) (\(truthName))")
    }
    let count = itemShape.items
    // Frames in parallel; the error of the lowest failing frame is the one reported.
    let results = try Parallel.map(count, threads: threads > 0 ? threads : nil) { f in
      let t = try IndexedLabels(
        stack: truth, frame: f, imageShape: itemShape.shape, subject: truthName)
      let p = try IndexedLabels(
        stack: prediction, frame: f, imageShape: itemShape.shape, subject: predictionName)
      let overlap = LabelOverlap(truth: t, prediction: p)
      return (
        try ObjectMetrics(overlap, parameters: parameters),
        thresholds.isEmpty ? [] : try ThresholdMatching.match(overlap, thresholds: thresholds)
      )
    }
    self.frames = results.map(\.0)
    let matching = results.map(\.1)
    self.matching = matching
    self.summary = ObjectMetricsSummary(frames: self.frames, matching: matching, digits: digits)
  }

  /// The number of items and the shape of one item for a label array.
  static func itemShape(_ shape: [Int], volumetric: Bool, name: String) throws -> (
    items: Int, shape: [Int]
  ) {
    var s = shape
    if volumetric {
      if s.count == 3 { return (1, s) }
      if s.count == 4 { return (s[0], Array(s[1...])) }
      throw DeepCellError(
        .badData, name,
        "expected (Z, H, W) or (B, Z, H, W) labels for 3-D metrics, got shape \(shape)")
    }
    if s.count == 4 {
      guard s[3] == 1 else {
        throw DeepCellError(
          .badData, name, "labels must have one channel, got \(s[3]) (shape \(shape))")
      }
      s.removeLast()
    }
    if s.count == 2 { return (1, s) }
    if s.count == 3 { return (s[0], [s[1], s[2]]) }
    throw DeepCellError(
      .badData, name, "expected (H, W), (B, H, W) or (B, H, W, 1) labels, got shape \(shape)")
  }
}
