import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Parallel {
  /// Makes `n` workers the thread count of everything a run uses (design.md, "Scale"): the
  /// Dispatch loops (``defaultThreads``), OpenBLAS (``OpenBLAS/setThreads(_:)``) and OpenMP,
  /// i.e. oneDNN (`omp_set_num_threads` when the OpenMP runtime is loaded), and the
  /// `OMP_NUM_THREADS` / `OPENBLAS_NUM_THREADS` variables for any child process.
  public static func useThreads(_ n: Int) {
    defaultThreads = n
    setenv("OMP_NUM_THREADS", String(n), 1)
    OpenBLAS.setThreads(n)
    setOpenMPThreads(n)
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
