import ArgumentParser
import CLI
import DeepCellKit
import Foundation

/// dc-metrics track: the Cell Tracking Challenge measures (metrics.md, tracking).
extension DCMetrics {
  struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Cell Tracking Challenge measures of a tracking result.",
      discussion: """
        RESULT and --truth are CTC folders (NN_RES with mask*.tif and res_track.txt; NN_GT \
        with TRA/man_track*.tif, TRA/man_track.txt and optionally SEG/man_seg*.tif), or label \
        stacks with --result-lineage and --truth-lineage (CTC `L B E P` text files) and \
        optionally --truth-seg. Reports DET, SEG, TRA (AOGM with the standard weights), \
        LNK, the AOGM counts, division detection BC(i) with precision and recall, and the \
        biological measures CT, TF, CCA and BIO(i), \
        equal to py-ctcmetrics 1.3.3; and division precision, recall and F1 as traccuracy \
        0.4 defines them (frame buffer 0, CTC matching).
        """)

    @Argument(help: "Result: a CTC result folder or a label stack.")
    var result: String

    @Option(
      name: .customLong("truth"),
      help: "Ground truth: a CTC GT folder or a label stack of track markers.")
    var truth: String

    @Option(name: .customLong("result-lineage"), help: "res_track.txt for a result stack.")
    var resultLineage: String?

    @Option(name: .customLong("truth-lineage"), help: "man_track.txt for a truth stack.")
    var truthLineage: String?

    @Option(
      name: .customLong("truth-seg"), help: "Segmentation truth stack for SEG (stack inputs).")
    var truthSeg: String?

    @Flag(name: .customLong("no-seg"), help: "Skip SEG.")
    var noSeg = false

    @Option(name: .customLong("division-tolerance"), help: "Frames of tolerance i of BC(i).")
    var divisionTolerance: Int = 0

    @OptionGroup var options: ReportOutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
      runtime.apply()
      guard divisionTolerance >= 0 else {
        throw DeepCellError(.usage, "--division-tolerance", "must be 0 or more")
      }
      _ = try options.resolvedFormat()
      var inputs = TrackingInputs(result: result, truth: truth)
      inputs.resultLineage = resultLineage
      inputs.truthLineage = truthLineage
      inputs.truthSegmentation = truthSeg
      let evaluation = try inputs.evaluate(
        measureSEG: !noSeg, divisionTolerance: divisionTolerance, threads: runtime.workerCount)
      try options.write(MetricsReport(evaluation))
      if !runtime.quiet { FileHandle.standardError.write(Data(evaluation.summaryText.utf8)) }
    }
  }
}
