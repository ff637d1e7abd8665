import Foundation
import XCTest

@testable import DeepCellKit

/// `DC_MAX_MEMORY` (``MemoryBudget``): parsing, reservations, the buffers that honour it, and
/// the tools failing with exit 74 and one line when a request cannot fit.
final class MemoryBudgetTests: XCTestCase {
  func testParsesSizes() throws {
    let cases: [(String, Int)] = [
      ("4G", 4 << 30), ("512M", 512 << 20), ("1.5G", 3 << 29), ("65536", 65536), ("64k", 65536),
      ("2GiB", 2 << 30), ("300MB", 300 << 20), ("1T", 1 << 40), (" 8M ", 8 << 20),
    ]
    for (text, bytes) in cases {
      XCTAssertEqual(try MemoryBudget.parse(text, subject: "x"), bytes, text)
    }
    for text in ["", "4X", "-1", "0", "0.1", "lots", "1e9", "G", "4 G", "1.2.3M", "99999999T"] {
      XCTAssertThrowsError(try MemoryBudget.parse(text, subject: "DC_MAX_MEMORY"), text) {
        let e = $0 as? DeepCellError
        XCTAssertEqual(e?.kind, .usage, text)
        XCTAssertEqual(e?.subject, "DC_MAX_MEMORY")
      }
    }
  }

  func testEnvironment() throws {
    XCTAssertNil(try MemoryBudget.fromEnvironment([:]).limit)
    XCTAssertNil(try MemoryBudget.fromEnvironment(["DC_MAX_MEMORY": ""]).limit)
    let b = try MemoryBudget.fromEnvironment(["DC_MAX_MEMORY": "512M"])
    XCTAssertEqual(b.limit, 512 << 20)
    XCTAssertEqual(b.origin, "DC_MAX_MEMORY=512M")
    XCTAssertThrowsError(try MemoryBudget.fromEnvironment(["DC_MAX_MEMORY": "big"]))
  }

