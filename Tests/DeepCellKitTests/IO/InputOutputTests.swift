import Foundation
import XCTest

@testable import DeepCellKit

#if canImport(Glibc)
  import Glibc
  private let RLIMIT_FSIZE_VALUE = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
#else
  private let RLIMIT_FSIZE_VALUE = RLIMIT_FSIZE
#endif

/// The unified input/output layer (design.md, "Inputs"/"Outputs"): stdin spooling, format
/// from magic bytes, named arrays, atomic outputs, stdout, streaming writers.
final class InputOutputTests: XCTestCase {
  func npzBytes(_ bundle: ArrayBundle, compressed: Bool = false) throws -> [UInt8] {
    let data = try collectThroughPipe { fd in
      let w = try NPZWriter(fileDescriptor: fd, compressed: compressed)
      try w.write(bundle)
      try w.finish()
    }
    return [UInt8](data)
  }

  /// Opens an InputFile reading `bytes` from a pipe standing for stdin.
  private func inputFromPipe(_ bytes: [UInt8]) throws -> InputFile {
    let pipe = Pipe()
    let writer = Thread {
      pipe.fileHandleForWriting.write(Data(bytes))
      try? pipe.fileHandleForWriting.close()
    }
    writer.start()
    defer { try? pipe.fileHandleForReading.close() }
    return try InputFile(path: "-", standardInput: pipe.fileHandleForReading.fileDescriptor)
  }

  func testStdinPipeIsSpooled() throws {
    let bundle = NPZSamples.bundle
    let input = try inputFromPipe(try npzBytes(bundle, compressed: true))
    XCTAssertEqual(input.subject, "-")
    XCTAssertEqual(input.format, .npz)
    XCTAssertEqual(input.arrayNames, bundle.names)
    XCTAssertEqual(try input.readBundle(), bundle)
    let frames = try input.stackReader()  // nil: X
    XCTAssertEqual(frames.frameShape, [5, 4, 2])
    XCTAssertEqual(try frames.readFrame(2).bytes, bundle["X"]!.frame(2).bytes)

    let npy = try inputFromPipe(NPY.encode(bundle["y"]!))
    XCTAssertEqual(npy.format, .npy)
    XCTAssertEqual(npy.arrayNames, ["arr_0"])
    XCTAssertEqual(try npy.stackReader(name: "arr_0").readAll(), bundle["y"]!)
    assertDeepCellError(.badData, "empty file") { try inputFromPipe([]) }
    assertDeepCellError(.badData, "-: not a TIFF") { try inputFromPipe(Array("PK? no".utf8)) }
  }

