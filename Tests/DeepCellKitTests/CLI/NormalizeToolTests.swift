import Foundation
import XCTest

@testable import DeepCellKit

/// dc-normalize end to end (issue 2: basic forms, pass-through, threads, bad input). DeepCell's
/// histogram_normalization is `--transform none`; the default, `auto`, takes the shipped
/// model's input transform (`testDefaultTransformIsTheShippedModels`).
final class NormalizeToolTests: ToolTestCase {
  override var tool: String { "dc-normalize" }

  func goldenInput() throws -> NDArray { try loadFixtureNPY("normalize/hn_X.npy") }
  func goldenOutput() throws -> NDArray { try loadFixtureNPY("normalize/hn_out_default.npy") }

  // MARK: Basic forms

  func testDefaultTransformIsTheShippedModels() throws {
    let input = try write(ArrayBundle([("arr_0", try goldenInput())]), "raw.npy")
    XCTAssertEqual(try runTool("dc-normalize", [input, "-o", path("auto.tif")]).status, 0)
    let shipped = TestPaths.packageRoot.appendingPathComponent("models/nuclear.npz").path
    let expected = try ModelFile.readDescription(shipped).inputTransform ?? IntensityTransform.none
    XCTAssertEqual(
      try InputFile(path: path("auto.tif")).provenance()?.transform,
      expected == .none ? nil : expected.rawValue)
    let flag = try runTool(
      "dc-normalize", [input, "--transform", expected.rawValue, "-o", path("flag.tif")])
    XCTAssertEqual(flag.status, 0, flag.stderr)
    XCTAssertEqual(
      try InputFile(path: path("auto.tif")).readArray().floats(),
      try InputFile(path: path("flag.tif")).readArray().floats())
  }

