import Foundation
import XCTest

@testable import DeepCellKit

/// A deterministic (frames, H, W, C) stack of `dtype` whose values span the type's range
/// (negative values for signed types, fractions for floats).
func makeTestStack(_ dtype: DType, frames: Int, height: Int, width: Int, channels: Int) -> NDArray {
  let n = frames * height * width * channels
  let values: [Double] = (0..<n).map { i in
    let v = Double((i * 7919 + 13) % 65521)
    switch dtype {
    case .uint8: return v.truncatingRemainder(dividingBy: 256)
    case .int8: return v.truncatingRemainder(dividingBy: 256) - 128
    case .uint16: return v
    case .int16: return v - 32768
    case .uint32: return v * 65536 + 7
    case .int32: return v * 32768 - 1_073_741_824
    case .uint64: return v * 4_294_967_296
    case .int64: return v * 4_294_967_296 - 140_737_488_355_328
    case .float16: return (v - 30000) / 64
    case .float32, .float64: return (v - 30000) / 7
    case .bool: return 1
    }
  }
  return NDArray(shape: [frames, height, width, channels], values: values).converted(to: dtype)
}

/// Writes `stack` (N, H, W, C) frame by frame to `path`.
func writeTestStack(_ stack: NDArray, to path: String, options: TIFFWriteOptions = .init()) throws {
  let writer = try TIFFStackWriter(
    path: path, dtype: stack.dtype, frameShape: Array(stack.shape.dropFirst()),
    frameCount: stack.shape[0], options: options)
  for i in 0..<stack.shape[0] { try writer.append(stack.frame(i)) }
  try writer.finish()
}

/// Runs `body` with file descriptor 2 redirected to a temporary file; returns what was written there.
func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "stderr-\(UUID().uuidString)")
  let fd = open(url.path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
  let saved = dup(2)
  dup2(fd, 2)
  defer {
    dup2(saved, 2)
    close(saved)
    close(fd)
    try? FileManager.default.removeItem(at: url)
  }
  try body()
  return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
}

