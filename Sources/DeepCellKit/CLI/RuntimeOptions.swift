import ArgumentParser
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
  }

  /// The worker count in effect: `--threads`, else all active cores.
  public var workerCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

  /// Makes ``workerCount`` the thread count of everything the tool runs: the Dispatch loops
  /// (``Parallel/defaultThreads``), OpenBLAS (`openblas_set_num_threads`) and OpenMP, i.e.
  /// oneDNN (`omp_set_num_threads` when the OpenMP runtime is loaded), and the
  /// `OMP_NUM_THREADS` / `OPENBLAS_NUM_THREADS` variables for any child process.
  public func apply() {
    let n = workerCount
    Parallel.defaultThreads = n
    setenv("OMP_NUM_THREADS", String(n), 1)
    OpenBLAS.setThreads(n)
    RuntimeOptions.setOpenMPThreads(n)
  }

  /// Calls `omp_set_num_threads(n)` if an OpenMP runtime is in the process (the variable
  /// alone is read only when the runtime starts).
  static func setOpenMPThreads(_ n: Int) {
    guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "omp_set_num_threads")
    else { return }
    typealias SetThreads = @convention(c) (Int32) -> Void
    unsafeBitCast(symbol, to: SetThreads.self)(Int32(n))
  }
}
