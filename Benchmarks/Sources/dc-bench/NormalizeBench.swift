import ArgumentParser
import DeepCellKit
import Foundation

/// Times DeepCellKit's normalizations in process on an `.npy` stack, for bench/normalize.sh
/// (the Python side times `histogram_normalization` on the same file the same way).
struct NormalizeBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "normalize",
    abstract: "Time a normalization of an .npy stack (best of N runs) and print seconds.")

  @Argument(help: "An .npy stack (N, H, W, C).")
  var input: String

  @Option(help: "clahe, zscore or percentile.")
  var method: String = "clahe"

  @Option(help: "Timed repetitions; the best is printed.")
  var repeats: Int = 5

  @Option(help: "Worker threads (default: all cores).")
  var threads: Int?

  @Option(help: "Write the last result here as .npy (for checking against the reference).")
  var output: String?

  func run() throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
    let stack = try NPY.decode(bytes, subject: input)
    let normalizer: StackNormalizer
    switch method {
    case "clahe": normalizer = StackNormalizer(HistogramNormalization())
    case "zscore": normalizer = StackNormalizer(ZScoreNormalization())
    case "percentile": normalizer = StackNormalizer(PercentileNormalization())
    default: throw ValidationError("unknown method \(method)")
    }
    var best = Double.infinity
    var result = stack
    for _ in 0..<max(1, repeats) {
      let start = DispatchTime.now().uptimeNanoseconds
      result = try normalizer.normalize(stack: stack, subject: input, threads: threads)
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    if let output { try Data(NPY.encode(result)).write(to: URL(fileURLWithPath: output)) }
    print(String(format: "%.6f", best))
  }
}
