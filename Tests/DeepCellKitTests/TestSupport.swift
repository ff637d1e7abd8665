import Foundation
import XCTest

@testable import DeepCellKit

/// Paths the tests share: the package root, its `Tests/Fixtures`, and `../shared`.
enum TestPaths {
  /// The package root (two levels above this file's folder).
  static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  /// `Tests/Fixtures/NAME`.
  static func fixture(_ name: String) -> URL {
    packageRoot.appendingPathComponent("Tests/Fixtures/\(name)")
  }
  /// `../shared/NAME` beside the package (present on developer machines and in CI; absent in
  /// a user's clone: tests reach it through ``TestEnvironment/requireShared(_:file:line:)``).
  static func shared(_ name: String) -> URL {
    packageRoot.deletingLastPathComponent().appendingPathComponent("shared/\(name)")
  }
  /// A fresh empty temporary folder, removed when the test case ends.
  static func temporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "dc-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }
}

/// Loads `Tests/Fixtures/NAME` as an `.npy` array.
func loadFixtureNPY(_ name: String) throws -> NDArray {
  let data = try Data(contentsOf: TestPaths.fixture(name))
  return try NPY.decode([UInt8](data), subject: name)
}

/// The largest absolute elementwise difference between two equally long float arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
  var m: Float = 0
  for i in a.indices {
    let d = abs(a[i] - b[i])
    if d.isNaN { return .infinity }
    m = max(m, d)
  }
  return m
}

extension TestPaths {
  /// The folder holding the built executables (the test bundle sits beside them).
  static let productsFolder: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while url.path != "/"
      && !FileManager.default.fileExists(atPath: url.appendingPathComponent("dc-normalize").path)
      && url.pathExtension == "xctest"
    {
      url = url.deletingLastPathComponent()
    }
    return url
  }()
  /// The built executable `name` (e.g. `dc-normalize`).
  static func executable(_ name: String) -> URL { productsFolder.appendingPathComponent(name) }
}

/// The outcome of running a tool.
struct ToolRun {
  var status: Int32
  var stdout: Data
  var stderr: String
}

/// Collects a pipe's bytes on a background thread.
private final class PipeDrain: @unchecked Sendable {
  private var data = Data()
  private let done = DispatchSemaphore(value: 0)
  init(_ pipe: Pipe) {
    Thread { [self] in
      data = pipe.fileHandleForReading.readDataToEndOfFile()
      done.signal()
    }.start()
  }
  /// The bytes, once the writer closed the pipe.
  func wait() -> Data {
    done.wait()
    return data
  }
}

/// Runs `executable` with `arguments`, feeding `stdin`, and collects its output; `environment`
/// adds to (or replaces entries of) this process's environment.
func runProcess(
  _ executable: URL, _ arguments: [String], stdin: Data? = nil, currentDirectory: URL? = nil,
  environment: [String: String] = [:]
) throws
  -> ToolRun
{
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  if let currentDirectory { process.currentDirectoryURL = currentDirectory }
  let input = Pipe()
  let output = Pipe()
  let errors = Pipe()
  process.standardInput = input
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  let writer = Thread {
    if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
    try? input.fileHandleForWriting.close()
  }
  writer.start()
  let errDrain = PipeDrain(errors)
  let out = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return ToolRun(
    status: process.terminationStatus, stdout: out,
    stderr: String(decoding: errDrain.wait(), as: UTF8.self))
}

/// Runs the built tool `name` with `arguments`, feeding `stdin`, and collects its output.
func runTool(
  _ name: String, _ arguments: [String], stdin: Data? = nil, currentDirectory: URL? = nil,
  environment: [String: String] = [:]
) throws -> ToolRun {
  try runProcess(
    TestPaths.executable(name), arguments, stdin: stdin, currentDirectory: currentDirectory,
    environment: environment)
}

/// What a test needs from outside the repository: `../shared/data`, the reference Python
/// environment (`.oracle`), the interop venv, a built tool. Outside CI a test whose need is
/// missing skips with the reason printed; under `CI=true` it fails instead, so a CI run
/// cannot pass by skipping.
enum TestEnvironment {
  /// Whether this is a CI run: the environment variable `CI` is `true` or `1` (any case).
  static var isCI: Bool {
    guard let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() else {
      return false
    }
    return value == "true" || value == "1"
  }

  /// The error that ends a CI test whose need is missing (recorded as a failure, not a skip).
  struct Missing: Error, CustomStringConvertible {
    var description: String
  }

  /// Ends the test because `what` is missing: a skip saying so and how to get it (`remedy`)
  /// outside CI, a failure under `CI=true`.
  static func missing(
    _ what: String, remedy: String, file: StaticString = #filePath, line: UInt = #line
  ) throws -> Never {
    if isCI {
      XCTFail("CI=true but \(what) is missing (\(remedy))", file: file, line: line)
      throw Missing(description: "\(what) is missing")
    }
    throw XCTSkip("\(what) is missing (\(remedy))", file: file, line: line)
  }

