import ArgumentParser
import DeepCellKit
import Foundation

/// `dc-bench tiffio`: Time the TIFF writer and reader (bench/tiff_io.sh).
struct TIFFIOBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tiffio", abstract: "Time the TIFF writer and reader (bench/tiff_io.sh).")

  @Argument(parsing: .captureForPassthrough, help: "The benchmark's own arguments.")
  var passthrough: [String] = []

  func run() throws {
    /// Times DeepCellKit's TIFF writer and reader (bench/tiff_io.sh drives it beside tifffile).
    ///
    ///     tiffio-bench write STACK.npy OUT.tif none|deflate[:LEVEL] REPEATS|serve
    ///     tiffio-bench read IN.tif REPEATS
    ///     tiffio-bench bigtiff OUT.tif FRAMES
    ///
    /// Prints the best wall time in seconds over REPEATS runs; `serve` times one write per line
    /// read from stdin instead. Writes start from a new file after `sync`, as bench/tiff_io.sh
    /// times tifffile.
    func seconds(_ body: () throws -> Void) rethrows -> Double {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    let arguments = ["dc-bench tiffio"] + passthrough
    do {
      switch (arguments.count > 1 ? arguments[1] : "", arguments.count) {
      case ("write", 6):
        let stack = try NPY.decode(
          [UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[2]))), subject: arguments[2])
        guard let frames = stack.asStack() else {
          throw DeepCellError(.badData, arguments[2], "not a stack")
        }
        // "deflate" (the default level) or "deflate:LEVEL".
        var options = TIFFWriteOptions(
          compression: arguments[4].hasPrefix("deflate") ? .deflate : .none)
        if let level = arguments[4].split(separator: ":").last.flatMap({ Int($0) }) {
          options.deflateLevel = level
        }
        let slices = (0..<frames.shape[0]).map { frames.frame($0) }
        // Each run writes a new file, as the tools do (temporary file, then rename), with the
        // previous run's pages on disk: neither freeing the old file nor writeback is timed.
        func timedWrite() throws -> Double {
          unlink(arguments[3])
          sync()
          return try seconds {
            let writer = try TIFFStackWriter(
              path: arguments[3], dtype: frames.dtype, frameShape: Array(frames.shape.dropFirst()),
              frameCount: frames.shape[0], options: options)
            for frame in slices { try writer.append(frame) }
            try writer.finish()
          }
        }
        if arguments[5] == "serve" {
          // One timed write per line read, its time printed: bench/tiff_io.sh interleaves these
          // with tifffile's writes so both see the same disk state.
          while readLine() != nil {
            print(String(format: "%.5f", try timedWrite()))
            fflush(stdout)
          }
        } else {
          var best = Double.infinity
          for _ in 0..<max(1, Int(arguments[5]) ?? 1) { best = min(best, try timedWrite()) }
          print(String(format: "%.4f", best))
        }
      case ("read", 4):
        var best = Double.infinity
        var checksum = 0
        for _ in 0..<max(1, Int(arguments[3]) ?? 1) {
          best = min(
            best,
            try seconds {
              let reader = try TIFFStackReader(path: arguments[2])
              checksum = 0
              for i in 0..<reader.frameCount { checksum &+= try reader.readFrame(i).bytes.count }
            })
        }
        print(String(format: "%.4f", best))
      case ("bigtiff", 4):
        // Streams FRAMES frames of 1024×1024 uint16 (frame i filled with i, pixel (0, x) = x) to
        // OUT.tif with the automatic BigTIFF choice, then checks it back frame by frame.
        let count = Int(arguments[3]) ?? 0
        var frame = NDArray(zeros: [1024, 1024, 1], dtype: .uint16)
        let writer = try TIFFStackWriter(
          path: arguments[2], dtype: .uint16, frameShape: [1024, 1024, 1], frameCount: count)
        let written = try seconds {
          for i in 0..<count {
            frame.withUnsafeMutableBufferPointer(UInt16.self) { p in
              p.update(repeating: UInt16(truncatingIfNeeded: i))
              for x in 0..<1024 { p[x] = UInt16(x) }
            }
            try writer.append(frame)
          }
          try writer.finish()
        }
        let reader = try TIFFStackReader(path: arguments[2])
        var bad = 0
        for i in [0, 1, count / 2, count - 2, count - 1] {
          let values = try reader.readFrame(i).values(UInt16.self)
          if values[5] != 5 || values[1024 * 1024 - 1] != UInt16(truncatingIfNeeded: i) { bad += 1 }
        }
        print(
          "wrote \(count) frames (BigTIFF: \(writer.isBigTIFF)) in \(String(format: "%.1f", written)) s; read back \(reader.frameCount) frames, BigTIFF: \(reader.isBigTIFF), bad frames: \(bad)"
        )
      default:
        FileHandle.standardError.write(
          Data(
            "usage: tiffio-bench write STACK.npy OUT.tif none|deflate REPEATS | read IN.tif REPEATS\n"
              .utf8))
        Foundation.exit(64)
      }
    } catch {
      FileHandle.standardError.write(Data("tiffio-bench: error: \(error)\n".utf8))
      Foundation.exit((error as? DeepCellError)?.kind.exitCode ?? 1)
    }
  }
}
