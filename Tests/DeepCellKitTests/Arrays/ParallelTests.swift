import XCTest

@testable import DeepCellKit

final class ParallelTests: XCTestCase {
  func testForEachVisitsEveryIndexOnce() {
    for threads in [1, 2, 7] {
      let lock = NSLock()
      var seen = [Int](repeating: 0, count: 1000)
      Parallel.forEach(1000, threads: threads) { i in
        lock.lock()
        seen[i] += 1
        lock.unlock()
      }
      XCTAssertEqual(seen, [Int](repeating: 1, count: 1000), "threads \(threads)")
    }
    Parallel.forEach(0, threads: 4) { _ in XCTFail("no items") }
  }

  func testChunksDoNotDependOnThreads() {
    func chunkSums(_ threads: Int) -> [Double] {
      let values = (0..<10_001).map { 1.0 / Double($0 + 1) }
      var sums = [Double](repeating: 0, count: Parallel.chunkCount(values.count, chunkSize: 64))
      sums.withUnsafeMutableBufferPointer { sums in
        Parallel.forEachChunk(values.count, chunkSize: 64, threads: threads) { c, range in
          sums[c] = range.reduce(0) { $0 + values[$1] }
        }
      }
      return sums
    }
    let one = chunkSums(1)
    XCTAssertEqual(one.count, 157)
    XCTAssertEqual(chunkSums(3), one)
    XCTAssertEqual(chunkSums(16), one)
  }

  func testMapKeepsOrderAndRethrowsLowestFailure() throws {
    XCTAssertEqual(try Parallel.map(100, threads: 4) { $0 * $0 }, (0..<100).map { $0 * $0 })
    struct Failure: Error, Equatable { var index: Int }
    XCTAssertThrowsError(
      try Parallel.map(100, threads: 4) { i -> Int in
        if i % 10 == 3 { throw Failure(index: i) }
        return i
      }
    ) { XCTAssertEqual($0 as? Failure, Failure(index: 3)) }
  }

  func testDefaultThreadsIsAtLeastOne() {
    let saved = Parallel.defaultThreads
    defer { Parallel.defaultThreads = saved }
    Parallel.defaultThreads = 0
    XCTAssertEqual(Parallel.defaultThreads, 1)
    Parallel.defaultThreads = 3
    XCTAssertEqual(Parallel.defaultThreads, 3)
  }
}
