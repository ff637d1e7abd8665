import ArgumentParser
import DeepCellKit
import Foundation

/// dc-bench: the benchmark drivers that bench/*.sh run, one subcommand each. A package of its
/// own (Benchmarks/), so `swift test` and `make install` never build it.
struct DCBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-bench",
    abstract: "Benchmark drivers for bench/*.sh (DeepCellKit in process, release build).",
    discussion: """
      DC_THREADS=N sets the worker count of every subcommand (Dispatch loops, OpenBLAS, \
      OpenMP) before it runs; a subcommand's own --threads or THREADS argument overrides it. \
      bench/*.sh use it for the drivers that take no thread argument (tiffio, npz-io).
      """,
    subcommands: [
      NNBench.self, TrackBench.self, WatershedBench.self, TIFFIOBench.self, MetricsBench.self,
      NormalizeBench.self, AugmentBench.self, NPZIOBench.self, NPZLargeZip64Bench.self,
    ])
}

if let value = ProcessInfo.processInfo.environment["DC_THREADS"], !value.isEmpty {
  guard let threads = Int(value), threads >= 1 else {
    FileHandle.standardError.write(Data("dc-bench: DC_THREADS=\(value) is not a count ≥ 1\n".utf8))
    exit(64)
  }
  Parallel.useThreads(threads)
}
DCBench.main()
