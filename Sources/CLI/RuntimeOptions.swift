import ArgumentParser
import DeepCellKit
import Foundation

/// The options every tool shares for how it runs (design.md, "People" and "Scale"):
/// `--threads N` and `--quiet`. Include with `@OptionGroup var runtime: RuntimeOptions`
/// and call ``apply()`` first thing in `run()`.
public struct RuntimeOptions: ParsableArguments {
  /// Worker threads; nil means all active cores.
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Worker threads (default: all cores). The output is identical for any value.",
      valueName: "n"))
  public var threads: Int?

  /// No progress bar and no warnings on stderr (errors are still reported).
  @Flag(
    name: .shortAndLong, help: "No progress bar or warnings on stderr; errors are still printed.")
  public var quiet = false

  public init() {}

  public func validate() throws {
    if let threads, threads < 1 {
      throw ValidationError("--threads must be at least 1, not \(threads)")
    }
    do { _ = try MemoryBudget.fromEnvironment() } catch let error as DeepCellError {
      throw ValidationError(error.description)
    }
  }

  /// The worker count in effect: `--threads`, else all active cores.
  public var workerCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

  /// Makes ``workerCount`` the thread count of everything the tool runs
  /// (``Parallel/useThreads(_:)``: Dispatch loops, OpenBLAS, OpenMP) and installs the memory
  /// limit `DC_MAX_MEMORY` sets as ``MemoryBudget/process`` (checked by ``validate()``).
  public func apply() {
    if let budget = try? MemoryBudget.fromEnvironment() { MemoryBudget.process = budget }
    Parallel.useThreads(workerCount)
  }
}
