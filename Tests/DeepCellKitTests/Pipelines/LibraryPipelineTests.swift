import Foundation
import XCTest

@testable import DeepCellKit

/// The tools' pipelines run in process, without their executables (issue 17): each gives
/// what the golden fixtures or the tool itself give, and reports its errors as the tools do.
final class LibraryPipelineTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws { dir = try TestPaths.temporaryFolder(self) }

  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  func write(_ bundle: ArrayBundle, _ name: String) throws -> String {
    let file = try OutputFile(path: path(name))
    try writeBundle(bundle, to: file)
    return path(name)
  }

  // MARK: Normalize

  func testNormalizingFilterMatchesGoldenAndPassesArraysThrough() throws {
    let x = try loadFixtureNPY("normalize/hn_X.npy")
    let y = NDArray(shape: x.shape, values: x.floats().map { Int32($0 > 600 ? 1 : 0) })
    let input = try InputFile(path: try write(ArrayBundle([("X", x), ("y", y)]), "in.npz"))
    var filter = NormalizingFilter(normalization: HistogramNormalization(), methodName: "clahe")
    filter.threads = 2
    var total = 0
    var done = 0
    let out = try filter.run(
      input: input, output: { try OutputFile(path: self.path("out.npz"), arrayCount: $0) },
      start: { total = $0 }, progress: { done += $0 })
    XCTAssertEqual(out.subject, path("out.npz"))
    XCTAssertEqual(total, 2)
    XCTAssertEqual(done, 2)
    let result = try InputFile(path: path("out.npz"))
    XCTAssertEqual(try result.provenance()?.normalization, "clahe")
    let bundle = try result.readBundle()
    XCTAssertEqual(bundle["y"], y)
    let golden = try loadFixtureNPY("normalize/hn_out_default.npy")
    XCTAssertLessThanOrEqual(maxAbsDifference(bundle["X"]!.floats(), golden.floats()), 1e-6)
  }

  func testImageArrayChoice() throws {
    let a = NDArray(shape: [1, 2, 2, 1], values: [Float](repeating: 1, count: 4))
    let withX = try InputFile(path: try write(ArrayBundle([("y", a), ("X", a)]), "x.npz"))
    XCTAssertEqual(try withX.imageArrayName(nil), "X")
    XCTAssertEqual(try withX.imageArrayName("y"), "y")
    let single = try InputFile(path: try write(ArrayBundle([("raw", a)]), "single.npz"))
    XCTAssertEqual(try single.imageArrayName(nil), "raw")
    let two = try InputFile(path: try write(ArrayBundle([("a", a), ("b", a)]), "two.npz"))
    XCTAssertThrowsError(try two.imageArrayName(nil)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
      XCTAssertTrue("\($0)".contains("choose one with --array"), "\($0)")
    }
    XCTAssertThrowsError(try two.imageArrayName("c")) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    // A metadata array (dc-normalize's pixel size) is no candidate when it is ignored.
    let size = NDArray(shape: [2], values: [Float(0.65), 0.65])
    let withSize = try InputFile(
      path: try write(ArrayBundle([("raw", a), (StackMetadata.pixelSizeArrayName, size)]), "s.npz"))
    XCTAssertEqual(
      try withSize.imageArrayName(nil, ignoring: [StackMetadata.pixelSizeArrayName]), "raw")
    XCTAssertThrowsError(try withSize.imageArrayName(nil)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
  }

  // MARK: Augment

  func testAugmentationRunTargetsOnlyMatchesGolden() throws {
    let y = try loadFixtureNPY("augment/transforms0_y_u1.npy")
    let input = try InputFile(path: try write(ArrayBundle([("y", y)]), "y.npz"))
    var job = AugmentationRun(settings: AugmentationSettings())
    job.targetsOnly = true
    let result = try job.run(input)
    XCTAssertEqual(result.bundle.names, ["y", "inner_distance", "outer_distance", "fgbg"])
    let inner = try loadFixtureNPY("augment/transforms0_inner_distance.npy")
    XCTAssertLessThanOrEqual(
      maxAbsDifference(result.bundle["inner_distance"]!.floats(), inner.floats()), 1e-5)
    XCTAssertEqual(
      result.bundle["fgbg"]!.values(UInt8.self),
      try loadFixtureNPY("augment/transforms0_fgbg.npy").values(UInt8.self))
    XCTAssertNotNil(result.preview, "a preview batch by default")
    // Without a preview to draw, the preview batch (full-stack copies) is not built, and the
    // output is the same.
    job.wantsPreview = false
    let lean = try job.run(input)
    XCTAssertNil(lean.preview)
    XCTAssertEqual(lean.bundle.names, result.bundle.names)
    XCTAssertEqual(
      lean.bundle["inner_distance"]!.floats(), result.bundle["inner_distance"]!.floats())
  }

  func testAugmentationRunCountsAndIsThreadIndependent() throws {
    let (x, y) = PanopticTrainerTests.discDataset(count: 3)
    let input = try InputFile(path: try write(ArrayBundle([("X", x), ("y", y)]), "d.npz"))
    var settings = AugmentationSettings()
    settings.cropSize = [32, 32]
    var job = AugmentationRun(settings: settings)
    job.count = 5
    job.seed = 4
    var announced = 0
    var done = 0
    job.threads = 1
    let one = try job.run(input, start: { announced = $0 }, progress: { done += $0 })
    XCTAssertEqual(announced, 5)
    XCTAssertEqual(done, 5)
    XCTAssertEqual(one.bundle["X"]!.shape, [5, 32, 32, 1])
    job.threads = 3
    let three = try job.run(try InputFile(path: path("d.npz")))
    for name in one.bundle.names { XCTAssertEqual(one.bundle[name], three.bundle[name], name) }
    // An image stack without labels is a usage error.
    let stack = try InputFile(path: try write(ArrayBundle([("arr_0", x)]), "x.npy"))
    XCTAssertThrowsError(try job.run(stack)) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage)
    }
  }

  // MARK: Train

  func trainingRun(_ data: String, output: String, epochs: Int) -> TrainingRun {
    var architecture = PanopticNetConfiguration()
    architecture.inputSize = 32
    architecture.backboneLevels = [1, 2, 3]
    architecture.featureSize = 8
    architecture.backboneFilters = 4
    var settings = TrainingSettings()
    settings.epochs = epochs
    settings.batchSize = 2
    settings.learningRate = 0.01
    var run = TrainingRun(
      input: data, output: output, architecture: architecture, settings: settings)
    run.threads = 1
    return run
  }

  /// The library run and dc-train with the same settings (one thread everywhere, as
  /// `--threads 1` sets) write the same model and log, bit for bit.
  func testTrainingRunEqualsTheTool() throws {
    let threads = Parallel.defaultThreads
    Parallel.useThreads(1)
    defer { Parallel.useThreads(threads) }
    let (x, y) = PanopticTrainerTests.discDataset(count: 5)
    let data = try write(ArrayBundle([("X", x), ("y", y)]), "train.npz")
    var steps = 0
    var logged: [String] = []
    let outcome = try trainingRun(data, output: path("lib.npz"), epochs: 2).run(
      step: { status, detail in
        steps += 1
        XCTAssertTrue(detail.hasPrefix("loss "), detail)
        XCTAssertLessThan(status.epoch, 2)
      }, epochLogged: { logged.append($0) })
    XCTAssertEqual(outcome.stopReason, .completed)
    XCTAssertEqual(outcome.epochs, 2)
    XCTAssertEqual(logged.count, 2)
    XCTAssertGreaterThan(steps, 0)
    XCTAssertNotNil(outcome.bestEpoch)
    let tool = try runTool(
      "dc-train",
      [
        data, "-o", path("tool.npz"), "--epochs", "2", "--crop", "32", "--batch-size", "2",
        "--backbone-levels", "1,2,3", "--feature-size", "8", "--backbone-filters", "4", "--lr",
        "0.01", "--threads", "1", "--quiet",
      ])
    XCTAssertEqual(tool.status, 0, tool.stderr)
    let (a, b) = (try NPZReader(path: path("lib.npz")), try NPZReader(path: path("tool.npz")))
    XCTAssertEqual(a.names, b.names)
    for name in a.names where name != ModelFile.descriptionMember {
      XCTAssertEqual(try a.readArray(name), try b.readArray(name), name)
    }
    XCTAssertEqual(
      try String(contentsOfFile: path("lib.csv"), encoding: .utf8),
      try String(contentsOfFile: path("tool.csv"), encoding: .utf8))
  }

  func testTrainingRunStopsWhenAskedAndSplitsDeterministically() throws {
    let (x, y) = PanopticTrainerTests.discDataset(count: 5)
    let data = try write(ArrayBundle([("X", x), ("y", y)]), "train.npz")
    let outcome = try trainingRun(data, output: path("m.npz"), epochs: 3).run(shouldStop: {
      true
    })
    XCTAssertEqual(outcome.stopReason, .interrupted)
    XCTAssertLessThan(outcome.epochs, 3)

    let dataset = TrainingDataset.images(x: x, y: y)
    let (train, validation) = try dataset.split(fraction: 0.4, seed: 7, subject: "d")
    XCTAssertEqual(train.count, 3)
    XCTAssertEqual(validation.count, 2)
    let again = try dataset.split(fraction: 0.4, seed: 7, subject: "d")
    XCTAssertEqual(again.validation.images, validation.images)
    XCTAssertThrowsError(try dataset.split(fraction: 0.01, seed: 7, subject: "d")) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage)
    }
  }

  // MARK: Metrics and outputs

  func testTrackingInputsRefuseMissingResultsAndLineages() throws {
    XCTAssertThrowsError(
      try TrackingInputs(result: path("none"), truth: path("gt")).evaluate(
        measureSEG: true, divisionTolerance: 0, threads: 1)
    ) { XCTAssertEqual(($0 as? DeepCellError)?.kind, .noInput) }
    let gt = try loadFixtureNPY("track/ctc_sequence_gt.npy")
    let stack = try write(ArrayBundle([("arr_0", gt)]), "gt.npy")
    XCTAssertThrowsError(
      try TrackingInputs(result: stack, truth: stack).evaluate(
        measureSEG: false, divisionTolerance: 0, threads: 1)
    ) { XCTAssertEqual(($0 as? DeepCellError)?.kind, .usage) }
  }

  func testTextOutputReplacesTheFileAtomically() throws {
    try TextOutput.write("a,b\r\n", to: path("log.csv"))
    try TextOutput.write("a,b\r\n1,2\r\n", to: path("log.csv"))
    XCTAssertEqual(try String(contentsOfFile: path("log.csv"), encoding: .utf8), "a,b\r\n1,2\r\n")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["log.csv"])
    XCTAssertThrowsError(try TextOutput.write("x", to: path("no/such/folder/log.csv")))
    XCTAssertEqual(clockText(3725), "1:02:05")
    XCTAssertEqual(clockText(65), "1:05")
  }
}
