import ArgumentParser
import CLI
import DeepCellKit
import Foundation

/// dc-metrics segment: DeepCell's object metrics, CTC SEG and AP (metrics.md).
extension DCMetrics {
  struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Object metrics of a predicted label stack against the truth.",
      discussion: """
        Per image: the objects are renumbered, matched by linear assignment on IoU (a \
        match needs IoU > 1 - cutoff1), and the leftovers classified as missed, gained, \
        splits, merges and catastrophes (deepcell-toolbox 0.12.1). The summary pools \
        recall and precision over images and averages Jaccard per image, rounded as the \
        reference does; `seg` is the real CTC SEG (`seg_deepcell` the reference's own \
        value); `ap_0.50` … `ap_0.95`, `f1_τ` and `mean_ap` are StarDist/Cellpose-style \
        one-to-one matching at IoU thresholds.

        Inputs: TIFF, PNG, NPY or NPZ label stacks of equal shape (H×W, N×H×W or \
        N×H×W×1); from an NPZ the array `y` is read unless --pred-array/--truth-array \
        says otherwise. Float arrays must hold whole numbers.
        """)

    @Argument(help: "Predicted labels (path, or - for stdin).")
    var prediction: String

    @Option(name: .customLong("truth"), help: "Ground-truth labels.")
    var truth: String

    @Option(
      name: .customLong("pred-array"),
      help: "Array to read from an NPZ prediction (default: y, else the first).")
    var predictionArray: String?

    @Option(
      name: .customLong("truth-array"),
      help: "Array to read from an NPZ truth (default: y, else the first).")
    var truthArray: String?

    @Option(name: .customLong("cutoff1"), help: "Unmatched cost; a match needs IoU > 1 - cutoff1.")
    var cutoff1: Double = 0.4

    @Option(name: .customLong("cutoff2"), help: "Minimum IoU of an error-graph edge.")
    var cutoff2: Double = 0.1

    @Flag(name: .customLong("force-event-links"), help: "The reference's force_event_links option.")
    var forceEventLinks = false

    @Flag(
      name: .customLong("3d"), help: "Items are volumes (Z, H, W): 3-D IoU (the reference's is_3d)."
    )
    var volumetric = false

    @Option(
      name: .customLong("thresholds"), parsing: .next,
      help:
        "IoU thresholds for ap_τ / f1_τ, comma-separated (default 0.5,0.55,…,0.95; 'none' to skip)."
    )
    var thresholds: String?

    @Option(
      name: .customLong("digits"),
      help: "Decimals of the summary rates (the reference rounds to 4).")
    var digits: Int = 4

    @OptionGroup var options: ReportOutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
      runtime.apply()
      guard cutoff1 > 0, cutoff1 < 1, cutoff2 >= 0, cutoff2 <= 1 else {
        throw DeepCellError(.usage, "--cutoff1/--cutoff2", "cutoffs must lie in (0, 1)")
      }
      guard (0...15).contains(digits) else {
        throw DeepCellError(.usage, "--digits", "must be 0…15")
      }
      let tau = try ThresholdMatching.thresholds(parsing: thresholds)
      _ = try options.resolvedFormat()
      let truthLabels = try SegmentationEvaluation.readLabels(truth, array: truthArray)
      let predicted = try SegmentationEvaluation.readLabels(prediction, array: predictionArray)
      let evaluation = try SegmentationEvaluation(
        truth: truthLabels, prediction: predicted,
        parameters: .init(cutoff1: cutoff1, cutoff2: cutoff2, forceEventLinks: forceEventLinks),
        thresholds: tau, volumetric: volumetric, digits: digits, threads: runtime.workerCount,
        truthName: truth, predictionName: prediction == "-" ? "-" : prediction)
      try options.write(MetricsReport(evaluation))
      if !runtime.quiet {
        if evaluation.relabelled {
          warn("labels were renumbered 1…n per image; object ids in the report follow that order")
        }
        FileHandle.standardError.write(Data(evaluation.summaryText.utf8))
      }
    }
  }
}
