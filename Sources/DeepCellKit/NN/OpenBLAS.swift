import Foundation

/// OpenBLAS (libopenblas0-pthread, backend.md §1), opened on first use instead of linked.
///
/// Its pthread build starts a thread pool from the library's constructor, at process start,
/// and the idle workers poll with `sched_yield` for a while: a tool that never multiplies
/// matrices (dc-normalize, dc-augment, …) paid for that spinning on every run (issue 15,
/// `strace -c`: 1,613 `sched_yield` calls in one dc-normalize). Opened lazily, OpenBLAS only
/// exists in the processes that run a 1×1 convolution as a GEMM. It reads
/// `OPENBLAS_NUM_THREADS` when it opens; ``setThreads(_:)`` sets both.
enum OpenBLAS {
  /// `CBLAS_TRANSPOSE` (cblas.h).
  enum Transpose: Int32 {
    case none = 111
    case transposed = 112
  }

  private typealias SGEMM =
    @convention(c) (
      Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
  private typealias SetThreads = @convention(c) (Int32) -> Void
  private typealias Config = @convention(c) () -> UnsafePointer<CChar>?

  /// The library handle (nil when no OpenBLAS is installed), opened on first access.
  private static let handle: UnsafeMutableRawPointer? = {
    for name in ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"] {
      if let h = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { return h }
    }
    return nil
  }()
  nonisolated(unsafe) private static var opened = false

  private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
    opened = true
    guard let handle, let s = dlsym(handle, name) else { return nil }
    return unsafeBitCast(s, to: type)
  }

  private static let sgemmFunction = symbol("cblas_sgemm", as: SGEMM.self)

  /// C = α·op(A)·op(B) + β·C, row-major (`cblas_sgemm(CblasRowMajor, …)`).
  ///
  /// - Throws: ``DeepCellError`` (`io`) when no OpenBLAS library can be opened.
  static func sgemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) throws {
    guard let sgemmFunction else {
      throw DeepCellError(
        .io, "OpenBLAS", "cannot open libopenblas.so.0 (install libopenblas0-pthread)")
    }
    sgemmFunction(
      101, transA.rawValue, transB.rawValue, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b,
      Int32(ldb), beta, c, Int32(ldc))
  }

  /// Threads OpenBLAS uses: `OPENBLAS_NUM_THREADS` for when it opens, and
  /// `openblas_set_num_threads` if it is open already.
  static func setThreads(_ n: Int) {
    setenv("OPENBLAS_NUM_THREADS", String(max(1, n)), 1)
    guard opened, let set = symbol("openblas_set_num_threads", as: SetThreads.self) else { return }
    set(Int32(max(1, n)))
  }

  /// `openblas_get_config()` ("OpenBLAS 0.3.21 …"; opens the library), or a note that none
  /// is installed.
  static var configuration: String {
    guard let get = symbol("openblas_get_config", as: Config.self), let s = get() else {
      return "no OpenBLAS"
    }
    return String(cString: s)
  }
}
