import Foundation
import XCTest

@testable import DeepCellKit

/// Small arrays of every dtype, shapes the tools meet (stacks, 0-d, empty).
enum NPZSamples {
  static func array(_ dtype: DType, shape: [Int], seed: Int = 0) -> NDArray {
    let n = shape.reduce(1, *)
    let values = (0..<n).map { i -> Double in
      let v = Double((i * 37 + seed * 11) % 97)
      return dtype == .bool
        ? Double(v.truncatingRemainder(dividingBy: 2))
        : (dtype.isSigned || dtype.isFloat ? v - 40 : v)
    }
    return NDArray(shape: shape, values: values).converted(to: dtype)
  }

  /// One array per dtype plus a 0-d, an empty and a 4-D stack.
  static var bundle: ArrayBundle {
    var b = ArrayBundle()
    for (i, dtype) in DType.allCases.enumerated() {
      b["a_\(dtype)"] = array(dtype, shape: [2, 3, 4], seed: i)
    }
    b["scalar"] = array(.float64, shape: [], seed: 3)
    b["empty"] = array(.int32, shape: [0, 3], seed: 1)
    b["X"] = array(.float32, shape: [3, 5, 4, 2], seed: 5)
    b["y"] = array(.int32, shape: [3, 5, 4, 1], seed: 6)
    return b
  }
}

/// Collects everything written into a pipe while `write` runs with the pipe's write end.
func collectThroughPipe(_ write: (Int32) throws -> Void) throws -> Data {
  final class Box: @unchecked Sendable { var data = Data() }
  let pipe = Pipe()
  let collected = Box()
  let reader = Thread { collected.data = pipe.fileHandleForReading.readDataToEndOfFile() }
  reader.start()
  do {
    try write(pipe.fileHandleForWriting.fileDescriptor)
  } catch {
    try? pipe.fileHandleForWriting.close()
    throw error
  }
  try pipe.fileHandleForWriting.close()
  while !reader.isFinished { usleep(1000) }
  return collected.data
}

/// A version 1.0 NPY header around the dict literal `dict`, padded as numpy pads.
func npyHeader(_ dict: String, major: UInt8 = 1) -> [UInt8] {
  let prefix = major == 1 ? 10 : 12
  let padded = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
  let length = padded - prefix
  var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
  out +=
    major == 1
    ? [UInt8(length & 0xFF), UInt8(length >> 8)] : [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0]
  out += Array(dict.utf8)
  out += [UInt8](repeating: 0x20, count: padded - prefix - dict.utf8.count - 1)
  out.append(0x0A)
  return out
}

/// Asserts that `body` throws a DeepCellError of `kind` whose reason contains `text`.
func assertDeepCellError<T>(
  _ kind: DeepCellError.Kind, _ text: String = "", file: StaticString = #filePath,
  line: UInt = #line, _ body: () throws -> T
) {
  do {
    _ = try body()
    XCTFail("expected a \(kind) error containing '\(text)'", file: file, line: line)
  } catch let error as DeepCellError {
    XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
    if !text.isEmpty {
      XCTAssertTrue(error.description.contains(text), "\(error)", file: file, line: line)
    }
  } catch {
    XCTFail("unexpected error \(error)", file: file, line: line)
  }
}

/// The files in `folder`.
func folderListing(_ folder: URL) -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
}
