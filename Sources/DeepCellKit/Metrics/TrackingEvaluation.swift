/// The Cell Tracking Challenge measures of a tracking result (metrics.md §4), equal to
/// py-ctcmetrics 1.3.3's `evaluate_sequence`: DET, SEG, TRA (AOGM with the standard
/// weights), LNK, division detection BC(i), and the biological measures CT, TF, CCA and
/// BIO(i) (``BiologicalMeasures``); also division precision, recall and F1 as traccuracy
/// defines them (``GraphDivisionMetrics``).
public struct TrackingEvaluation: Sendable {
  /// The graph-correction counts behind DET, TRA and LNK.
  public let operations: AOGMOperations
  /// SEG: Σ IoU of matched reference objects / number of reference objects over the
  /// segmentation-annotated frames (0 when there are none, as py-ctcmetrics); NaN when no
  /// segmentation truth was given.
  public let seg: Double
  /// Reference objects in the segmentation truth.
  public let segReferenceObjects: Int
  /// Division detection counts.
  public let divisions: DivisionMetrics
  /// CT, TF and CCA.
  public let biological: BiologicalMeasures
  /// Division precision, recall and F1 as traccuracy defines them (frame buffer 0).
  public let graphDivisions: GraphDivisionMetrics

  /// Measures a result against the reference.
  ///
  /// - Parameters:
  ///   - frames: per-frame matches of the tracking truth (TRA markers) and the result masks.
  ///   - segmentationFrames: per-frame matches of the segmentation truth against the result
  ///     frames it annotates (nil: SEG not measured).
  ///   - referenceTracks, resultTracks: the lineages.
  ///   - divisionTolerance: i of BC(i).
  ///   - validate: apply py-ctcmetrics' result checks (``CTCValidation``) first.
  ///   - referenceName, resultName, resultMaskName: names for error messages.
  public init(
    frames: [CTCFrameMatch], segmentationFrames: [CTCFrameMatch]?, referenceTracks: [TrackRecord],
    resultTracks: [TrackRecord], divisionTolerance: Int = 0, validate: Bool = true,
    referenceName: String = "man_track.txt", resultName: String = "res_track.txt",
    resultMaskName: (Int) -> String = { "result frame \($0)" }
  ) throws {
    guard !frames.isEmpty else {
      throw DeepCellError(.badData, referenceName, "no frames to evaluate")
    }
    guard frames.contains(where: { !$0.referenceLabels.isEmpty }) else {
      throw DeepCellError(.badData, referenceName, "the reference masks hold no objects")
    }
    if validate {
      try CTCValidation.check(
        resultTracks, frameLabels: frames.map(\.resultLabels), lineageName: resultName,
        maskName: resultMaskName)
    }
    operations = try AOGMOperations(
      frames: frames, referenceTracks: referenceTracks, resultTracks: resultTracks,
      referenceName: referenceName,
      resultName: resultName)
    if let segmentationFrames {
      let n = segmentationFrames.reduce(0) { $0 + $1.referenceLabels.count }
      let ious = segmentationFrames.flatMap { $0.matches.map(\.iou) }
      seg = NumpySum.pairwise(ious) / Double(max(n, 1))
      segReferenceObjects = n
    } else {
      seg = .nan
      segReferenceObjects = 0
    }
    divisions = DivisionMetrics(
      frames: frames, referenceTracks: referenceTracks, resultTracks: resultTracks,
      tolerance: divisionTolerance)
    biological = BiologicalMeasures(
      frames: frames, referenceTracks: referenceTracks, resultTracks: resultTracks)
    graphDivisions = GraphDivisionMetrics(
      frames: frames, referenceTracks: referenceTracks, resultTracks: resultTracks)
  }

  /// DET.
  public var det: Double { operations.det }
  /// TRA.
  public var tra: Double { operations.tra }
  /// LNK.
  public var lnk: Double { operations.lnk }

  /// Keys `DET`, `SEG`, `TRA`, `LNK`, then the AOGM counts (py-ctcmetrics names) and the
  /// division counts.
  public var record: [(String, StatValue)] {
    let o = operations
    let d = divisions
    let g = graphDivisions
    let i = d.tolerance
    return [
      ("DET", .rate(det)), ("SEG", .rate(seg)), ("TRA", .rate(tra)), ("LNK", .rate(lnk)),
      ("AOGM", .rate(o.aogm)), ("AOGM_0", .rate(o.aogm0)), ("AOGM_NS", .count(o.ns)),
      ("AOGM_FN", .count(o.fn)),
      ("AOGM_FP", .count(o.fp)), ("AOGM_ED", .count(o.ed)), ("AOGM_EA", .count(o.ea)),
      ("AOGM_EC", .count(o.ec)),
      ("num_vertices", .count(o.referenceVertices)), ("num_edges", .count(o.referenceEdges)),
      ("gt_divisions", .count(d.truePositives + d.falseNegatives)),
      ("tp_div(\(i))", .count(d.truePositives)),
      ("fp_div(\(i))", .count(d.falsePositives)), ("fn_div(\(i))", .count(d.falseNegatives)),
      ("BC(\(i))", .rate(d.f1)), ("division_precision", .rate(d.precision)),
      ("division_recall", .rate(d.recall)),
      ("division_f1", .rate(d.f1)),
      ("CT", .rate(biological.ct)), ("TF", .rate(biological.tf)),
      ("CCA", .rate(biological.cca ?? .nan)), ("BIO(\(i))", .rate(biological.bio(bc: d.f1))),
      ("traccuracy_division_tp", .count(g.truePositives)),
      ("traccuracy_division_fp", .count(g.falsePositives)),
      ("traccuracy_division_fn", .count(g.falseNegatives)),
      ("traccuracy_division_wc", .count(g.wrongChildren)),
      ("traccuracy_division_precision", .rate(g.precision)),
      ("traccuracy_division_recall", .rate(g.recall)),
      ("traccuracy_division_f1", .rate(g.f1)),
      ("traccuracy_mbc", .rate(g.mitoticBranchingCorrectness)),
    ]
  }
}
