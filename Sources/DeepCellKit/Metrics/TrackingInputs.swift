import Foundation

/// What dc-metrics track measures (metrics.md, tracking): a CTC result folder against a CTC
/// ground-truth folder (``CTCFolderEvaluation``), or label stacks with their CTC lineage
/// files (`L B E P`), matched frame by frame (``CTCFrameMatch``) and evaluated as
/// py-ctcmetrics 1.3.3 does.
public struct TrackingInputs: Sendable {
  /// A CTC result folder or a label stack.
  public var result: String
  /// A CTC GT folder or a label stack of track markers.
  public var truth: String
  /// res_track.txt of a result stack.
  public var resultLineage: String?
  /// man_track.txt of a truth stack.
  public var truthLineage: String?
  /// Segmentation truth stack for SEG (stack inputs).
  public var truthSegmentation: String?

  public init(result: String, truth: String) {
    self.result = result
    self.truth = truth
  }

  /// The measures: SEG when `measureSEG`, BC(`divisionTolerance`), on `threads` workers.
  public func evaluate(measureSEG: Bool, divisionTolerance: Int, threads: Int) throws
    -> TrackingEvaluation
  {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: result, isDirectory: &isFolder) else {
      throw DeepCellError(.noInput, result, "no such file or folder")
    }
    if isFolder.boolValue {
      return try CTCFolderEvaluation.evaluate(
        resultFolder: result, truthFolder: truth, measureSEG: measureSEG,
        divisionTolerance: divisionTolerance, threads: threads)
    }
    guard let resultLineage, let truthLineage else {
      throw DeepCellError(
        .usage, result,
        "a result stack needs --result-lineage and --truth-lineage (or give CTC folders)")
    }
    let res = try InputFile(path: result).readArray()
    let gt = try InputFile(path: truth).readArray()
    let frames = try CTCFrameMatch.matchStacks(
      reference: gt, result: res, referenceName: truth, resultName: result, threads: threads)
    var segFrames: [CTCFrameMatch]?
    if let truthSegmentation, measureSEG {
      segFrames = try CTCFrameMatch.matchStacks(
        reference: InputFile(path: truthSegmentation).readArray(), result: res,
        referenceName: truthSegmentation, resultName: result, threads: threads)
    }
    return try TrackingEvaluation(
      frames: frames, segmentationFrames: segFrames,
      referenceTracks: CTCTrackTable.read(path: truthLineage),
      resultTracks: CTCTrackTable.read(path: resultLineage),
      divisionTolerance: divisionTolerance,
      referenceName: truthLineage, resultName: resultLineage,
      resultMaskName: { "\(result): frame \($0)" })
  }
}

extension TrackingEvaluation {
  /// The few lines dc-metrics track prints on stderr: DET, SEG, TRA, LNK, the AOGM counts
  /// and the divisions (CTC's and traccuracy's).
  public var summaryText: String {
    func fmt(_ x: Double) -> String { x.isNaN ? "n/a" : String(format: "%.6f", x) }
    let d = divisions
    let o = operations
    return "dc-metrics: DET \(fmt(det))  SEG \(fmt(seg))  TRA \(fmt(tra))  LNK \(fmt(lnk))\n"
      + "  AOGM \(o.aogm): NS \(o.ns) FN \(o.fn) FP \(o.fp) ED \(o.ed) EA \(o.ea) EC \(o.ec)\n"
      + "  divisions: \(d.truePositives) found, \(d.falsePositives) spurious, "
      + "\(d.falseNegatives) missed  (F1 \(fmt(d.f1)))\n"
      + "  divisions (traccuracy): precision \(fmt(graphDivisions.precision))  "
      + "recall \(fmt(graphDivisions.recall))  F1 \(fmt(graphDivisions.f1))\n"
  }
}
