import ArgumentParser
import DeepCellKit
import Foundation

/// Times NPZ writing and reading of one (100, 512, 512) uint16 stack with the DeepCellKit
/// codec (see npz-io.sh, which runs numpy on the same data):
///   npz-io FOLDER   — prints "write-stored S", "read-stored S", "write-deflated S", "read-deflated S"
struct NPZInputOutputBenchmark {
  static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  static func main(_ arguments: [String]) throws {
    let folder = arguments[1]
    let shape = [100, 512, 512]
    let n = shape.reduce(1, *)
    // the same values as numpy's ((arange * 2654435761) >> 20) & 0xFFF
    let values = (0..<n).map {
      UInt16(truncatingIfNeeded: (UInt64($0) &* 2_654_435_761) >> 20) & 0xFFF
    }
    let stack = NDArray(shape: shape, values: values)
    for mode in ["stored", "deflated"] {
      let path = "\(folder)/swift-\(mode).npz"
      let write = try seconds {
        let writer = try NPZWriter(path: path, compressed: mode == "deflated")
        try writer.write("X", stack)
        try writer.finish()
      }
      var read: NDArray?
      let readTime = try seconds { read = try NPZReader(path: path).readArray("X") }
      precondition(read == stack, "round trip differs")
      print("write-\(mode) \(write)")
      print("read-\(mode) \(readTime)")
    }
  }
}

/// `dc-bench npz-io`: Time NPZ writing and reading of a (100, 512, 512) uint16 stack (bench/npz-io.sh).
struct NPZIOBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "npz-io",
    abstract: "Time NPZ writing and reading of a (100, 512, 512) uint16 stack (bench/npz-io.sh).")

  @Argument(parsing: .captureForPassthrough, help: "The benchmark's own arguments.")
  var passthrough: [String] = []

  func run() throws { try NPZInputOutputBenchmark.main(["dc-bench npz-io"] + passthrough) }
}