  func testFileToFileMatchesGolden() throws {
    let input = try write(ArrayBundle([("arr_0", try goldenInput())]), "raw.npy")
    let run = try runTool("dc-normalize", ["--transform", "none", input, "-o", path("norm.npy")])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertEqual(run.stderr, "")
    let out = try read(path("norm.npy"))["arr_0"]!
    XCTAssertEqual(out.shape, [2, 256, 256, 1])
    XCTAssertEqual(out.dtype, .float32)
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), try goldenOutput().floats()), 1e-6)
  }

  func testNPZNormalizesXAndPassesYThrough() throws {
    let x = try goldenInput()
    let y = NDArray(shape: x.shape, values: x.floats().map { Int32($0 > 600 ? 1 : 0) })
    let extra = NDArray(shape: [3], values: [1.5, 2.5, 3.5] as [Double])
    let input = try write(ArrayBundle([("X", x), ("y", y), ("meta", extra)]), "train.npz")
    let run = try runTool(
      "dc-normalize", ["--transform", "none", input, "-o", path("train-norm.npz")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let out = try read(path("train-norm.npz"))
    XCTAssertEqual(Set(out.names), ["X", "y", "meta"])
    XCTAssertEqual(out["y"], y)
    XCTAssertEqual(out["meta"], extra)
    XCTAssertLessThanOrEqual(
      maxAbsDifference(out["X"]!.floats(), try goldenOutput().floats()), 1e-6)
  }

  func testStdinToStdout() throws {
    let input = try write(ArrayBundle([("arr_0", try goldenInput())]), "raw.npy")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
    let run = try runTool("dc-normalize", ["--transform", "none", "--format", "npy"], stdin: bytes)
    XCTAssertEqual(run.status, 0, run.stderr)
    let out = try NPY.decode([UInt8](run.stdout), subject: "stdout")
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), try goldenOutput().floats()), 1e-6)
    // `-` names stdin and stdout explicitly; an NPZ streams to the pipe.
    let npz = try write(ArrayBundle([("X", try goldenInput()), ("y", try goldenInput())]), "t.npz")
    let piped = try runTool(
      "dc-normalize", ["--transform", "none", "-", "-o", "-"],
      stdin: try Data(contentsOf: URL(fileURLWithPath: npz)))
    XCTAssertEqual(piped.status, 0, piped.stderr)
    try piped.stdout.write(to: URL(fileURLWithPath: path("piped.npz")))
    XCTAssertEqual(try read(path("piped.npz"))["y"], try goldenInput())
  }

  func testThreadCountGivesIdenticalBytes() throws {
    let input = try write(ArrayBundle([("X", try goldenInput())]), "raw.npz")
    var outputs: [Data] = []
    for threads in ["1", "2", "5"] {
      let run = try runTool(
        "dc-normalize",
        ["--transform", "none", input, "--threads", threads, "-o", path("o\(threads).npz")])
      XCTAssertEqual(run.status, 0, run.stderr)
      outputs.append(try Data(contentsOf: URL(fileURLWithPath: path("o\(threads).npz"))))
    }
    XCTAssertEqual(outputs[0], outputs[1])
    XCTAssertEqual(outputs[0], outputs[2])
  }

  func testMethodsAndOptions() throws {
    let x = try loadFixtureNPY("normalize/norm_in_f32.npy")
    let input = try write(ArrayBundle([("data", x)]), "in.npz")
    var run = try runTool(
      "dc-normalize", ["--transform", "none", input, "--method", "percentile", "-o", path("p.npz")])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertEqual(
      try read(path("p.npz"))["data"]?.floats(),
      try loadFixtureNPY("normalize/percentile_out_99.9.npy").floats())
    run = try runTool(
      "dc-normalize",
      [
        "--transform", "none", input, "--method", "percentile", "--percentile", "90", "-o",
        path("p90.npz"),
      ])
    XCTAssertEqual(
      try read(path("p90.npz"))["data"]?.floats(),
      try loadFixtureNPY("normalize/percentile_out_90.npy").floats())
    run = try runTool(
      "dc-normalize",
      ["--transform", "none", input, "--method", "zscore", "--array", "data", "-o", path("z.npz")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let z = try read(path("z.npz"))["data"]!.floats()
    XCTAssertLessThanOrEqual(
      maxAbsDifference(z, try loadFixtureNPY("normalize/zscore_out.npy").floats()), 1e-4)
    // --kernel-size 16 reproduces the golden kernel-16 output.
    let raw = try write(ArrayBundle([("arr_0", try goldenInput())]), "raw.npy")
    run = try runTool(
      "dc-normalize", ["--transform", "none", raw, "--kernel-size", "16", "-o", path("k16.npy")])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertLessThanOrEqual(
      maxAbsDifference(
        try read(path("k16.npy"))["arr_0"]!.floats(),
        try loadFixtureNPY("normalize/hn_out_kernel16.npy").floats()),
      1e-6)
  }

  /// The three forms of the issue with TIFF: file to file, stdin to stdout (TIFF by default).
  func testTIFFFileAndPipe() throws {
    let input = try write(ArrayBundle([("arr_0", try goldenInput())]), "raw.tif")
    let run = try runTool("dc-normalize", ["--transform", "none", input, "-o", path("norm.tif")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let out = try read(path("norm.tif"))["arr_0"]!
    XCTAssertEqual(out.dtype, .float32)
    XCTAssertEqual(out.shape, [2, 256, 256, 1])
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), try goldenOutput().floats()), 1e-6)

    let piped = try runTool(
      "dc-normalize", ["--transform", "none"],
      stdin: try Data(contentsOf: URL(fileURLWithPath: input)))
    XCTAssertEqual(piped.status, 0, piped.stderr)
    XCTAssertEqual(FileFormat.sniff([UInt8](piped.stdout.prefix(8))), .tiff)
    XCTAssertEqual(piped.stdout, try Data(contentsOf: URL(fileURLWithPath: path("norm.tif"))))

    // A TIFF in, an NPZ out: the stack is named X.
    XCTAssertEqual(
      try runTool("dc-normalize", ["--transform", "none", input, "-o", path("norm.npz")]).status, 0)
    XCTAssertEqual(try read(path("norm.npz")).names, ["X"])
  }

  /// A real CC0 image from samples/ (8-bit grayscale PNG) matches the reference.
  func testSamplePNGMatchesReference() throws {
    let sample = TestPaths.packageRoot.appendingPathComponent(
      "samples/dsb2018/images/0bf4b144167694b6846d584cf52c458f34f28fcae75328a2a096c8214e01c0d0.png")
    let run = try runTool(
      "dc-normalize", ["--transform", "none", sample.path, "-o", path("sample.tif")])
    XCTAssertEqual(run.status, 0, run.stderr)
    let out = try read(path("sample.tif"))["arr_0"]!
    XCTAssertEqual(out.count, 256 * 256)
    let expected = try loadFixtureNPY("normalize/dsb_0bf4_clahe.npy")
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), expected.floats()), 1e-6)
  }

  func testHelpHasExamples() throws {
    let run = try runTool("dc-normalize", ["--help"])
    XCTAssertEqual(run.status, 0)
    let text = String(decoding: run.stdout, as: UTF8.self)
    XCTAssertTrue(text.contains("Examples:"))
    XCTAssertTrue(text.contains("dc-normalize train.npz -o train-norm.npz"))
    XCTAssertTrue(text.contains("--kernel-size"))
  }

  // MARK: Bad input

  func testBadInputs() throws {
    let x = try goldenInput()
    let good = try write(ArrayBundle([("arr_0", x)]), "good.npy")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: good))

    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path("truncated.npy")))
    try assertFails(
      [path("truncated.npy"), "-o", path("o.npy")], status: 65, mentioning: "truncated.npy")

    let tiff = try write(ArrayBundle([("arr_0", x)]), "good.tif")
    let tiffBytes = try Data(contentsOf: URL(fileURLWithPath: tiff))
    try tiffBytes.prefix(tiffBytes.count / 3).write(to: URL(fileURLWithPath: path("truncated.tif")))
    try assertFails(
      [path("truncated.tif"), "-o", path("o.tif")], status: 65, mentioning: "truncated.tif")
    try assertFails(
      ["-o", path("o.tif")], status: 65, mentioning: "-: ",
      stdin: tiffBytes.prefix(tiffBytes.count / 3))
    var png = try Data(
      contentsOf: TestPaths.packageRoot.appendingPathComponent(
        "samples/dsb2018/images/0bf4b144167694b6846d584cf52c458f34f28fcae75328a2a096c8214e01c0d0.png"
      ))
    png.replaceSubrange(200..<400, with: Data(repeating: 0x5A, count: 200))
    try png.write(to: URL(fileURLWithPath: path("corrupt.png")))
    try assertFails(
      [path("corrupt.png"), "-o", path("o.tif")], status: 65, mentioning: "corrupt.png")

    try Data("GIF89a not an image at all".utf8).write(to: URL(fileURLWithPath: path("wrong.tif")))
    try assertFails([path("wrong.tif"), "-o", path("o.tif")], status: 65, mentioning: "wrong.tif")

    let npz = try write(ArrayBundle([("X", x), ("y", x)]), "both.npz")
    let npzBytes = try Data(contentsOf: URL(fileURLWithPath: npz))
    try npzBytes.prefix(npzBytes.count - 200).write(to: URL(fileURLWithPath: path("cut.npz")))
    try assertFails([path("cut.npz"), "-o", path("o.npz")], status: 65, mentioning: "cut.npz")

    try write(ArrayBundle([("a", x), ("b", x)]), "nox.npz")
    try assertFails([path("nox.npz"), "-o", path("o.npz")], status: 65, mentioning: "no array 'X'")
    try assertFails(
      [path("nox.npz"), "--array", "c", "-o", path("o.npz")], status: 65, mentioning: "'c'")

    try write(ArrayBundle([("arr_0", NDArray(zeros: [0, 8, 8, 1], dtype: .float32))]), "empty.npy")
    try assertFails([path("empty.npy"), "-o", path("o.npy")], status: 65, mentioning: "empty.npy")

    var values = x.floats()
    values[70_000] = .nan
    try write(ArrayBundle([("arr_0", NDArray(shape: x.shape, values: values))]), "nan.npy")
    try assertFails(
      [path("nan.npy"), "-o", path("o.npy")], status: 65, mentioning: "frame 1, channel 0")

    // A folder is read as a sequence of its image files; one with none is no input.
    try FileManager.default.createDirectory(
      atPath: path("none"), withIntermediateDirectories: false)
    try assertFails([path("none"), "-o", path("o.npy")], status: 66, mentioning: "no image files")
    try assertFails(
      [path("missing.npy"), "-o", path("o.npy")], status: 66, mentioning: "missing.npy")
    try assertFails([good, "-o", path("no/such/dir/o.npy")], status: 73, mentioning: "no/such/dir")
    try assertFails([good, "-o", folder.path], status: 73, mentioning: "directory")

    try assertFails(
      [good, "--kernel-size", "0", "-o", path("o.npy")], status: 64, mentioning: "kernel-size")
    try assertFails(
      [good, "--kernel-size", "4,x", "-o", path("o.npy")], status: 64, mentioning: "kernel-size")
    try assertFails(
      [good, "--threads", "0", "-o", path("o.npy")], status: 64, mentioning: "threads")
    try assertFails(
      [good, "--percentile", "120", "-o", path("o.npy")], status: 64, mentioning: "percentile")
    try assertFails([good, "--bogus"], status: 64, mentioning: "--bogus")
    try assertFails([npz, "-o", path("o.npy")], status: 64, mentioning: "y would be lost")
    try assertFails(["-", "--format", "npy"], status: 65, mentioning: "-: ", stdin: Data())
  }

  func testUnwritableFolder() throws {
    let good = try write(ArrayBundle([("arr_0", try goldenInput())]), "good.npy")
    // /proc takes no new files, even from root.
    try assertFails([good, "-o", "/proc/dc-normalize-test.npy"], status: 73, mentioning: "/proc")
    guard getuid() != 0 else { return }  // root ignores permission bits
    let locked = folder.appendingPathComponent("locked")
    try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
    chmod(locked.path, 0o500)
    defer { chmod(locked.path, 0o700) }
    try assertFails(
      [good, "-o", locked.appendingPathComponent("o.npy").path], status: 73, mentioning: "locked")
  }

  /// A run killed midway leaves neither its output nor a temporary file.
  func testInterruptedRunLeavesNothing() throws {
    let frames = NDArray.stacking([NDArray](repeating: try goldenInput().frame(0), count: 400))!
    let input = try write(ArrayBundle([("X", frames)]), "long.npz")
    let out = folder.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
    let process = Process()
    process.executableURL = TestPaths.executable("dc-normalize")
    process.arguments = [
      input, "--threads", "1", "-o", out.appendingPathComponent("norm.npz").path,
    ]
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(400_000)
    process.terminate()
    process.waitUntilExit()
    let left = try FileManager.default.contentsOfDirectory(atPath: out.path)
    if process.terminationReason == .uncaughtSignal {
      XCTAssertEqual(process.terminationStatus, SIGTERM)
      XCTAssertEqual(left, [], "interrupted run left \(left)")
    } else {
      XCTAssertEqual(left, ["norm.npz"], "finished before the signal; only the output may exist")
    }
  }
}
