import ArgumentParser
import DeepCellKit
import Foundation

/// `dc-bench augment`: Time DeepCell's training targets on a label stack (bench/augment.sh).
struct AugmentBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "augment",
    abstract: "Time DeepCell's training targets on a label stack (bench/augment.sh).")

  @Argument(parsing: .captureForPassthrough, help: "The benchmark's own arguments.")
  var passthrough: [String] = []

  func run() throws {
    // augment-bench LABELS.npy [RUNS] [THREADS]
    // Times the seed notebook's targets (inner-distance α auto, outer-distance erosion 1, fgbg)
    // on a label stack, in process: prints one JSON line with the median seconds of RUNS runs
    // after one warm-up run. Used by bench/augment.sh beside the Python reference.
    let args = ["dc-bench augment"] + passthrough
    guard args.count >= 2 else {
      FileHandle.standardError.write(
        Data("usage: augment-bench LABELS.npy [RUNS] [THREADS]\n".utf8))
      Foundation.exit(64)
    }
    do {
      let labels = try NPY.decode(
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: args[1]))), subject: args[1])
      let runs = args.count > 2 ? max(Int(args[2]) ?? 5, 1) : 5
      let threads = args.count > 3 ? Int(args[3]) ?? 0 : 0
      func once() throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let stack = try LabelStack(labels)
        for t in TargetTransform.notebookDefaults { _ = t.compute(on: stack, threads: threads) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      }
      _ = try once()
      let times = try (0..<runs).map { _ in try once() }.sorted()
      // Each transform alone (median), for the breakdown.
      let stack = try LabelStack(labels)
      let each = TargetTransform.notebookDefaults.map { t -> String in
        let ts = (0..<runs).map { _ -> Double in
          let start = DispatchTime.now().uptimeNanoseconds
          _ = t.compute(on: stack, threads: threads)
          return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }.sorted()
        return "\"\(t.arrayName)\": \(ts[runs / 2])"
      }.joined(separator: ", ")
      print(
        "{\"median_s\": \(times[runs / 2]), \"min_s\": \(times[0]), \"runs\": \(runs), \"shape\": \(labels.shape), \"each_median_s\": {\(each)}}"
      )
    } catch {
      FileHandle.standardError.write(Data("augment-bench: error: \(error)\n".utf8))
      Foundation.exit(65)
    }
  }
}
