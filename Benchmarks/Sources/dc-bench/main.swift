import ArgumentParser

/// dc-bench: the benchmark drivers that bench/*.sh run, one subcommand each. A package of its
/// own (Benchmarks/), so `swift test` and `make install` never build it.
struct DCBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dc-bench",
    abstract: "Benchmark drivers for bench/*.sh (DeepCellKit in process, release build).",
    subcommands: [
      NNBench.self, TrackBench.self, WatershedBench.self, TIFFIOBench.self, MetricsBench.self,
      NormalizeBench.self, AugmentBench.self, NPZIOBench.self, NPZLargeZip64Bench.self,
    ])
}

DCBench.main()