  func testStdinRegularFileIsReadInPlace() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let url = folder.appendingPathComponent("in.npy")
    let array = NPZSamples.array(.uint16, shape: [2, 3, 3])
    try Data(NPY.encode(array)).write(to: url)
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    let input = try InputFile(path: nil, standardInput: handle.fileDescriptor)
    XCTAssertEqual(try input.readArray(), array)
    XCTAssertEqual(try input.stackReader().frameCount, 2)
  }

  func testOutputFormatResolution() throws {
    let folder = try TestPaths.temporaryFolder(self)
    func format(_ name: String?, _ explicit: FileFormat? = nil, _ count: Int = 1) throws
      -> FileFormat
    {
      let out = try OutputFile(
        path: name.map { folder.appendingPathComponent($0).path }, format: explicit,
        arrayCount: count)
      defer { out.abort() }
      return out.format
    }
    XCTAssertEqual(try format("a.tif"), .tiff)
    XCTAssertEqual(try format("a.TIFF", nil, 3), .tiff)
    XCTAssertEqual(try format("a.png"), .png)
    XCTAssertEqual(try format("a.npy"), .npy)
    XCTAssertEqual(try format("a.npz"), .npz)
    XCTAssertEqual(try format("a.tif", .npz), .npz)
    XCTAssertEqual(try format("noext"), .tiff)
    XCTAssertEqual(try format("noext", nil, 2), .npz)
    XCTAssertEqual(try format(nil), .tiff)
    XCTAssertEqual(try format(nil, nil, 2), .npz)
    XCTAssertEqual(folderListing(folder), [], "aborted outputs leave nothing")
  }

  func testAtomicWriteToPath() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let destination = folder.appendingPathComponent("out.npz").path
    let output = try OutputFile(path: destination)
    XCTAssertEqual(
      URL(fileURLWithPath: output.temporaryPath).deletingLastPathComponent().path, folder.path)
    XCTAssertTrue(
      URL(fileURLWithPath: output.temporaryPath).lastPathComponent.hasPrefix(".out.npz.tmp-"))
    try writeBundle(NPZSamples.bundle, to: output)
    XCTAssertEqual(folderListing(folder), ["out.npz"])
    let mode =
      try FileManager.default.attributesOfItem(atPath: destination)[.posixPermissions] as? Int
    let mask = umask(0o022)
    umask(mask)
    XCTAssertEqual(mode, 0o666 & ~Int(mask))
    XCTAssertEqual(try InputFile(path: destination).readBundle(), NPZSamples.bundle)
  }

  func testSingleArrayFormatsRefuseSeveralArraysAndLeaveNothing() throws {
    let folder = try TestPaths.temporaryFolder(self)
    for name in ["out.tif", "out.npy", "out.png"] {
      let output = try OutputFile(path: folder.appendingPathComponent(name).path)
      assertDeepCellError(.usage, "holds one array") {
        try writeBundle(NPZSamples.bundle, to: output)
      }
      let stream = try OutputFile(path: folder.appendingPathComponent(name).path)
      assertDeepCellError(.usage, "would be lost") {
        try makeStackWriter(
          stream, name: "X", dtype: .float32, frameShape: [4, 4, 1], frameCount: 1,
          passThrough: ArrayBundle([("y", NPZSamples.array(.int32, shape: [1, 4, 4]))]))
      }
    }
    XCTAssertEqual(folderListing(folder), [])
  }

  func testUnwritableOutputs() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let missing = folder.appendingPathComponent("no/such/dir/out.npz").path
    assertDeepCellError(.cannotCreate, missing) { try OutputFile(path: missing) }
    assertDeepCellError(.cannotCreate, "is a directory") { try OutputFile(path: folder.path) }
    if getuid() != 0 {
      let locked = folder.appendingPathComponent("locked")
      try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
      chmod(locked.path, 0o555)
      defer { chmod(locked.path, 0o755) }
      let path = locked.appendingPathComponent("out.tif").path
      assertDeepCellError(.cannotCreate, path) { try OutputFile(path: path) }
    }
    // a full disk (/dev/full where the system has it): writes fail with `io`
    var info = stat()
    if stat("/dev/full", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR {
      assertDeepCellError(.io, "no space left on device") {
        let writer = try NPZWriter(
          fileDescriptor: open("/dev/full", O_WRONLY), subject: "/dev/full")
        try writer.write("X", NPZSamples.array(.float32, shape: [300, 300]))
        try writer.finish()
      }
    }
  }

  /// A write that fails midway (the file-size limit stands in for a full disk) is an
  /// `io` error and leaves neither the output nor its temporary file.
  func testWriteFailureLeavesNothing() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let previous = signal(SIGXFSZ, SIG_IGN)
    var saved = rlimit()
    getrlimit(RLIMIT_FSIZE_VALUE, &saved)
    var limited = saved
    limited.rlim_cur = 64 << 10
    setrlimit(RLIMIT_FSIZE_VALUE, &limited)
    defer {
      setrlimit(RLIMIT_FSIZE_VALUE, &saved)
      signal(SIGXFSZ, previous)
    }
    let big = NPZSamples.array(.float32, shape: [4, 100, 100])
    for name in ["big.npz", "big.npy"] {
      let output = try OutputFile(path: folder.appendingPathComponent(name).path)
      assertDeepCellError(.io, "file too large") {
        try writeBundle(ArrayBundle([("X", big)]), to: output)
      }
      let stream = try OutputFile(path: folder.appendingPathComponent(name).path)
      assertDeepCellError(.io, "file too large") {
        let writer = try makeStackWriter(
          stream, name: "X", dtype: .float32, frameShape: [100, 100, 1], frameCount: 4)
        for i in 0..<4 { try writer.append(big.frame(i)) }
        try writer.finish()
      }
    }
    XCTAssertEqual(folderListing(folder), [])
  }

  func testStdoutThroughPipe() throws {
    // NPY to stdout goes through the temporary file and is copied
    let array = NPZSamples.array(.float32, shape: [2, 4, 4, 1])
    var temporary = ""
    let npy = try collectThroughPipe { fd in
      let output = try OutputFile(path: "-", format: .npy, arrayCount: 1, standardOutput: fd)
      temporary = output.temporaryPath
      try writeBundle(ArrayBundle([("X", array)]), to: output)
    }
    XCTAssertEqual(try NPY.decode([UInt8](npy), subject: "-"), array)
    XCTAssertFalse(FileManager.default.fileExists(atPath: temporary))
    // NPZ to a stdout pipe is streamed with data descriptors
    let npz = try collectThroughPipe { fd in
      let output = try OutputFile(path: nil, format: nil, arrayCount: 2, standardOutput: fd)
      XCTAssertEqual(output.format, .npz)
      try writeBundle(NPZSamples.bundle, to: output, compressed: true)
    }
    XCTAssertEqual([UInt8](npz)[6] & 0x08, 0x08)
    XCTAssertEqual(try inputFromPipe([UInt8](npz)).readBundle(), NPZSamples.bundle)
  }

  func testStackWriterWithPassThrough() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let source = folder.appendingPathComponent("train.npz").path
    let x = NPZSamples.array(.uint16, shape: [3, 6, 5, 1])
    let y = NPZSamples.array(.int32, shape: [3, 6, 5, 1])
    try writeBundle(ArrayBundle([("X", x), ("y", y)]), to: OutputFile(path: source))

    let input = try InputFile(path: source)
    let frames = try input.stackReader(name: "X")
    var passThrough = try input.readBundle()
    passThrough["X"] = nil
    let destination = folder.appendingPathComponent("norm.npz").path
    let output = try OutputFile(path: destination)
    let writer = try makeStackWriter(
      output, name: "X", dtype: .float32, frameShape: frames.frameShape,
      frameCount: frames.frameCount, passThrough: passThrough)
    for i in 0..<frames.frameCount {
      try writer.append(try frames.readFrame(i).converted(to: .float32))
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: destination), "nothing visible before finish")
    try writer.finish()
    let result = try InputFile(path: destination).readBundle()
    XCTAssertEqual(result.names, ["y", "X"])
    XCTAssertEqual(result["y"], y)
    XCTAssertEqual(result["X"], x.converted(to: .float32))

    // NPY streaming output
    let npyPath = folder.appendingPathComponent("x.npy").path
    let npyWriter = try makeStackWriter(
      OutputFile(path: npyPath), name: "X", dtype: .uint16, frameShape: [6, 5, 1], frameCount: 3)
    for i in 0..<3 { try npyWriter.append(x.frame(i)) }
    try npyWriter.finish()
    XCTAssertEqual(try InputFile(path: npyPath).readArray(), x)
  }

  func testAbortedOrShortStacksLeaveNothing() throws {
    let folder = try TestPaths.temporaryFolder(self)
    for name in ["a.npz", "a.npy"] {
      let path = folder.appendingPathComponent(name).path
      let aborted = try makeStackWriter(
        OutputFile(path: path), name: "X", dtype: .uint8, frameShape: [2, 2, 1], frameCount: 3)
      try aborted.append(NDArray(zeros: [2, 2, 1], dtype: .uint8))
      aborted.abort()
      let short = try makeStackWriter(
        OutputFile(path: path), name: "X", dtype: .uint8, frameShape: [2, 2, 1], frameCount: 3)
      try short.append(NDArray(zeros: [2, 2, 1], dtype: .uint8))
      assertDeepCellError(.usage, "1 of 3 frames") { try short.finish() }
      let wrong = try makeStackWriter(
        OutputFile(path: path), name: "X", dtype: .uint8, frameShape: [2, 2, 1], frameCount: 3)
      assertDeepCellError(.usage, "does not fit") {
        try wrong.append(NDArray(zeros: [3, 2, 1], dtype: .uint8))
      }
      do {
        let dropped = try makeStackWriter(
          OutputFile(path: path), name: "X", dtype: .uint8, frameShape: [2, 2, 1], frameCount: 1)
        try dropped.append(NDArray(zeros: [2, 2, 1], dtype: .uint8))
      }  // dropped without finish
    }
    XCTAssertEqual(folderListing(folder), [])
  }

  func testTIFFAndPNGThroughTheUnifiedLayer() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let stack = NPZSamples.array(.uint16, shape: [3, 6, 5, 1])
    for compressed in [false, true] {
      let tif = folder.appendingPathComponent("s-\(compressed).tif").path
      try writeBundle(
        ArrayBundle([("X", stack)]), to: OutputFile(path: tif), compressed: compressed)
      let input = try InputFile(path: tif)
      XCTAssertEqual(input.format, .tiff)
      XCTAssertEqual(input.arrayNames, ["arr_0"])
      XCTAssertEqual(try input.readArray(), stack)
      XCTAssertEqual(try input.readBundle(), ArrayBundle([("arr_0", stack)]))
      // the same bytes through a stdin pipe (read by libtiff through the spool's descriptor)
      let piped = try inputFromPipe([UInt8](try Data(contentsOf: URL(fileURLWithPath: tif))))
      XCTAssertEqual(piped.format, .tiff)
      XCTAssertEqual(try piped.stackReader().readFrame(1).bytes, stack.frame(1).bytes)
    }
    // streamed TIFF output, float32 frames
    let floats = NPZSamples.array(.float32, shape: [4, 5, 6, 1])
    let streamed = folder.appendingPathComponent("f.tif").path
    let writer = try makeStackWriter(
      OutputFile(path: streamed), name: "X", dtype: .float32, frameShape: [5, 6, 1], frameCount: 4,
      compressed: true)
    for i in 0..<4 { try writer.append(floats.frame(i)) }
    try writer.finish()
    XCTAssertEqual(try InputFile(path: streamed).readArray(), floats)
    // PNG: one 16-bit label frame
    let labels = NPZSamples.array(.uint16, shape: [1, 7, 9, 1])
    let png = folder.appendingPathComponent("l.png").path
    try writeBundle(ArrayBundle([("y", labels)]), to: OutputFile(path: png))
    let pngInput = try InputFile(path: png)
    XCTAssertEqual(pngInput.format, .png)
    XCTAssertEqual(try pngInput.readArray(), labels)
    XCTAssertEqual(
      try inputFromPipe([UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))).readArray(),
      labels)
    let pngStream = try makeStackWriter(
      OutputFile(path: folder.appendingPathComponent("m.png").path), name: "y", dtype: .uint16,
      frameShape: [7, 9, 1], frameCount: 1)
    try pngStream.append(labels.frame(0))
    try pngStream.finish()
    XCTAssertEqual(
      try InputFile(path: folder.appendingPathComponent("m.png").path).readArray(), labels)
    assertDeepCellError(.usage, "one frame") {
      try makeStackWriter(
        OutputFile(path: folder.appendingPathComponent("n.png").path), name: "y", dtype: .uint16,
        frameShape: [7, 9, 1], frameCount: 2)
    }
    // TIFF to stdout (pipe) goes through the temporary file
    let out = try collectThroughPipe { fd in
      try writeBundle(
        ArrayBundle([("X", stack)]),
        to: OutputFile(path: nil, format: nil, arrayCount: 1, standardOutput: fd))
    }
    XCTAssertEqual(try inputFromPipe([UInt8](out)).readArray(), stack)
    // a corrupt TIFF from stdin names `-`
    var broken = [UInt8](
      try Data(contentsOf: URL(fileURLWithPath: folder.appendingPathComponent("s-false.tif").path)))
    broken = Array(broken.prefix(300))
    assertDeepCellError(.badData, "-") { try inputFromPipe(broken).readArray() }
    XCTAssertEqual(
      folderListing(folder).filter { $0.hasPrefix(".") }, [], "no temporary files left")
  }
}

extension InputOutputTests {
  /// A named pipe given as the path (what `<(cmd)` hands a tool) is spooled like stdin.
  func testNamedPipeInput() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let fifo = folder.appendingPathComponent("in.fifo").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let bytes = try npzBytes(NPZSamples.bundle, compressed: true)
    let writer = Thread {
      if let handle = FileHandle(forWritingAtPath: fifo) {
        handle.write(Data(bytes))
        try? handle.close()
      }
    }
    writer.start()
    let input = try InputFile(path: fifo)
    XCTAssertEqual(input.subject, fifo)
    XCTAssertEqual(try input.readBundle(), NPZSamples.bundle)
  }
}
