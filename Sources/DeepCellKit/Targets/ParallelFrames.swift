import Foundation

/// Runs independent per-item work on up to `threads` workers (0 = all cores) with
/// `DispatchQueue.concurrentPerform`; items are assigned round-robin, each item writes its
/// own output, so results do not depend on the worker count. `threads == 1` runs inline.
enum ParallelFrames {
  static func run(count: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = min(count, threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)
    if workers <= 1 {
      for i in 0..<count { body(i) }
      return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
      var i = w
      while i < count {
        body(i)
        i += workers
      }
    }
  }
}
