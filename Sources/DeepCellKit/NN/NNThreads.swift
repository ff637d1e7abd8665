import Foundation

/// Thread control for the network engine: one OpenMP pool (libgomp, the runtime oneDNN 2.6
/// is built on) runs oneDNN primitives *and* the engine's own Swift kernels, so two thread
/// pools never spin against each other (backend.md, "Threads"; design.md, "The network room").
/// OpenBLAS keeps its own pthreads and is only called between OpenMP regions.
///
/// Work is split into fixed, thread-count-independent chunks: every kernel computes each
/// output element (and each partial sum) the same way whatever the thread count, so results
/// are bit-identical across thread counts for the Swift kernels.
public enum NNThreads {
  private typealias Body = @convention(c) (UnsafeMutableRawPointer?) -> Void
  private typealias GOMPParallel =
    @convention(c) (Body, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
  private typealias IntGetter = @convention(c) () -> Int32
  private typealias IntSetter = @convention(c) (Int32) -> Void

  private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
    guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, name) else { return nil }
    return unsafeBitCast(sym, to: type)
  }

  // libgomp is loaded with libdnnl; its entry points are found at run time so the package
  // needs no direct `-lgomp`.
  private static let gompParallel = symbol("GOMP_parallel", as: GOMPParallel.self)
  private static let ompThreadNum = symbol("omp_get_thread_num", as: IntGetter.self)
  private static let ompNumThreads = symbol("omp_get_num_threads", as: IntGetter.self)
  private static let ompMaxThreads = symbol("omp_get_max_threads", as: IntGetter.self)
  private static let ompSetNumThreads = symbol("omp_set_num_threads", as: IntSetter.self)

  /// Sets the number of threads for oneDNN and the Swift kernels (`omp_set_num_threads`,
  /// the programmatic form of `OMP_NUM_THREADS`) and for OpenBLAS (`openblas_set_num_threads`).
  /// Call from the thread that runs the network.
  public static func set(_ threads: Int) {
    let n = Int32(max(1, threads))
    _ = DNNLEngine.shared  // make sure libgomp is loaded before looking it up
    ompSetNumThreads?(n)
    OpenBLAS.setThreads(Int(n))
  }

  /// Threads an OpenMP region started now would use.
  public static var count: Int {
    _ = DNNLEngine.shared
    return Int(ompMaxThreads?() ?? 1)
  }

  private final class Job {
    let count: Int
    let body: (Int) -> Void
    init(count: Int, body: @escaping (Int) -> Void) {
      self.count = count
      self.body = body
    }
  }

  /// Runs `body(i)` for i in 0..<count on the OpenMP pool, each thread taking one contiguous
  /// range of indices. `body` must only write data owned by index `i`.
  public static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1, let gompParallel, ompThreadNum != nil, ompNumThreads != nil,
      (ompMaxThreads?() ?? 1) > 1
    else {
      for i in 0..<count { body(i) }
      return
    }
    withoutActuallyEscaping(body) { escaping in
      let job = Job(count: count, body: escaping)
      let context = Unmanaged.passRetained(job)
      gompParallel(
        { raw in
          let job = Unmanaged<Job>.fromOpaque(raw!).takeUnretainedValue()
          let t = Int(NNThreads.ompThreadNum!())
          let nt = Int(NNThreads.ompNumThreads!())
          let start = job.count * t / nt
          let end = job.count * (t + 1) / nt
          var i = start
          while i < end {
            job.body(i)
            i += 1
          }
        }, context.toOpaque(), 0, 0)
      context.release()
    }
  }
}
