#if canImport(Glibc)
  import Glibc
#endif

/// Heap settings for a tool process (issue 15, whole-process overhead): glibc serves
/// allocations of 128 KiB and up with fresh `mmap`s and returns freed heap tops above 128 KiB
/// to the system, so a tool that allocates a frame-sized buffer per frame page-faults every
/// buffer in anew (dc-normalize on 16 frames of 512²: 17,700 faults, a third of its CPU time).
/// Raising the mmap threshold to 256 MiB and the trim threshold to 1 GiB (`mallopt`
/// M_MMAP_THRESHOLD, M_TRIM_THRESHOLD) lets later frames reuse the pages of earlier ones; peak
/// memory is still the largest live set, and buffers of 256 MiB and more are still mapped.
enum ProcessMemory {
  /// Applies the heap settings (glibc's `mallopt`, found at run time as Glibc's module map
  /// does not export malloc.h; a no-op where it is absent).
  static func configure() {
    #if canImport(Glibc)
      typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
      guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else {
        return
      }
      let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
      _ = mallopt(-3, 256 << 20)  // M_MMAP_THRESHOLD (malloc.h)
      _ = mallopt(-1, 1 << 30)  // M_TRIM_THRESHOLD
    #endif
  }
}
