import Foundation
import XCTest

@testable import DeepCellKit

/// dc-train's resumable state, Ctrl-C, and training from dc-augment batches.
final class TrainingResumeTests: XCTestCase {
  /// The dataset file of `PanopticTrainerTests.discDataset` in `dir`.
  func writeDataset(_ dir: URL, count: Int = 5, name: String = "train.npz") throws -> String {
    let (x, y) = PanopticTrainerTests.discDataset(count: count)
    let path = dir.appendingPathComponent(name).path
    let w = try NPZWriter(path: path)
    try w.write("X", x)
    try w.write("y", y)
    try w.finish()
    return path
  }

  let tinyFlags = [
    "--crop", "32", "--batch-size", "2", "--backbone-levels", "1,2,3", "--feature-size", "8",
    "--backbone-filters", "4", "--lr", "0.01", "--threads", "1", "--quiet",
  ]

  func weights(_ path: String) throws -> [String: [Float]] {
    let r = try NPZReader(path: path)
    var out: [String: [Float]] = [:]
    for n in r.names { out[n] = try r.readArray(n).floats() }
    return out
  }

  func testResumedRunEqualsUninterruptedRun() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir)
    let straight = dir.appendingPathComponent("straight.npz").path
    let a = try runTool("dc-train", [data, "-o", straight, "--epochs", "3"] + tinyFlags)
    XCTAssertEqual(a.status, 0, a.stderr)

    let split = dir.appendingPathComponent("split.npz").path
    let b1 = try runTool("dc-train", [data, "-o", split, "--epochs", "1"] + tinyFlags)
    XCTAssertEqual(b1.status, 0, b1.stderr)
    XCTAssertTrue(
      FileManager.default.fileExists(atPath: dir.appendingPathComponent("split.state.npz").path))
    let b2 = try runTool("dc-train", [data, "-o", split, "--epochs", "3", "--resume"] + tinyFlags)
    XCTAssertEqual(b2.status, 0, b2.stderr)

    // Same best model, bit for bit, and the same log.
    let (wa, wb) = (try weights(straight), try weights(split))
    XCTAssertEqual(Set(wa.keys), Set(wb.keys))
    for (k, v) in wa where k != ModelFile.descriptionMember { XCTAssertEqual(v, wb[k], k) }
    let la = try String(
      contentsOfFile: dir.appendingPathComponent("straight.csv").path, encoding: .utf8)
    let lb = try String(
      contentsOfFile: dir.appendingPathComponent("split.csv").path, encoding: .utf8)
    XCTAssertEqual(la, lb)
    XCTAssertEqual(la.components(separatedBy: "\r\n").count, 5, la)

    // Resuming with other flags is refused and changes nothing.
    let before = try Data(contentsOf: URL(fileURLWithPath: split))
    func refusedResume(_ flags: [String], naming setting: String) throws {
      let run = try runTool(
        "dc-train", [data, "-o", split, "--epochs", "4", "--resume"] + flags + tinyFlags)
      XCTAssertEqual(run.status, 64, run.stderr)
      XCTAssertTrue(run.stderr.contains(setting), run.stderr)
      XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: split)), before)
    }
    try refusedResume(["--seed", "3"], naming: "seed")
    try refusedResume(
      ["--freeze-backbone", "--initial-weights", straight], naming: "freeze_backbone")
    try refusedResume(["--backbone-lr-scale", "0.5"], naming: "backbone_lr_scale")
    try refusedResume(["--noise-fraction", "0.5"], naming: "noise_fraction")
    // No state to resume from.
    let none = try runTool(
      "dc-train", [data, "-o", dir.appendingPathComponent("new.npz").path, "--resume"] + tinyFlags)
    XCTAssertEqual(none.status, 66, none.stderr)
  }

  /// A run started in one precision is not resumed in the other (either way round; a run
  /// started in bf16 only where the CPU has bf16 convolutions), and an unknown precision is
  /// refused before anything is written.
  func testResumeInTheOtherPrecisionIsRefused() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir, count: 3)
    let bad = try runTool(
      "dc-train",
      [data, "-o", dir.appendingPathComponent("x.npz").path, "--precision", "fp16"]
        + tinyFlags)
    XCTAssertEqual(bad.status, 64, bad.stderr)
    XCTAssertTrue(bad.stderr.contains("--precision"), bad.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.npz").path))
    func check(first: String, second: String) throws {
      let model = dir.appendingPathComponent("\(first).npz").path
      let flags = tinyFlags + ["--steps-per-epoch", "1", "--validation-steps", "1"]
      let a = try runTool(
        "dc-train", [data, "-o", model, "--epochs", "1", "--precision", first] + flags)
      XCTAssertEqual(a.status, 0, a.stderr)
      let before = try Data(contentsOf: URL(fileURLWithPath: model))
      let b = try runTool(
        "dc-train",
        [data, "-o", model, "--epochs", "2", "--resume", "--precision", second] + flags)
      XCTAssertEqual(b.status, 64, b.stderr)
      XCTAssertTrue(b.stderr.contains("precision"), b.stderr)
      XCTAssertEqual(b.stderr.split(separator: "\n").count, 1, b.stderr)
      XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), before)
      let c = try runTool(
        "dc-train", [data, "-o", model, "--epochs", "2", "--resume", "--precision", first] + flags)
      XCTAssertEqual(c.status, 0, c.stderr)
    }
    try check(first: "fp32", second: "bf16")
    try TestEnvironment.requireBF16Convolution()
    try check(first: "bf16", second: "fp32")
  }

  /// `--transform sqrt` normalizes √(x − min), is recorded in the model for dc-predict, and
  /// a run is not resumed without it.
  func testIntensityTransformIsAppliedRecordedAndKeptOnResume() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir, count: 3)
    let flags = tinyFlags + ["--steps-per-epoch", "1", "--validation-steps", "1", "--epochs", "1"]
    let plain = dir.appendingPathComponent("plain.npz").path
    let rooted = dir.appendingPathComponent("sqrt.npz").path
    XCTAssertEqual(try runTool("dc-train", [data, "-o", plain] + flags).status, 0)
    let a = try runTool("dc-train", [data, "-o", rooted, "--transform", "sqrt"] + flags)
    XCTAssertEqual(a.status, 0, a.stderr)
    XCTAssertNil(try ModelFile.readDescription(plain).inputTransform)
    XCTAssertEqual(try ModelFile.readDescription(rooted).inputTransform, .sqrt)
    XCTAssertNotEqual(try weights(plain), try weights(rooted), "the inputs differ")
    let before = try Data(contentsOf: URL(fileURLWithPath: rooted))
    let b = try runTool(
      "dc-train", [data, "-o", rooted, "--resume"] + flags.dropLast(2) + ["--epochs", "2"])
    XCTAssertEqual(b.status, 64, b.stderr)
    XCTAssertTrue(b.stderr.contains("transform"), b.stderr)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: rooted)), before)
  }

  func testInterruptKeepsBestModelAndLogAndResumes() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir)
    let model = dir.appendingPathComponent("m.npz").path
    let state = dir.appendingPathComponent("m.state.npz").path
    let process = Process()
    process.executableURL = TestPaths.executable("dc-train")
    process.arguments =
      [data, "-o", model, "--epochs", "1000", "--steps-per-epoch", "2"] + tinyFlags
    let err = Pipe()
    process.standardError = err
    try process.run()
    // Wait (bounded) until an epoch has finished, then press Ctrl-C.
    var waited = 0
    while !FileManager.default.fileExists(atPath: state), waited < 1200, process.isRunning {
      usleep(100_000)
      waited += 1
    }
    XCTAssertTrue(process.isRunning, "dc-train ended before the interrupt")
    process.interrupt()
    process.waitUntilExit()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    XCTAssertEqual(process.terminationStatus, 130, stderr)
    XCTAssertTrue(stderr.contains("--resume"), stderr)
    XCTAssertNoThrow(try ModelFile.load(model))
    let log = try String(contentsOfFile: dir.appendingPathComponent("m.csv").path, encoding: .utf8)
    XCTAssertTrue(log.hasPrefix("epoch,loss"))
    XCTAssertGreaterThanOrEqual(log.components(separatedBy: "\r\n").count, 3, log)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
      $0.contains(".tmp")
    }
    XCTAssertEqual(leftovers, [])
    // It goes on from there.
    let rows = log.components(separatedBy: "\r\n").count - 2
    let again = try runTool(
      "dc-train",
      [data, "-o", model, "--epochs", "\(rows + 1)", "--steps-per-epoch", "2", "--resume"]
        + tinyFlags)
    XCTAssertEqual(again.status, 0, again.stderr)
    let after = try String(
      contentsOfFile: dir.appendingPathComponent("m.csv").path, encoding: .utf8)
    XCTAssertTrue(after.hasPrefix(log), "the resumed log keeps the earlier rows")
    XCTAssertEqual(after.components(separatedBy: "\r\n").count, rows + 3)
  }

  func testTrainsOnAugmentBatches() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir, count: 4)
    let batches = dir.appendingPathComponent("batches.npz").path
    let aug = try runTool(
      "dc-augment", [data, "--count", "8", "--crop", "32", "--seed", "1", "-o", batches, "--quiet"])
    XCTAssertEqual(aug.status, 0, aug.stderr)
    let model = dir.appendingPathComponent("m.npz").path
    let run = try runTool(
      "dc-train", [batches, "-o", model, "--epochs", "2", "--validation-split", "0.25"] + tinyFlags)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertNoThrow(try ModelFile.load(model))

    // Batches of another size than the model input are refused; nothing is written.
    let other = dir.appendingPathComponent("other.npz").path
    var flags = tinyFlags
    flags[1] = "16"
    let bad = try runTool("dc-train", [batches, "-o", other, "--epochs", "1"] + flags)
    XCTAssertEqual(bad.status, 65, bad.stderr)
    XCTAssertTrue(bad.stderr.contains("32×32"), bad.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: other))
    // Dimming is done when the batches are made, not on finished batches.
    let dimmed = try runTool(
      "dc-train", [batches, "-o", other, "--epochs", "1", "--dim-nuclei", "0.3"] + tinyFlags)
    XCTAssertEqual(dimmed.status, 64, dimmed.stderr)
    XCTAssertTrue(dimmed.stderr.contains("dc-augment --dim-nuclei"), dimmed.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: other))
    let noisy = try runTool(
      "dc-train", [batches, "-o", other, "--epochs", "1", "--noise-fraction", "0.3"] + tinyFlags)
    XCTAssertEqual(noisy.status, 64, noisy.stderr)
    XCTAssertTrue(noisy.stderr.contains("dc-augment --noise-fraction"), noisy.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: other))
    // Contact weights come from the batches' labels: with y they train, without y the run is
    // refused rather than weighing nothing.
    let contact = [
      "-o", other, "--epochs", "1", "--validation-split", "0.25", "--contact-weight", "5",
    ]
    let weighted = try runTool("dc-train", [batches] + contact + tinyFlags)
    XCTAssertEqual(weighted.status, 0, weighted.stderr)
    try FileManager.default.removeItem(atPath: other)
    let unlabeled = dir.appendingPathComponent("unlabeled.npz").path
    let reader = try NPZReader(path: batches)
    let writer = try NPZWriter(path: unlabeled)
    for name in reader.names where name != "y" {
      try writer.write(name, try reader.readArray(name))
    }
    try writer.finish()
    let refused = try runTool("dc-train", [unlabeled] + contact + tinyFlags)
    XCTAssertEqual(refused.status, 64, refused.stderr)
    XCTAssertTrue(refused.stderr.contains("without their labels (y)"), refused.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: other))
  }

  func testBadTrainingInputsAreRefusedAndWriteNothing() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir)
    let out = dir.appendingPathComponent("out.npz").path
    func refused(_ args: [String], _ status: Int32, _ words: String) throws {
      let run = try runTool("dc-train", args + ["-o", out] + tinyFlags)
      XCTAssertEqual(run.status, status, run.stderr)
      XCTAssertTrue(run.stderr.contains(words), run.stderr)
      XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
    // A batch file with inner_distance but not the other targets.
    let (x, _) = PanopticTrainerTests.discDataset(count: 3)
    let partial = dir.appendingPathComponent("partial.npz").path
    let w = try NPZWriter(path: partial)
    try w.write("X", x)
    try w.write("inner_distance", x)
    try w.finish()
    try refused([partial], 65, "outer_distance")
    // Dimming settings out of range (checked where dc-augment checks them).
    try refused([data, "--dim-nuclei", "1.5"], 64, "dimmed object fraction")
    try refused([data, "--dim-nuclei", "0.3", "--dim-factor-min", "0"], 64, "dimmed object factor")
    // Noise settings out of range.
    try refused([data, "--noise-fraction", "2"], 64, "noisy sample fraction")
    try refused(
      [data, "--noise-fraction", "0.5", "--noise-max", "0"], 64, "noise standard deviation")
    // --epochs 0 trains nothing without weights to start from.
    try refused([data, "--epochs", "0", "--recalibrate-bn", "1"], 64, "--initial-weights")
    // Initial weights of another architecture.
    let other = dir.appendingPathComponent("other.npz").path
    var wide = tinyFlags
    wide[wide.firstIndex(of: "--feature-size")! + 1] = "12"
    let made = try runTool("dc-train", [data, "-o", other, "--epochs", "1"] + wide)
    XCTAssertEqual(made.status, 0, made.stderr)
    try refused([data, "--initial-weights", other, "--epochs", "1"], 65, "architecture")
    // A damaged state file.
    let state = dir.appendingPathComponent("out.state.npz").path
    try Data("not a zip".utf8).write(to: URL(fileURLWithPath: state))
    try refused([data, "--resume", "--epochs", "2"], 65, "out.state.npz")
  }

  func testRecalibrationChangesOnlyTheMovingStatistics() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let data = try writeDataset(dir)
    let model = dir.appendingPathComponent("m.npz").path
    let trained = try runTool("dc-train", [data, "-o", model, "--epochs", "1"] + tinyFlags)
    XCTAssertEqual(trained.status, 0, trained.stderr)
    let recalibrated = dir.appendingPathComponent("r.npz").path
    let run = try runTool(
      "dc-train",
      [
        data, "-o", recalibrated, "--initial-weights", model, "--epochs", "0", "--recalibrate-bn",
        "2",
      ]
        + tinyFlags)
    XCTAssertEqual(run.status, 0, run.stderr)
    let (before, after) = (try weights(model), try weights(recalibrated))
    var changed = 0
    for (name, values) in before where name != ModelFile.descriptionMember {
      if name.hasSuffix("moving_mean") || name.hasSuffix("moving_variance") {
        if values != after[name] { changed += 1 }
      } else {
        XCTAssertEqual(values, after[name], name)
      }
    }
    XCTAssertGreaterThan(changed, 0, "the moving statistics are recomputed")
    XCTAssertNotNil(try ModelFile.readDescription(recalibrated).training["bn_recalibration"])
  }

  func testPrecomputedBatchesServeEverySampleOncePerPass() throws {
    let x = NDArray(shape: [5, 2, 2, 1], values: (0..<20).map(Float.init))
    let t = NDArray(shape: [5, 2, 2, 1], values: (0..<20).map { Float($0) * 2 })
    var source = try PrecomputedBatches(
      images: x, targets: [("inner_distance", t)], labels: nil, seed: 4, subject: "test")
    var seen: [Int] = []
    while source.position < 5 {
      let b = try source.nextBatch(size: 2)
      seen += b.sourceIndices
      XCTAssertEqual(b.images.floats()[0], Float(b.sourceIndices[0] * 4))
      XCTAssertEqual(b.targets[0].array.floats()[0], Float(b.sourceIndices[0] * 8))
    }
    XCTAssertEqual(seen.sorted(), [0, 1, 2, 3, 4])
    XCTAssertEqual(source.position, 5)
  }
}

