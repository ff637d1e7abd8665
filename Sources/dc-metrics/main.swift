import ArgumentParser
import DeepCellKit
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// dc-metrics: segmentation metrics of predicted labels against the truth (DeepCell's
/// object and pixel metrics, CTC SEG, AP at IoU thresholds) and the Cell Tracking Challenge
/// measures of a tracking result (DET, SEG, TRA, LNK, divisions). spec/metrics.md.
struct DCMetrics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-metrics",
    abstract:
      "Segmentation and tracking accuracy: DeepCell object metrics, CTC SEG/DET/TRA/LNK, AP.",
    discussion: """
      `segment` (the default) compares label stacks as DeepCell's Metrics.calc_object_stats \
      does; `track` measures a tracking result in Cell Tracking Challenge layout as \
      py-ctcmetrics does.

      Examples:
        dc-metrics pred.tif --truth truth.tif
        dc-metrics pred.tif --truth truth.tif --format json -o stats.json
        dc-metrics labels.npz --truth dataset.npz -o metrics.yaml
        dc-metrics track 01_RES --truth 01_GT -o ctc.json
        dc-metrics track tracked.tif --result-lineage res_track.txt \\
            --truth gt.tif --truth-lineage man_track.txt
      """,
    subcommands: [Segment.self, Track.self],
    defaultSubcommand: Segment.self)
}

/// The report options both subcommands share (`--format`, `-o`).
struct OutputOptions: ParsableArguments {
  @Option(
    name: .customLong("format"),
    help: "Output format: json, yaml or csv (default: from -o's extension, else json).")
  var format: String?

  @Option(
    name: [.customShort("o"), .customLong("output")],
    help: "Write the report to PATH (default: stdout).")
  var output: String?

  func resolvedFormat() throws -> MetricsReport.Format {
    if let format {
      guard let f = MetricsReport.Format(rawValue: format.lowercased()) else {
        throw DeepCellError(.usage, "--format", "unknown format '\(format)' (json, yaml, csv)")
      }
      return f
    }
    if let output, output != "-", let f = MetricsReport.Format.fromExtension(output) { return f }
    return .json
  }

