import ArgumentParser
import DeepCellKit
import Foundation

/// Writes and reads an NPZ whose member passes 4 GiB (spec/io.md §3, Zip64), streaming:
///   npz-large-zip64 write PATH|- stored|deflated FRAMES   — uint16 frames of 2048×2048, frame i filled with i
///   npz-large-zip64 read PATH FRAMES                      — reads every frame in order (CRC checked) and checks it
struct LargeZip64 {
  static func main(_ arguments: [String]) throws {
    let args = arguments
    let side = 2048
    let frames = Int(args[args.count - 1])!
    if args[1] == "write" {
      let writer =
        args[2] == "-"
        ? try NPZWriter(fileDescriptor: 1, compressed: args[3] == "deflated")
        : try NPZWriter(path: args[2], compressed: args[3] == "deflated")
      try writer.write("small", NDArray(shape: [4], values: [Int32](repeating: 7, count: 4)))
      let stream = try writer.beginArray("X", shape: [frames, side, side], dtype: .uint16)
      for i in 0..<frames {
        try stream.append(
          NDArray(shape: [side, side], values: [UInt16](repeating: UInt16(i), count: side * side)))
      }
      try stream.end()
      try writer.write("after", NDArray(shape: [3], values: [Float](repeating: 1.5, count: 3)))
      try writer.finish()
    } else {
      let reader = try NPZReader(path: args[2])
      precondition(reader.names == ["small", "X", "after"], "names \(reader.names)")
      let stack = try reader.stackReader("X")
      precondition(stack.frameCount == frames && stack.frameShape == [side, side, 1])
      for i in 0..<frames {
        let frame = try stack.readFrame(i)
        frame.withUnsafeBufferPointer(UInt16.self) { v in
          precondition(v[0] == UInt16(i) && v[v.count - 1] == UInt16(i), "frame \(i)")
        }
      }
      let after = try reader.readArray("after").floats()
      precondition(after == [1.5, 1.5, 1.5])
      print("read \(frames) frames of X, CRC-32 checked; small and after intact")
    }
  }
}

/// `dc-bench npz-large-zip64`: Write and read back an NPZ past 4 GiB (bench/npz-large-zip64.sh).
struct NPZLargeZip64Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "npz-large-zip64",
    abstract: "Write and read back an NPZ past 4 GiB (bench/npz-large-zip64.sh).")

  @Argument(parsing: .captureForPassthrough, help: "The benchmark's own arguments.")
  var passthrough: [String] = []

  func run() throws { try LargeZip64.main(["dc-bench npz-large-zip64"] + passthrough) }
}