  /// Reservations add up, a request past the limit throws `io` (exit 74) in one line before
  /// anything is taken, and released or deinitialized reservations give their bytes back.
  func testReservationsAddUpAndComeBack() throws {
    let budget = MemoryBudget(limit: 1000, origin: "DC_MAX_MEMORY=1000")
    let a = try budget.reserve(600, for: "first")
    XCTAssertEqual(budget.inUse, 600)
    XCTAssertThrowsError(try budget.reserve(401, for: "training images")) {
      let e = $0 as! DeepCellError
      XCTAssertEqual(e.kind, .io)
      XCTAssertEqual(e.kind.exitCode, 74)
      XCTAssertEqual(
        e.description,
        "memory: training images: 401 bytes needed beside 600 bytes held, more than "
          + "DC_MAX_MEMORY=1000 allows (1000 bytes)")
      XCTAssertFalse(e.description.contains("\n"))
    }
    XCTAssertEqual(budget.inUse, 600, "a refused request takes nothing")
    XCTAssertNoThrow(try budget.check(400, for: "a short buffer"))
    XCTAssertThrowsError(try budget.check(401, for: "a short buffer"))
    do {
      let b = try budget.reserve(400, for: "second")
      XCTAssertEqual(budget.inUse, 1000)
      _ = b
    }
    XCTAssertEqual(budget.inUse, 600, "deinit gives the bytes back")
    a.release()
    a.release()
    XCTAssertEqual(budget.inUse, 0, "release is idempotent")
    XCTAssertThrowsError(try budget.reserve(Int.max, for: "overflowing")) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .io)
    }
    let unlimited = MemoryBudget(limit: nil)
    let big = try unlimited.reserve(1 << 50, for: "anything")
    XCTAssertEqual(unlimited.inUse, 1 << 50)
    _ = big
  }

  /// Network tensors (training and prediction) take their bytes from the budget.
  func testFloatBufferHonoursBudget() throws {
    let budget = MemoryBudget(limit: 8192)
    XCTAssertThrowsError(try FloatBuffer(count: 4096, budget: budget)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .io)
    }
    var buffer: FloatBuffer? = try FloatBuffer(count: 1024, budget: budget)
    XCTAssertEqual(budget.inUse, 4096)
    XCTAssertThrowsError(try FloatBuffer(count: 1025, budget: budget))
    buffer = nil
    XCTAssertNil(buffer)
    XCTAssertEqual(budget.inUse, 0)
  }

  /// The augmentation generator holds its stack's share and every batch holds its own, so
  /// accumulated samples (dc-augment) count until they are dropped.
  func testAugmentationHonoursBudget() throws {
    let (x, y) = PanopticTrainerTests.discDataset(count: 4)  // 4 × 48 × 48
    var settings = AugmentationSettings()
    settings.cropSize = [32, 32]
    let stack = 4 * 48 * 48 * (1 + 1) * 4
    XCTAssertThrowsError(
      try AugmentationGenerator(
        images: x, labels: y, settings: settings, budget: MemoryBudget(limit: stack - 1))
    ) { XCTAssertEqual(($0 as? DeepCellError)?.kind, .io) }
    let budget = MemoryBudget(limit: 4 << 20)
    var generator = try AugmentationGenerator(
      images: x, labels: y, settings: settings, budget: budget)
    let held = budget.inUse
    XCTAssertGreaterThanOrEqual(held, stack)
    var batches = [try generator.nextSamples(8)]
    let perBatch = budget.inUse - held
    let sample =
      32 * 32 * (4 + 4 + settings.targets.reduce(0) { $0 + $1.channelCount * $1.dtype.size })
    XCTAssertEqual(perBatch, 8 * sample)
    while budget.inUse + 2 * perBatch <= 4 << 20 { batches.append(try generator.nextSamples(8)) }
    XCTAssertThrowsError(try generator.nextSamples(8)) {
      let e = $0 as! DeepCellError
      XCTAssertEqual(e.kind, .io)
      XCTAssertTrue(e.reason.contains("8 augmented samples"), e.reason)
    }
    batches.removeAll()
    XCTAssertEqual(budget.inUse, held)
  }

  /// Precomputed training batches (dc-augment output fed to dc-train).
  func testPrecomputedBatchesHonourBudget() throws {
    let (x, y) = PanopticTrainerTests.discDataset(count: 4)
    let bytes = x.bytes.count + y.bytes.count
    XCTAssertThrowsError(
      try PrecomputedBatches(
        images: x, targets: [], labels: y, seed: 1, subject: "b.npz",
        budget: MemoryBudget(limit: bytes - 1)))
    let budget = MemoryBudget(limit: bytes + bytes / 2)
    var source = try PrecomputedBatches(
      images: x, targets: [], labels: y, seed: 1, subject: "b.npz", budget: budget)
    XCTAssertEqual(budget.inUse, bytes)
    let batch = try source.nextBatch(size: 2)
    // withExtendedLifetime: an optimised build may release a batch after its last use.
    try withExtendedLifetime(batch) {
      XCTAssertEqual(budget.inUse, bytes + bytes / 2)
      XCTAssertThrowsError(
        try source.nextBatch(size: 2), "a second batch held at once does not fit")
    }
  }

  /// Whole-array reads are checked against the budget before anything is read.
  func testReadArrayChecksBeforeReading() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("x.npy").path
    try Data(NPY.encode(NDArray(zeros: [10, 100], dtype: .float32))).write(
      to: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try InputFile(path: path).readArray(budget: MemoryBudget(limit: 3999))) {
      let e = $0 as! DeepCellError
      XCTAssertEqual(e.kind, .io)
      XCTAssertTrue(e.reason.hasPrefix("\(path): arr_0: 4000 bytes needed"), e.reason)
    }
    XCTAssertEqual(
      try InputFile(path: path).readArray(budget: MemoryBudget(limit: 4000)).shape, [10, 100])
  }

  // MARK: The tools with DC_MAX_MEMORY set

  func writeDataset(_ dir: URL) throws -> String {
    let (x, y) = PanopticTrainerTests.discDataset(count: 4)
    let path = dir.appendingPathComponent("train.npz").path
    let w = try NPZWriter(path: path)
    try w.write("X", x)
    try w.write("y", y)
    try w.finish()
    return path
  }

  func assertOutOfBudget(
    _ run: ToolRun, _ tool: String, _ limit: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(run.status, 74, run.stderr, file: file, line: line)
    let lines = run.stderr.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, run.stderr, file: file, line: line)
    XCTAssertTrue(
      run.stderr.hasPrefix("\(tool): error: memory: ")
        && run.stderr.contains("more than DC_MAX_MEMORY=\(limit) allows"), run.stderr, file: file,
      line: line)
  }

  func testToolsFailInOneLineWhenTheLimitIsTooSmall() throws {
    for tool in ["dc-augment", "dc-train", "dc-predict"] {
      _ = try TestEnvironment.requireTool(tool)
    }
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir)
    let out = dir.appendingPathComponent("out.npz").path

    // dc-augment: 4 MiB hold the stack but not 2,000 accumulated 32×32 samples (~36 MiB).
    let augment = ["--crop", "32", "--count", "2000", "-o", out, "--quiet"]
    let a = try runTool("dc-augment", [data] + augment, environment: ["DC_MAX_MEMORY": "4M"])
    assertOutOfBudget(a, "dc-augment", "4M")
    XCTAssertTrue(a.stderr.contains("augmented samples"), a.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    let fits = try runTool(
      "dc-augment", [data, "--crop", "32", "--count", "16", "-o", out, "--quiet"],
      environment: ["DC_MAX_MEMORY": "4M"])
    XCTAssertEqual(fits.status, 0, fits.stderr)

    // dc-train: the dataset alone (4 × 48 × 48 float32 + int32 = 72 KiB) is over 64K.
    let model = dir.appendingPathComponent("m.npz").path
    let t = try runTool(
      "dc-train", [data, "-o", model, "--crop", "32", "--epochs", "1", "--quiet"],
      environment: ["DC_MAX_MEMORY": "64K"])
    assertOutOfBudget(t, "dc-train", "64K")
    XCTAssertFalse(FileManager.default.fileExists(atPath: model))

    // dc-predict: the shipped model's weights do not fit 1 MiB.
    let image = dir.appendingPathComponent("x.npy").path
    try Data(NPY.encode(NDArray(zeros: [1, 64, 64, 1], dtype: .float32))).write(
      to: URL(fileURLWithPath: image))
    let shipped = TestPaths.packageRoot.appendingPathComponent("models/nuclear.npz").path
    let p = try runTool(
      "dc-predict", [image, "--model", shipped, "-o", out], environment: ["DC_MAX_MEMORY": "1M"])
    assertOutOfBudget(p, "dc-predict", "1M")
    XCTAssertTrue(p.stderr.contains("network buffers"), p.stderr)

    // A value that is not a size is a usage error (64), before any work.
    let bad = try runTool(
      "dc-predict", [image, "--model", shipped, "-o", out], environment: ["DC_MAX_MEMORY": "lots"])
    XCTAssertEqual(bad.status, 64, bad.stderr)
    XCTAssertTrue(bad.stderr.contains("DC_MAX_MEMORY: 'lots' is not a memory size"), bad.stderr)
  }
}
