import ArgumentParser
import DeepCellKit
import Foundation

/// Times DeepCellKit's deep_watershed in process on two `.npy` map stacks, for
/// bench/watershed.sh (which times the Python reference on the same files).
struct WatershedBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watershed",
    abstract:
      "Time deep_watershed on two .npy maps (median of N runs after a warm-up) and print seconds.")

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

  @Flag(help: "Instead, time each step of deep_watershed separately (one thread, all frames).")
  var steps = false

  @Option(help: "Write the labels of the last run here as .npy.")
  var out: String?

  func run() throws {
    var parameters = DeepWatershedParameters()
    if peakLocalMax { parameters.maximaAlgorithm = .peakLocalMax }
    let maps = try [inner, outer].map { path -> NDArray in
      try NPY.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: path))), subject: path)
    }
    if steps { return try profileSteps(maps, parameters) }
    var labels = try DeepWatershed.segment(outputs: maps, parameters: parameters, threads: threads)
    var times: [Double] = []
    var cpu: [Double] = []
    for _ in 0..<max(runs, 1) {
      let t0 = DispatchTime.now().uptimeNanoseconds
      let c0 = processCPUSeconds()
      labels = try DeepWatershed.segment(outputs: maps, parameters: parameters, threads: threads)
      cpu.append(processCPUSeconds() - c0)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    times.sort()
    cpu.sort()
    if let out { try Data(NPY.encode(labels)).write(to: URL(fileURLWithPath: out)) }
    print(
      String(
        format: "median_s=%.6f min_s=%.6f cpu_s=%.6f frames=%d max_label=%d",
        times[times.count / 2], times[0],
        cpu[cpu.count / 2], labels.shape[0], labels.integerValues().max() ?? 0))
  }

  /// CPU time of the whole process (all threads), in seconds.
  func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// CPU time of the calling thread (steps are timed in CPU time: wall time on a shared
  /// machine is noise).
  func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Seconds spent in each step of deep_watershed (default parameters), summed over frames.
  func profileSteps(_ maps: [NDArray], _ p: DeepWatershedParameters) throws {
    let (b, h, w) = (maps[0].shape[0], maps[0].shape[1], maps[0].shape[2])
    let inner = maps[0].floats()
    let outer = maps[1].floats()
    var totals: [(String, Double)] = []
    func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
      let t0 = threadCPUSeconds()
      let r = try body()
      let dt = threadCPUSeconds() - t0
      if let k = totals.firstIndex(where: { $0.0 == name }) {
        totals[k].1 += dt
      } else {
        totals.append((name, dt))
      }
      return r
    }
    for f in 0..<b {
      let m = Array(inner[(f * h * w)..<((f + 1) * h * w)])
      let i = Array(outer[(f * h * w)..<((f + 1) * h * w)])
      let interior = try timed("gaussian") {
        try GaussianFilter.apply(i, height: h, width: w, sigma: 1)
      }
      let markerMask = try timed("markers") {
        p.maximaAlgorithm == .hMaxima
          ? try HMaxima.mask(m, height: h, width: w, h: 0.1, footprint: .disk(radius: 10))
          : PeakLocalMax.peaks(m, height: h, width: w, minDistance: 10, threshold: 0.1).reduce(
            into: [UInt8](repeating: 0, count: h * w)
          ) { $0[$1.y * w + $1.x] = 1 }
      }
      let markers = timed("label") {
        ConnectedComponents.label(
          markerMask, height: h, width: w, connectivity: .eight, background: 0
        ).labels
      }
      let labels = timed("watershed") {
        Watershed.flood(
          negativeOf: interior, above: 0.01, markers: markers, height: h, width: w)
      }
      _ = timed("relabel") { Relabel.sequential(labels) }
    }
    for (name, t) in totals { print("\(name): \(String(format: "%.4f", t)) s CPU") }
  }
}
