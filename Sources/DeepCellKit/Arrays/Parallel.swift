import Dispatch
import Foundation

/// Data-parallel loops over independent work items on a bounded number of worker threads,
/// built on `DispatchQueue.concurrentPerform` (design.md, "Scale"; HELPERS.md, "Performance").
///
/// Determinism contract: every loop here hands out work items whose boundaries depend only
/// on `count` (and `chunkSize`), never on the thread count, and the items run in any order.
/// A body that writes only its own item's output therefore gives bit-identical results for
/// any `threads`. Reductions stay deterministic when each chunk writes a partial result to
/// its own slot and the caller combines the slots in index order afterwards
/// (``forEachChunk(_:chunkSize:threads:_:)`` is made for that).
public enum Parallel {
  /// Guards ``defaultThreads``.
  private static let settingsLock = NSLock()
  /// Backing store of ``defaultThreads``.
  nonisolated(unsafe) private static var configuredThreads: Int = ProcessInfo.processInfo
    .activeProcessorCount

  /// The worker count a loop uses when it is given none: all active cores unless a tool
  /// set it from `--threads` (see the CLI room's `RuntimeOptions`). Always at least 1.
  public static var defaultThreads: Int {
    get { settingsLock.withLock { configuredThreads } }
    set { settingsLock.withLock { configuredThreads = max(1, newValue) } }
  }

  /// Calls `body(i)` for every `i` in `0..<count` on up to `threads` workers
  /// (default ``defaultThreads``). Items must be independent of each other; they may run
  /// in any order and concurrently. With one worker (or one item) the loop runs inline.
  public static func forEach(_ count: Int, threads: Int? = nil, _ body: (Int) -> Void) {
    guard count > 0 else { return }
    let workers = min(max(1, threads ?? defaultThreads), count)
    if workers == 1 {
      for i in 0..<count { body(i) }
      return
    }
    let next = WorkCounter()
    withoutActuallyEscaping(body) { body in
      DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while let i = next.take(below: count) { body(i) }
      }
    }
  }

  /// Like ``forEach(_:threads:_:)-(_,_,(Int)->Void)`` for a throwing body. Every item runs;
  /// if any fail, the error of the lowest failing index is rethrown (so the error reported
  /// does not depend on scheduling).
  public static func forEach(_ count: Int, threads: Int? = nil, _ body: (Int) throws -> Void) throws
  {
    let failures = FirstFailure()
    forEach(count, threads: threads) { i in
      do { try body(i) } catch { failures.record(error, at: i) }
    }
    if let error = failures.error { throw error }
  }

  /// Splits `0..<count` into consecutive ranges of `chunkSize` (the last one shorter) and
  /// calls `body(chunkIndex, range)` for each on up to `threads` workers. The chunk
  /// boundaries depend only on `count` and `chunkSize`, so per-chunk partial results
  /// stored at `chunkIndex` and combined in order are identical for any thread count.
  public static func forEachChunk(
    _ count: Int, chunkSize: Int, threads: Int? = nil,
    _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
  ) {
    guard count > 0 else { return }
    let size = max(1, chunkSize)
    let chunks = chunkCount(count, chunkSize: size)
    forEach(chunks, threads: threads) { c in
      body(c, (c * size)..<min(count, (c + 1) * size))
    }
  }

  /// The number of chunks ``forEachChunk(_:chunkSize:threads:_:)`` makes: `ceil(count / chunkSize)`.
  public static func chunkCount(_ count: Int, chunkSize: Int) -> Int {
    count <= 0 ? 0 : (count + max(1, chunkSize) - 1) / max(1, chunkSize)
  }

  /// `(0..<count).map(body)` computed on up to `threads` workers; results in index order.
  /// If any item throws, the error of the lowest failing index is rethrown.
  public static func map<T>(_ count: Int, threads: Int? = nil, _ body: (Int) throws -> T) throws
    -> [T]
  {
    let results = ResultSlots<T>(count: count)
    try forEach(count, threads: threads) { i in results.store(try body(i), at: i) }
    return results.values()
  }
}

/// Hands out the indices 0, 1, 2, … to the workers of one loop.
private final class WorkCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var nextIndex = 0

  /// The next unclaimed index, or nil once `count` is reached.
  func take(below count: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard nextIndex < count else { return nil }
    nextIndex += 1
    return nextIndex - 1
  }
}

/// Keeps the error of the lowest failing index of a loop.
private final class FirstFailure: @unchecked Sendable {
  private let lock = NSLock()
  private var index = Int.max
  private(set) var error: Error?

  func record(_ error: Error, at i: Int) {
    lock.lock()
    defer { lock.unlock() }
    if i < index {
      index = i
      self.error = error
    }
  }
}

/// One slot per index, each written by exactly one worker.
private final class ResultSlots<T>: @unchecked Sendable {
  private var slots: [T?]
  private let lock = NSLock()

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func store(_ value: T, at i: Int) {
    lock.lock()
    slots[i] = value
    lock.unlock()
  }

  func values() -> [T] { slots.map { $0! } }
}