  /// Returns normally where oneDNN builds bf16 convolutions (AVX512_BF16 or AMX). On a CPU
  /// without them (AVX2, as on some CI machines) no bf16 figure can be measured: it checks
  /// what users get there instead, a usage error (exit 64) that names the CPU and points to
  /// `--precision fp32`, and `--precision auto` picking fp32, and ends with a skip that says
  /// so. This is a fact about the hardware, not a missing file, so it skips under `CI=true` too.
  static func requireBF16Convolution(file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = RandomGenerator(seed: 1)
    let conv = try Conv2D(name: "probe", inputChannels: 8, outputChannels: 8, rng: &rng)
    conv.trainingPrecision = .bf16
    let x = try Tensor(TensorShape(1, 8, 8, 8), nchw: [Float](repeating: 0.5, count: 512))
    do {
      _ = try conv.forward(x, training: true)
      return
    } catch let error as DeepCellError {
      XCTAssertEqual(error.kind, .usage, "\(error)", file: file, line: line)
      XCTAssertTrue(error.reason.contains("--precision fp32"), "\(error)", file: file, line: line)
      XCTAssertEqual(NNPrecision.native, .fp32, "auto picks fp32 here", file: file, line: line)
      throw XCTSkip(
        "this CPU (\(DNNLEngine.isaName)) has no bf16 convolution in oneDNN; checked instead "
          + "that bf16 is refused with a usage error and auto picks fp32", file: file, line: line)
    }
  }

  /// `../shared/NAME`, or the end of the test (skip, or failure in CI) when it is absent.
  static func requireShared(_ name: String, file: StaticString = #filePath, line: UInt = #line)
    throws -> URL
  {
    let url = TestPaths.shared(name)
    guard FileManager.default.fileExists(atPath: url.path) else {
      try missing(
        "../shared/\(name)", remedy: "the project's shared folder beside the checkout", file: file,
        line: line)
    }
    return url
  }

  /// The built tool `name`, or the end of the test when it is not built.
  static func requireTool(_ name: String, file: StaticString = #filePath, line: UInt = #line)
    throws -> URL
  {
    let url = TestPaths.executable(name)
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
      try missing("the built \(name)", remedy: "`swift build`", file: file, line: line)
    }
    return url
  }
}

/// The Python interpreter with numpy and tifffile for interop tests (`DC_PYTHON`, set by
/// `make test`). Outside CI the interop tests skip when it is missing; in CI they fail.
func interopPython(file: StaticString = #filePath, line: UInt = #line) throws -> String {
  if let python = ProcessInfo.processInfo.environment["DC_PYTHON"],
    FileManager.default.isExecutableFile(atPath: python)
  {
    return python
  }
  let venv = TestPaths.packageRoot.appendingPathComponent(".venv/bin/python").path
  if FileManager.default.isExecutableFile(atPath: venv) { return venv }
  try TestEnvironment.missing(
    "the interop Python (.venv/bin/python or DC_PYTHON)",
    remedy: "run `make test`, which builds .venv", file: file, line: line)
}

/// Runs a Python snippet with the interop interpreter; returns stdout, fails the test on error.
@discardableResult
func runPython(
  _ script: String, _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line
) throws -> String {
  let run = try runProcess(URL(fileURLWithPath: try interopPython()), ["-c", script] + arguments)
  if run.status != 0 {
    XCTFail("python failed: \(run.stderr)", file: file, line: line)
  }
  return String(decoding: run.stdout, as: UTF8.self)
}

/// Base of the end-to-end tests of one tool: a fresh folder per test, reading and writing
/// arrays there, and the bad-input check every tool shares (design.md, "Errors").
class ToolTestCase: XCTestCase {
  /// The executable under test, e.g. `dc-normalize`; set by the subclass.
  var tool: String { fatalError("subclasses name their tool") }
  /// The test's own empty folder.
  var folder: URL!

  override func setUpWithError() throws {
    folder = try TestPaths.temporaryFolder(self)
  }

  /// `name` inside the test folder.
  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  /// Writes `bundle` to `name` in the test folder (format from the extension).
  @discardableResult
  func write(_ bundle: ArrayBundle, _ name: String) throws -> String {
    try writeBundle(bundle, to: OutputFile(path: path(name), arrayCount: bundle.entries.count))
    return path(name)
  }

  /// The arrays of the file at `path`.
  func read(_ path: String) throws -> ArrayBundle { try InputFile(path: path).readBundle() }

  /// The files left in the test folder (temporary outputs included).
  func folderContents() throws -> Set<String> {
    Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
  }

  /// A run that must fail: one stderr line `TOOL: error: …` mentioning `text`, the exit
  /// `status`, nothing on stdout and no output (nor temporary file) left behind.
  func assertFails(
    _ arguments: [String], status: Int32, mentioning text: String, stdin: Data? = nil,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let before = try folderContents()
    let run = try runTool(tool, arguments, stdin: stdin)
    XCTAssertEqual(run.status, status, run.stderr, file: file, line: line)
    let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(lines.count, 2, "exactly one line: \(run.stderr)", file: file, line: line)
    XCTAssertTrue(run.stderr.hasPrefix("\(tool): error: "), run.stderr, file: file, line: line)
    XCTAssertTrue(
      run.stderr.contains(text), "'\(text)' not in: \(run.stderr)", file: file, line: line)
    XCTAssertEqual(try folderContents(), before, "files left behind", file: file, line: line)
    XCTAssertTrue(run.stdout.isEmpty, file: file, line: line)
  }
}