final class TIFFStackTests: XCTestCase {
  func testRoundTripEveryDtypeChannelCountCompressionAndLayout() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let dtypes: [DType] = [
      .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64, .float16, .float32,
      .float64,
    ]
    for dtype in dtypes {
      for channels in [1, 2, 3] {
        for compression in [TIFFWriteOptions.Compression.none, .deflate] {
          for imageJ in [true, false] {
            let stack = makeTestStack(dtype, frames: 3, height: 9, width: 7, channels: channels)
            let path = dir.appendingPathComponent(
              "\(dtype)-\(channels)-\(compression)-\(imageJ).tif"
            ).path
            try writeTestStack(
              stack, to: path, options: .init(compression: compression, imageJ: imageJ))
            let reader = try TIFFStackReader(path: path)
            let label = "\(dtype) C=\(channels) \(compression) imageJ=\(imageJ)"
            XCTAssertEqual(reader.dtype, dtype, label)
            XCTAssertEqual(reader.frameCount, 3, label)
            XCTAssertEqual(reader.frameShape, [9, 7, channels], label)
            XCTAssertEqual(try reader.readAll(), stack, label)
            let usesImageJ = imageJ && TIFFStackWriter.isImageJType(dtype)
            XCTAssertEqual(reader.imageJ != nil, usesImageJ, label)
            XCTAssertEqual(reader.pageCount, usesImageJ ? 3 * channels : 3, label)
            XCTAssertEqual(reader.readsPlanesDirectly, usesImageJ && compression == .none, label)
            if !usesImageJ {
              XCTAssertEqual(
                reader.axesShape, channels > 1 ? [3, 9, 7, channels] : [3, 9, 7], label)
            }
            XCTAssertTrue(reader.warnings.isEmpty, "\(label): \(reader.warnings)")
          }
        }
      }
    }
  }

  func testImageJDescriptionIsWhatFijiExpects() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("hyper.tif").path
    try writeTestStack(
      makeTestStack(.uint16, frames: 4, height: 5, width: 6, channels: 2), to: path)
    let reader = try TIFFStackReader(path: path)
    XCTAssertEqual(
      reader.imageDescription,
      "ImageJ=1.11a\nimages=8\nchannels=2\nframes=4\nhyperstack=true\nmode=grayscale\nloop=false\n")
    XCTAssertEqual(reader.imageJ?.channels, 2)
    XCTAssertEqual(reader.imageJ?.frames, 4)
    XCTAssertEqual(reader.imageJ?.images, 8)
    XCTAssertEqual(
      ImageJMetadata(channels: 1, frames: 3).text,
      "ImageJ=1.11a\nimages=3\nframes=3\nhyperstack=true\nmode=grayscale\nloop=false\n")
  }

  func testImageJParsingAcceptsImageJsOwnText() {
    let ij = ImageJMetadata(
      description:
        "ImageJ=1.53t\r\nimages=30\r\nchannels=2\r\nslices=5\r\nframes=3\r\nunit=micron\r\nspacing=0.5\r\n\0"
    )
    XCTAssertEqual(ij?.version, "1.53t")
    XCTAssertEqual(ij?.images, 30)
    XCTAssertEqual(ij?.channels, 2)
    XCTAssertEqual(ij?.slices, 5)
    XCTAssertEqual(ij?.frames, 3)
    XCTAssertEqual(ij?["unit"], "micron")
    XCTAssertNil(ImageJMetadata(description: "{\"shape\": [2, 3]}"))
  }

  func testFramesReadInAnyOrderAndTwoDimensionalFrames() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("order.tif").path
    let stack = makeTestStack(.float32, frames: 5, height: 4, width: 3, channels: 3)
    try writeTestStack(stack, to: path, options: .init(compression: .deflate))
    let reader = try TIFFStackReader(path: path)
    for i in [4, 0, 2, 2, 1, 3, 0] {
      XCTAssertEqual(try reader.readFrame(i), stack.frame(i), "frame \(i)")
    }
    XCTAssertThrowsError(try reader.readFrame(5))

    let flat = dir.appendingPathComponent("flat.tif").path
    let writer = try TIFFStackWriter(path: flat, dtype: .uint8, frameShape: [4, 3], frameCount: 1)
    let image = NDArray(shape: [4, 3], values: [UInt8](0..<12))
    try writer.append(image)
    try writer.finish()
    XCTAssertEqual(try TIFFStackReader(path: flat).readAll(), image.reshaped([1, 4, 3, 1]))
  }

  func testLargeStripsAreSplitForDeflateAndReadBack() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("strips.tif").path
    // 300 rows of 1024 bytes: three strips of 256 rows, the last one short.
    let stack = makeTestStack(.uint16, frames: 2, height: 300, width: 512, channels: 1)
    try writeTestStack(stack, to: path, options: .init(compression: .deflate, deflateLevel: 1))
    XCTAssertEqual(try TIFFStackReader(path: path).readAll(), stack)
    // Corrupt deflate data in a multi-strip page: libtiff reports the damage.
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    for i in (bytes.count - 5000)..<(bytes.count - 4000) {
      bytes[i] = UInt8(truncatingIfNeeded: i &* 31)
    }
    let corrupt = dir.appendingPathComponent("corrupt.tif").path
    try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
    let stderr = try capturingStandardError {
      XCTAssertThrowsError(try TIFFStackReader(path: corrupt).readAll()) {
        XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
      }
    }
    XCTAssertEqual(stderr, "")
  }

  /// The strips of a compressed page decode on several libtiff handles at once, and
  /// uncompressed strips are read with one pread: both give the same frames for any thread
  /// count and in any frame order, and a truncated uncompressed file still fails cleanly.
  func testStripReadsAgreeForAnyThreadCountAndOrder() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let stack = makeTestStack(.int16, frames: 3, height: 700, width: 300, channels: 1)
    let saved = Parallel.defaultThreads
    defer { Parallel.defaultThreads = saved }
    for compression in [TIFFWriteOptions.Compression.deflate, .none] {
      let path = dir.appendingPathComponent("s-\(compression).tif").path
      try writeTestStack(stack, to: path, options: .init(compression: compression))
      for threads in [1, 2, 5] {
        Parallel.defaultThreads = threads
        let reader = try TIFFStackReader(path: path)
        for i in [2, 0, 1, 1, 2] {
          XCTAssertEqual(try reader.readFrame(i), stack.frame(i), "\(compression) \(threads)")
        }
      }
    }
    let whole = [UInt8](
      try Data(contentsOf: URL(fileURLWithPath: dir.appendingPathComponent("s-none.tif").path)))
    let cut = dir.appendingPathComponent("cut.tif").path
    try Data(whole.prefix(whole.count - 1000)).write(to: URL(fileURLWithPath: cut))
    XCTAssertThrowsError(try TIFFStackReader(path: cut).readAll()) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
  }

  /// Pages 1… get copies of page 1's IFD (TIFFDirectoryEditor.replicateLastDirectory) and
  /// uncompressed pages get their strip entries filled in up front: the files are byte for
  /// byte those libtiff writes with one TIFFWriteDirectory a page, for classic and BigTIFF,
  /// ImageJ and shaped layouts, out-of-line values (BitsPerSample of 3 samples), pages large
  /// enough to be queued for one pwritev, and stacks too short to copy anything.
  func testCopiedDirectoriesAreWhatLibTIFFWrites() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let cases: [(DType, frames: Int, height: Int, width: Int, channels: Int)] = [
      (.uint16, 5, 9, 7, 1), (.uint8, 4, 9, 7, 3), (.int32, 3, 9, 7, 3), (.float32, 4, 5, 6, 2),
      (.uint16, 2, 9, 7, 1), (.uint16, 1, 9, 7, 1), (.uint16, 3, 300, 512, 1),
    ]
    for (dtype, frames, height, width, channels) in cases {
      let stack = makeTestStack(
        dtype, frames: frames, height: height, width: width, channels: channels)
      for compression in [TIFFWriteOptions.Compression.none, .deflate] {
        for big in [TIFFWriteOptions.BigTIFF.never, .always] {
          let label = "\(dtype) \(stack.shape) \(compression) \(big)"
          var files: [[UInt8]] = []
          for replicating in [true, false] {
            let path = dir.appendingPathComponent("r-\(replicating).tif").path
            let writer = try TIFFStackWriter(
              path: path, dtype: dtype, frameShape: Array(stack.shape.dropFirst()),
              frameCount: frames, options: .init(compression: compression, bigTIFF: big),
              replicatingDirectories: replicating)
            for i in 0..<frames { try writer.append(stack.frame(i)) }
            try writer.finish()
            let pages = TIFFStackWriter.isImageJType(dtype) ? frames * channels : frames
            XCTAssertEqual(writer.copiedDirectories, replicating ? max(0, pages - 2) : 0, label)
            XCTAssertEqual(try TIFFStackReader(path: path).readAll(), stack, label)
            files.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
          }
          XCTAssertEqual(files[0].count, files[1].count, label)
          XCTAssertTrue(files[0] == files[1], "\(label): the bytes differ")
        }
      }
    }
  }

  func testWriterRejectsWrongFramesAndCleansUp() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("short.tif").path
    let writer = try TIFFStackWriter(
      path: path, dtype: .uint16, frameShape: [4, 4, 1], frameCount: 2)
    XCTAssertThrowsError(try writer.append(NDArray(zeros: [4, 5, 1], dtype: .uint16))) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    XCTAssertThrowsError(try writer.append(NDArray(zeros: [4, 4, 1], dtype: .uint8)))
    try writer.append(NDArray(zeros: [4, 4, 1], dtype: .uint16))
    XCTAssertThrowsError(try writer.finish()) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: path), "a short stack leaves no file")

    let aborted = dir.appendingPathComponent("aborted.tif").path
    let second = try TIFFStackWriter(
      path: aborted, dtype: .uint8, frameShape: [2, 2, 1], frameCount: 3)
    try second.append(NDArray(zeros: [2, 2, 1], dtype: .uint8))
    second.abort()
    XCTAssertFalse(FileManager.default.fileExists(atPath: aborted))

    XCTAssertThrowsError(
      try TIFFStackWriter(
        path: dir.appendingPathComponent("no/such/dir.tif").path, dtype: .uint8,
        frameShape: [2, 2, 1], frameCount: 1)
    ) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .cannotCreate)
    }
    XCTAssertThrowsError(
      try TIFFStackWriter(path: aborted, dtype: .uint8, frameShape: [2, 2, 1], frameCount: 0))
    XCTAssertThrowsError(
      try TIFFStackWriter(path: aborted, dtype: .bool, frameShape: [2, 2, 1], frameCount: 1))
  }

  func testBigTIFFChosenWhenTheFileWouldPassFourGiB() throws {
    let limit = (1 << 32) - (1 << 25)
    XCTAssertFalse(TIFFStackWriter.needsBigTIFF(dataBytes: 100 * 512 * 512 * 2, pageCount: 100))
    XCTAssertFalse(TIFFStackWriter.needsBigTIFF(dataBytes: limit - 256 * 1000, pageCount: 1000))
    XCTAssertTrue(TIFFStackWriter.needsBigTIFF(dataBytes: limit - 256 * 1000 + 1, pageCount: 1000))
    XCTAssertTrue(TIFFStackWriter.needsBigTIFF(dataBytes: 1 << 32, pageCount: 1))
    XCTAssertTrue(TIFFStackWriter.needsBigTIFF(dataBytes: Int.max, pageCount: 10))
    // (2100, 1024, 1024) uint16 is 4.1 GiB: BigTIFF; (2000, …) is 3.9 GiB, (1000, …) 2 GiB: classic.
    XCTAssertTrue(TIFFStackWriter.needsBigTIFF(dataBytes: 2100 * 1024 * 1024 * 2, pageCount: 2100))
    XCTAssertFalse(TIFFStackWriter.needsBigTIFF(dataBytes: 2000 * 1024 * 1024 * 2, pageCount: 2000))
    XCTAssertFalse(TIFFStackWriter.needsBigTIFF(dataBytes: 1000 * 1024 * 1024 * 2, pageCount: 1000))

    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("big.tif").path
    let stack = makeTestStack(.int32, frames: 3, height: 5, width: 4, channels: 2)
    try writeTestStack(stack, to: path, options: .init(bigTIFF: .always))
    let reader = try TIFFStackReader(path: path)
    XCTAssertTrue(reader.isBigTIFF)
    XCTAssertEqual(try reader.readAll(), stack)
    let header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(4))
    XCTAssertEqual(header, [0x49, 0x49, 0x2B, 0x00])
    let small = dir.appendingPathComponent("small.tif").path
    try writeTestStack(stack, to: small)
    XCTAssertFalse(try TIFFStackReader(path: small).isBigTIFF)
    // Classic TIFF forced on a stack past 4 GiB: refused when the writer opens, before any
    // pixel is written, and nothing is left behind.
    let forced = dir.appendingPathComponent("forced-classic.tif").path
    XCTAssertThrowsError(
      try TIFFStackWriter(
        path: forced, dtype: .uint16, frameShape: [1024, 1024, 1], frameCount: 2100,
        options: .init(bigTIFF: .never))
    ) { XCTAssertEqual(($0 as? DeepCellError)?.kind, .io) }
    XCTAssertFalse(FileManager.default.fileExists(atPath: forced))
  }

  /// Uncompressed pages of 2 MiB are written in place one at a time, each from the frame
  /// appended: a stack of 70 MiB reads back exactly.
  func testLargeUncompressedPagesReadBack() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("large.tif").path
    let frames = 35
    func frame(_ i: Int) -> NDArray {
      var frame = NDArray(zeros: [1024, 1024, 1], dtype: .uint16)
      frame.withUnsafeMutableBufferPointer(UInt16.self) { p in
        for k in 0..<p.count { p[k] = UInt16(truncatingIfNeeded: k &* 31 &+ i &* 977) }
      }
      return frame
    }
    let writer = try TIFFStackWriter(
      path: path, dtype: .uint16, frameShape: [1024, 1024, 1], frameCount: frames)
    for i in 0..<frames { try writer.append(frame(i)) }
    try writer.finish()
    let reader = try TIFFStackReader(path: path)
    XCTAssertEqual(reader.frameCount, frames)
    for i in [0, 1, 31, 32, 33, 34] { XCTAssertTrue(try reader.readFrame(i) == frame(i), "\(i)") }
  }

  func testLayoutFromDescriptions() {
    typealias L = TIFFFrameLayout
    let ij = ImageJMetadata(channels: 2, frames: 3)
    XCTAssertEqual(
      L.resolve(
        pageCount: 6, height: 4, width: 5, samples: 1, imageJ: ij, shape: nil,
        contiguousPossible: false
      ).0,
      L(frameCount: 3, frameShape: [4, 5, 2], pagesPerFrame: 2, join: .channels))
    // ImageJ's single-IFD form for > 4 GiB.
    XCTAssertEqual(
      L.resolve(
        pageCount: 1, height: 4, width: 5, samples: 1, imageJ: ij, shape: nil,
        contiguousPossible: true
      ).0,
      L(
        frameCount: 3, frameShape: [4, 5, 2], pagesPerFrame: 2, join: .channels,
        contiguousPlanes: true))
    let (fallback, warning) = L.resolve(
      pageCount: 5, height: 4, width: 5, samples: 1, imageJ: ij, shape: nil,
      contiguousPossible: false)
    XCTAssertEqual(fallback, L.pages(5, height: 4, width: 5, samples: 1))
    XCTAssertNotNil(warning)
    // tifffile: (T, H, W, C) non-RGB is stored as H pages of (W, C) per frame.
    XCTAssertEqual(
      L.resolve(
        pageCount: 32, height: 8, width: 2, samples: 1, imageJ: nil, shape: [4, 8, 8, 2],
        contiguousPossible: false
      ).0,
      L(frameCount: 4, frameShape: [8, 8, 2], pagesPerFrame: 8, join: .rows))
    XCTAssertEqual(
      L.resolve(
        pageCount: 4, height: 8, width: 8, samples: 3, imageJ: nil, shape: [4, 8, 8, 3],
        contiguousPossible: false
      ).0,
      L.pages(4, height: 8, width: 8, samples: 3))
    XCTAssertEqual(
      L.resolve(
        pageCount: 3, height: 8, width: 8, samples: 1, imageJ: nil, shape: [3, 8, 8],
        contiguousPossible: false
      ).0,
      L.pages(3, height: 8, width: 8, samples: 1))
    XCTAssertNotNil(
      L.resolve(
        pageCount: 3, height: 8, width: 8, samples: 1, imageJ: nil, shape: [4, 8, 8],
        contiguousPossible: false
      ).warning)
    XCTAssertEqual(TIFFStackReader.shapeFromJSON("{\"shape\": [4, 8, 8, 2]}"), [4, 8, 8, 2])
    XCTAssertNil(TIFFStackReader.shapeFromJSON("{\"shape\": [4, -8]}"))
    XCTAssertNil(TIFFStackReader.shapeFromJSON("shape"))
  }

  func testBadInputGivesTypedErrorsAndNothingOnStderr() throws {
    let dir = try TestPaths.temporaryFolder(self)
    func kind(_ path: String, readAll: Bool = true) -> DeepCellError.Kind? {
      do {
        let reader = try TIFFStackReader(path: path)
        if readAll { _ = try reader.readAll() }
        return nil
      } catch let error as DeepCellError {
        XCTAssertFalse(error.reason.isEmpty)
        XCTAssertEqual(error.subject, path)
        return error.kind
      } catch {
        XCTFail("unexpected error \(error)")
        return nil
      }
    }
    let good = dir.appendingPathComponent("good.tif").path
    let stack = makeTestStack(.uint16, frames: 4, height: 32, width: 32, channels: 1)
    try writeTestStack(stack, to: good, options: .init(compression: .deflate))
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
    func file(_ name: String, _ content: [UInt8]) throws -> String {
      let path = dir.appendingPathComponent(name).path
      try Data(content).write(to: URL(fileURLWithPath: path))
      return path
    }
    let stderr = try capturingStandardError {
      XCTAssertEqual(kind(dir.appendingPathComponent("missing.tif").path), .noInput)
      // Found by fuzz/run.sh tiff: a BigTIFF strip offset past what off_t holds.
      XCTAssertEqual(
        kind(TestPaths.fixture("tiff/fuzz-strip-offset-past-off_t.tif").path), .badData)
      XCTAssertEqual(kind(dir.path), .noInput)
      XCTAssertEqual(kind(try file("empty.tif", [])), .badData)
      XCTAssertEqual(kind(try file("magic.tif", Array("GIF89a not a tiff at all".utf8))), .badData)
      XCTAssertEqual(kind(try file("header.tif", Array(bytes.prefix(6)))), .badData)
      for cut in [9, 100, bytes.count / 2, bytes.count * 3 / 4, bytes.count - 1] {
        XCTAssertEqual(
          kind(try file("cut\(cut).tif", Array(bytes.prefix(cut)))), .badData, "cut at \(cut)")
      }
      // Garbage over the first IFDs, and over the deflate data (stored after the IFDs).
      var corruptIFD = bytes
      for i in 16..<400 { corruptIFD[i] = UInt8(truncatingIfNeeded: i &* 37) }
      XCTAssertEqual(kind(try file("corrupt-ifd.tif", corruptIFD)), .badData)
      var corrupt = bytes
      for i in (bytes.count - 700)..<(bytes.count - 300) {
        corrupt[i] = UInt8(truncatingIfNeeded: i &* 37)
      }
      XCTAssertEqual(kind(try file("corrupt.tif", corrupt)), .badData)
      // An IFD chain pointing back to itself.
      var loop = bytes
      let ifd = Int(loop[4]) | Int(loop[5]) << 8 | Int(loop[6]) << 16 | Int(loop[7]) << 24
      let entries = Int(loop[ifd]) | Int(loop[ifd + 1]) << 8
      let next = ifd + 2 + entries * 12
      for k in 0..<4 { loop[next + k] = loop[4 + k] }
      let looped = try TIFFStackReader(path: try file("loop.tif", loop))
      XCTAssertEqual(looped.frameCount, 1, "the chain stops where it loops")
      XCTAssertFalse(looped.warnings.isEmpty)
      // The IFDs come first and the pixel data last: a cut tail loses pixels of the last frame.
      XCTAssertEqual(kind(try file("tail.tif", Array(bytes.prefix(bytes.count - 20)))), .badData)
    }
    XCTAssertEqual(stderr, "", "libtiff must not print")
  }
}
