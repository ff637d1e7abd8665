import ArgumentParser
import DeepCellKit
import Foundation

/// Times DeepCellKit's metrics in process, for bench/metrics.sh (the Python side times
/// deepcell-toolbox's `calc_object_stats` and py-ctcmetrics' `evaluate_sequence` the same
/// way: median of N runs after one warm-up).
struct MetricsBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "metrics",
    abstract: "Time object metrics on .npy label stacks, or CTC measures on folders; print JSON.")

  @Option(help: "Truth label stack (.npy) for object metrics.")
  var truth: String?

  @Option(help: "Predicted label stack (.npy) for object metrics.")
  var prediction: String?

  @Option(help: "CTC result folder (with --gt) for DET/SEG/TRA.")
  var res: String?

  @Option(help: "CTC ground-truth folder.")
  var gt: String?

  @Option(help: "Timed repetitions (median reported).")
  var runs: Int = 5

  @Option(help: "Worker threads (0: all cores).")
  var threads: Int = 0

  func run() throws {
    var times = [Double]()
    var result = ""
    // Inputs are loaded once, outside the timing (the reference times calc_object_stats
    // on arrays in memory); the CTC side reads its folders every run, as py-ctcmetrics does.
    var arrays: (NDArray, NDArray)?
    if let truth, let prediction {
      arrays = (
        try NPY.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: truth))), subject: truth),
        try NPY.decode(
          [UInt8](Data(contentsOf: URL(fileURLWithPath: prediction))), subject: prediction)
      )
    }
    for k in 0..<(max(runs, 1) + 1) {
      let start = DispatchTime.now().uptimeNanoseconds
      if let (t, p) = arrays {
        let e = try SegmentationEvaluation(truth: t, prediction: p, threads: threads)
        result =
          "\"correct_detections\": \(e.summary["correct_detections"]!), \"recall\": \(e.summary["recall"]!)"
      } else if let res, let gt {
        let e = try CTCFolderEvaluation.evaluate(
          resultFolder: res, truthFolder: gt, threads: threads)
        result = "\"DET\": \(e.det), \"SEG\": \(e.seg), \"TRA\": \(e.tra)"
      } else {
        throw ValidationError("give --truth and --prediction, or --res and --gt")
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      if k > 0 { times.append(seconds) }  // the first run is the warm-up
    }
    times.sort()
    let median = times[times.count / 2]
    print("{\"median_s\": \(median), \"min_s\": \(times[0]), \"runs\": \(times.count), \(result)}")
  }
}
