import ArgumentParser
import DeepCellKit
import Foundation

/// Times DeepCellKit's deep_watershed in process on two `.npy` map stacks, for
/// bench/watershed.sh (which times the Python reference on the same files).
@main
struct WatershedBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watershed-bench",
    abstract: "Time deep_watershed on two .npy maps (median of N runs after a warm-up) and print seconds.")

  @Argument(help: "The maxima map (inner distance), .npy (N, H, W, 1).")
  var inner: String

  @Argument(help: "The interior map (outer distance), .npy (N, H, W, 1).")
  var outer: String

  @Flag(help: "Use peak_local_max instead of h_maxima.")
  var peakLocalMax = false

  @Option(help: "Timed repetitions.")
  var runs: Int = 5

  @Option(help: "Worker threads (default: all cores).")
  var threads: Int = 0

  @Option(help: "Write the labels of the last run here as .npy.")
  var out: String?

  func run() throws {
    var parameters = DeepWatershedParameters()
    if peakLocalMax { parameters.maximaAlgorithm = .peakLocalMax }
    let maps = try [inner, outer].map { path -> NDArray in
      try NPY.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), subject: path)
    }
    var labels = try DeepWatershed.segment(outputs: maps, parameters: parameters, threads: threads)
    var times: [Double] = []
    for _ in 0..<max(runs, 1) {
      let t0 = DispatchTime.now().uptimeNanoseconds
      labels = try DeepWatershed.segment(outputs: maps, parameters: parameters, threads: threads)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    times.sort()
    if let out { try Data(NPY.encode(labels)).write(to: URL(fileURLWithPath: out)) }
    print(
      String(
        format: "median_s=%.6f min_s=%.6f frames=%d max_label=%d", times[times.count / 2], times[0],
        labels.shape[0], labels.integerValues().max() ?? 0))
  }
}