/// Precise-BN recalibration of the moving statistics.
final class BatchNormRecalibrationTests: XCTestCase {
  func testRecalibratedInferenceMatchesTrainingModeOnTheSameBatch() throws {
    let (x, y) = PanopticTrainerTests.discDataset(count: 4)
    var augment = AugmentationSettings()
    augment.cropSize = [32, 32]
    var gen = try AugmentationGenerator(images: x, labels: y, settings: augment, seed: 0)
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 0)
    var settings = TrainingSettings()
    settings.learningRate = 1e-2
    let trainer = PanopticTrainer(network: net, settings: settings)
    for _ in 0..<3 { _ = try trainer.step(try gen.nextBatch(size: 4)) }

    let batch = try gen.nextBatch(size: 4)
    let (input, _) = try trainer.tensors(batch)
    let before = try net.forward(input, training: false).map { $0.toNHWC().floats() }
    let training = try net.forward(input, training: true).map { $0.toNHWC().floats() }
    // Recalibrate on exactly this batch: inference then normalizes with its statistics.
    var one = try PrecomputedBatches(
      images: batch.images, targets: batch.targets, labels: batch.labels, seed: 0,
      shuffle: false, subject: "test")
    try trainer.recalibrateBatchNormalization(&one, batches: 1, batchSize: 4)
    let after = try net.forward(input, training: false).map { $0.toNHWC().floats() }
    for h in training.indices {
      let gapBefore = maxAbsDifference(before[h], training[h])
      let gapAfter = maxAbsDifference(after[h], training[h])
      XCTAssertLessThan(gapAfter, 0.02, "head \(h)")
      XCTAssertLessThan(gapAfter, gapBefore, "head \(h)")
    }
    // Trainable weights are untouched (only moving statistics change).
    XCTAssertEqual(trainer.optimizer.iterations, 3)
  }
}