  /// Writes the report atomically (temporary file renamed into place) or to stdout; the
  /// temporary file is removed if the tool is interrupted (``InterruptCleanup``).
  func write(_ report: MetricsReport) throws {
    let text = report.render(try resolvedFormat())
    let out = try OutputFile(path: output, format: .npy)
    InterruptCleanup.track(out.temporaryPath)
    defer { InterruptCleanup.untrack(out.temporaryPath) }
    do {
      guard FileManager.default.createFile(atPath: out.temporaryPath, contents: Data(text.utf8))
      else {
        throw DeepCellError(.cannotCreate, out.subject, "cannot write")
      }
      try out.commit()
    } catch {
      out.abort()
      throw error
    }
  }
}

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

    @OptionGroup var options: OutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func parsedThresholds() throws -> [Double] {
      guard let thresholds else { return ThresholdMatching.standardThresholds }
      if thresholds.lowercased() == "none" { return [] }
      return try thresholds.split(separator: ",").map {
        guard let v = Double($0.trimmingCharacters(in: .whitespaces)), v > 0, v <= 1 else {
          throw DeepCellError(.usage, "--thresholds", "'\($0)' is not an IoU in (0, 1]")
        }
        return v
      }
    }

    func run() throws {
      runtime.apply()
      guard cutoff1 > 0, cutoff1 < 1, cutoff2 >= 0, cutoff2 <= 1 else {
        throw DeepCellError(.usage, "--cutoff1/--cutoff2", "cutoffs must lie in (0, 1)")
      }
      guard (0...15).contains(digits) else {
        throw DeepCellError(.usage, "--digits", "must be 0…15")
      }
      let tau = try parsedThresholds()
      _ = try options.resolvedFormat()
      let truthLabels = try readLabels(truth, array: truthArray)
      let predicted = try readLabels(prediction, array: predictionArray)
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
        FileHandle.standardError.write(Data(table(evaluation).utf8))
      }
    }

    func readLabels(_ path: String, array: String?) throws -> NDArray {
      let input = try InputFile(path: path)
      let name =
        try array
        ?? (input.arrayNames.contains(ArrayName.labels) ? ArrayName.labels : input.resolve(nil))
      return try input.readArray(name: name)
    }

    func table(_ e: SegmentationEvaluation) -> String {
      let s = e.summary
      func v(_ k: String) -> String { s[k].map { "\($0)" } ?? "-" }
      var text =
        "dc-metrics: \(e.frames.count) image(s): \(v("n_true")) true, \(v("n_pred")) predicted objects\n"
      text +=
        "  correct \(v("correct_detections"))  recall \(v("recall"))  precision \(v("precision"))  f1 \(v("f1"))\n"
      text +=
        "  missed \(v("missed_detections"))  gained \(v("gained_detections"))  split \(v("split"))"
      text +=
        "  merge \(v("merge"))  catastrophe \(v("catastrophe"))  total errors \(v("total_errors"))\n"
      text += "  SEG \(v("seg"))  jaccard \(v("jaccard"))"
      if s["mean_ap"] != nil {
        text += "  AP@0.50 \(v("ap_0.50"))  mean AP(0.50:0.95) \(v("mean_ap"))"
      }
      return text + "\n"
    }
  }

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

    @OptionGroup var options: OutputOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
      runtime.apply()
      guard divisionTolerance >= 0 else {
        throw DeepCellError(.usage, "--division-tolerance", "must be 0 or more")
      }
      _ = try options.resolvedFormat()
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: result) else {
        throw DeepCellError(.noInput, result, "no such file or folder")
      }
      let evaluation: TrackingEvaluation
      if FileManager.default.fileExists(atPath: result, isDirectory: &isFolder),
        isFolder.boolValue
      {
        evaluation = try CTCFolderEvaluation.evaluate(
          resultFolder: result, truthFolder: truth, measureSEG: !noSeg,
          divisionTolerance: divisionTolerance, threads: runtime.workerCount)
      } else {
        guard let resultLineage, let truthLineage else {
          throw DeepCellError(
            .usage, result,
            "a result stack needs --result-lineage and --truth-lineage (or give CTC folders)")
        }
        let res = try InputFile(path: result).readArray()
        let gt = try InputFile(path: truth).readArray()
        let frames = try CTCFrameMatch.matchStacks(
          reference: gt, result: res, referenceName: truth, resultName: result,
          threads: runtime.workerCount)
        var segFrames: [CTCFrameMatch]?
        if let truthSeg, !noSeg {
          segFrames = try CTCFrameMatch.matchStacks(
            reference: InputFile(path: truthSeg).readArray(), result: res,
            referenceName: truthSeg,
            resultName: result, threads: runtime.workerCount)
        }
        evaluation = try TrackingEvaluation(
          frames: frames, segmentationFrames: segFrames,
          referenceTracks: CTCTrackTable.read(path: truthLineage),
          resultTracks: CTCTrackTable.read(path: resultLineage),
          divisionTolerance: divisionTolerance,
          referenceName: truthLineage, resultName: resultLineage,
          resultMaskName: { "\(result): frame \($0)" })
      }
      try options.write(MetricsReport(evaluation))
      if !runtime.quiet {
        let d = evaluation.divisions
        var text =
          "dc-metrics: DET \(fmt(evaluation.det))  SEG \(fmt(evaluation.seg))  TRA \(fmt(evaluation.tra))"
        text += "  LNK \(fmt(evaluation.lnk))\n"
        let o = evaluation.operations
        text +=
          "  AOGM \(o.aogm): NS \(o.ns) FN \(o.fn) FP \(o.fp) ED \(o.ed) EA \(o.ea) EC \(o.ec)\n"
        text +=
          "  divisions: \(d.truePositives) found, \(d.falsePositives) spurious, \(d.falseNegatives) missed"
        text += "  (F1 \(fmt(d.f1)))\n"
        let g = evaluation.graphDivisions
        text +=
          "  divisions (traccuracy): precision \(fmt(g.precision))  recall \(fmt(g.recall))  F1 \(fmt(g.f1))\n"
        FileHandle.standardError.write(Data(text.utf8))
      }
    }

    func fmt(_ x: Double) -> String { x.isNaN ? "n/a" : String(format: "%.6f", x) }
  }
}

/// Prints a warning line on stderr.
func warn(_ text: String) {
  FileHandle.standardError.write(Data("dc-metrics: warning: \(text)\n".utf8))
}

signal(SIGPIPE, SIG_IGN)
ToolRunner.main(DCMetrics.self)
