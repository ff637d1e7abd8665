import ArgumentParser
import CLI
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

/// Prints a warning line on stderr.
func warn(_ text: String) {
  FileHandle.standardError.write(Data("dc-metrics: warning: \(text)\n".utf8))
}

signal(SIGPIPE, SIG_IGN)
ToolRunner.main(DCMetrics.self)
