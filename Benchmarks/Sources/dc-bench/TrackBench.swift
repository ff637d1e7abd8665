import ArgumentParser
import DeepCellKit
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `dc-bench track`: Time the tracker on a synthetic movie: FRAMES CELLS SIZE.
struct TrackBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "track", abstract: "Time the tracker on a synthetic movie: FRAMES CELLS SIZE.")

  @Argument(parsing: .captureForPassthrough, help: "The benchmark's own arguments.")
  var passthrough: [String] = []

  func run() throws {
    // track-bench: dc-track's tracker on a synthetic movie (default 1000 frames × 500 cells,
    // 640 × 640): frames per second, and peak memory at several movie lengths to show it stays
    // flat (the tracker keeps only the live tracks' last cells, never the movie).
    //
    //   track-bench [FRAMES] [CELLS] [SIZE]

    let arguments = passthrough.compactMap { Int($0) }
    let frameCount = arguments.count > 0 ? arguments[0] : 1000
    let cellCount = arguments.count > 1 ? arguments[1] : 500
    let size = arguments.count > 2 ? arguments[2] : 640

    /// SplitMix64, seeded: the movie is the same on every run.
    struct SplitMix {
      var state: UInt64
      mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
      }
      mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    struct Cell {
      var row, column, velocityRow, velocityColumn, radius: Double
    }

    var rng = SplitMix(state: 20_251_125)
    var cells = (0..<cellCount).map { _ in
      Cell(
        row: 10 + rng.uniform() * Double(size - 20), column: 10 + rng.uniform() * Double(size - 20),
        velocityRow: rng.uniform() * 4 - 2, velocityColumn: rng.uniform() * 4 - 2,
        radius: 5 + rng.uniform() * 3)
    }

    /// Paints the cells (random-walk disks, ids shuffled per frame as a segmentation would give).
    func paint(frame t: Int) -> NDArray {
      var pixels = [UInt16](repeating: 0, count: size * size)
      var order = Array(0..<cellCount)
      for i in stride(from: cellCount - 1, to: 0, by: -1) {
        order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
      }
      for (k, c) in cells.enumerated() {
        let label = UInt16(order[k] + 1)
        let r2 = c.radius * c.radius
        let r0 = max(0, Int(c.row - c.radius))
        let r1 = min(size - 1, Int(c.row + c.radius))
        let c0 = max(0, Int(c.column - c.radius))
        let c1 = min(size - 1, Int(c.column + c.radius))
        if r0 > r1 || c0 > c1 { continue }
        for r in r0...r1 {
          for col in c0...c1 {
            let dr = Double(r) - c.row
            let dc = Double(col) - c.column
            if dr * dr + dc * dc <= r2 { pixels[r * size + col] = label }
          }
        }
      }
      return NDArray(shape: [size, size], values: pixels)
    }

    func step() {
      for i in cells.indices {
        cells[i].velocityRow = max(-3, min(3, cells[i].velocityRow + rng.uniform() - 0.5))
        cells[i].velocityColumn = max(-3, min(3, cells[i].velocityColumn + rng.uniform() - 0.5))
        cells[i].row += cells[i].velocityRow
        cells[i].column += cells[i].velocityColumn
        if cells[i].row < 5 || cells[i].row > Double(size - 5) { cells[i].velocityRow *= -1 }
        if cells[i].column < 5 || cells[i].column > Double(size - 5) {
          cells[i].velocityColumn *= -1
        }
        cells[i].row = max(5, min(Double(size - 5), cells[i].row))
        cells[i].column = max(5, min(Double(size - 5), cells[i].column))
      }
    }

    /// CPU time of this thread, seconds (the machine may be shared: wall time is reported too).
    func threadCPUSeconds() -> Double {
      var ts = timespec()
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
      return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func peakMemoryMiB() -> Double {
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return Double(usage.ru_maxrss) / 1024
    }

    do {
      let tracker = try CellTracker()
      var trackingSeconds = 0.0
      var cpuSeconds = 0.0
      let checkpoints = Set(
        [100, 250, 500, 1000, 2000, 5000].filter { $0 <= frameCount } + [frameCount])
      print("track-bench: \(frameCount) frames × \(cellCount) cells, \(size) × \(size)")
      print("frames  wall ms/frame  CPU ms/frame  peak RSS MiB")
      for t in 0..<frameCount {
        let frame = paint(frame: t)
        step()
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUSeconds()
        _ = try tracker.addFrame(labels: frame)
        cpuSeconds += threadCPUSeconds() - cpuStart
        trackingSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if checkpoints.contains(t + 1) {
          print(
            String(
              format: "%6d  %13.2f  %12.2f  %12.1f", t + 1, 1000 * trackingSeconds / Double(t + 1),
              1000 * cpuSeconds / Double(t + 1), peakMemoryMiB()))
          fflush(stdout)
        }
      }
      let history = tracker.history()
      print(
        String(
          format:
            "tracked: %d tracks (ideal %d); %.1f frames/s wall, %.1f frames/s CPU (tracker only; frames generated outside the timing)",
          history.records.count, cellCount, Double(frameCount) / trackingSeconds,
          Double(frameCount) / cpuSeconds))
    } catch {
      FileHandle.standardError.write(Data("track-bench: error: \(error)\n".utf8))
      Foundation.exit(1)
    }
  }
}
