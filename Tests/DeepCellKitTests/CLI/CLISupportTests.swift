import ArgumentParser
import Foundation
import XCTest

@testable import CLI
@testable import DeepCellKit

/// A command exercising every way ``ToolRunner`` ends a run.
private struct ProbeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "dc-probe")
  @Option var fail: String?
  @OptionGroup var runtime: RuntimeOptions

  func run() throws {
    switch fail {
    case "data": throw DeepCellError(.badData, "in.tif", "truncated strip 3\nsecond line")
    case "create": throw DeepCellError(.cannotCreate, "out.tif", "permission denied")
    case "validation": throw ValidationError("bad combination")
    case "exit": throw ExitCode(3)
    case "other": throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: "/x/y"])
    default: runtime.apply()
    }
  }
}

final class CLISupportTests: XCTestCase {
  func testToolRunnerOutcomes() {
    XCTAssertEqual(ToolRunner.execute(ProbeCommand.self, arguments: []), .success)
    XCTAssertEqual(
      ToolRunner.execute(ProbeCommand.self, arguments: ["--fail", "data"]),
      .failure(status: 65, line: "dc-probe: error: in.tif: truncated strip 3"))
    XCTAssertEqual(
      ToolRunner.execute(ProbeCommand.self, arguments: ["--fail", "create"]),
      .failure(status: 73, line: "dc-probe: error: out.tif: permission denied"))
    XCTAssertEqual(
      ToolRunner.execute(ProbeCommand.self, arguments: ["--fail", "validation"]),
      .failure(status: 64, line: "dc-probe: error: bad combination (see 'dc-probe --help')"))
    XCTAssertEqual(
      ToolRunner.execute(ProbeCommand.self, arguments: ["--fail", "exit"]),
      .failure(status: 3, line: "dc-probe: error: exit status 3"))
    guard
      case .failure(74, let line) = ToolRunner.execute(
        ProbeCommand.self, arguments: ["--fail", "other"])
    else { return XCTFail("a Foundation file error is an I/O failure") }
    XCTAssertTrue(line.hasPrefix("dc-probe: error: /x/y: "), line)
    guard
      case .failure(64, let usage) = ToolRunner.execute(ProbeCommand.self, arguments: ["--nope"])
    else { return XCTFail("unknown option is a usage error") }
    XCTAssertTrue(usage.contains("--nope"), usage)
    guard case .information(let help) = ToolRunner.execute(ProbeCommand.self, arguments: ["--help"])
    else { return XCTFail("help is information") }
    XCTAssertTrue(help.contains("--threads"))
  }

  func testThreadsOption() throws {
    let saved = Parallel.defaultThreads
    defer { Parallel.defaultThreads = saved }
    XCTAssertEqual(ToolRunner.execute(ProbeCommand.self, arguments: ["--threads", "3"]), .success)
    XCTAssertEqual(Parallel.defaultThreads, 3)
    XCTAssertEqual(ProcessInfo.processInfo.environment["OMP_NUM_THREADS"], "3")
    guard
      case .failure(64, _) = ToolRunner.execute(ProbeCommand.self, arguments: ["--threads", "0"])
    else {
      return XCTFail("--threads 0 is a usage error")
    }
  }

  func testProgressBarText() {
    XCTAssertEqual(
      ProgressBar.render(label: "dc-normalize", done: 120, total: 240, unit: "frames", elapsed: 4),
      "dc-normalize  [##########..........]  120/240 frames  30.0 frames/s  ETA 0:04")
    XCTAssertEqual(
      ProgressBar.render(label: "dc-x", done: 10, total: 10, unit: "frames", elapsed: 3725),
      "dc-x  [####################]  10/10 frames  0.0 frames/s  1:02:05")
    let silent = ProgressBar(label: "t", total: 5, quiet: true, enabled: true)
    XCTAssertFalse(silent.isEnabled)
    silent.advance()
    silent.finish()
  }

  func testInterruptCleanupRemovesTrackedFiles() throws {
    let folder = try TestPaths.temporaryFolder(self)
    let kept = folder.appendingPathComponent("kept").path
    let removed = folder.appendingPathComponent("removed").path
    XCTAssertTrue(FileManager.default.createFile(atPath: kept, contents: Data()))
    XCTAssertTrue(FileManager.default.createFile(atPath: removed, contents: Data()))
    InterruptCleanup.track(kept)
    InterruptCleanup.untrack(kept)
    InterruptCleanup.track(removed)
    InterruptCleanup.removeTrackedFiles()
    XCTAssertTrue(FileManager.default.fileExists(atPath: kept))
    XCTAssertFalse(FileManager.default.fileExists(atPath: removed))
  }
}
