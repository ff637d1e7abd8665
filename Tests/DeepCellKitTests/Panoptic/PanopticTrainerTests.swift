import Foundation
import XCTest

@testable import DeepCellKit

/// Training: loss decreases on a tiny dataset, checkpoint and CSV log, dc-train's CLI.
final class PanopticTrainerTests: XCTestCase {
  /// `count` 48×48 frames with a few bright discs (X float32) and their labels (y int32).
  static func discDataset(count: Int, seed: UInt64 = 1) -> (NDArray, NDArray) {
    var rng = RandomGenerator(seed: seed)
    let s = 48
    var x = [Float](repeating: 0, count: count * s * s)
    var y = [Int32](repeating: 0, count: count * s * s)
    for f in 0..<count {
      for label in 1...4 {
        let cy = rng.uniform(8, Float(s - 8))
        let cx = rng.uniform(8, Float(s - 8))
        let r = rng.uniform(3, 6)
        for i in 0..<s {
          for j in 0..<s
          where (Float(i) - cy) * (Float(i) - cy) + (Float(j) - cx) * (Float(j) - cx) <= r * r {
            y[(f * s + i) * s + j] = Int32(label)
          }
        }
      }
      for k in 0..<(s * s) {
        x[f * s * s + k] = (y[f * s * s + k] > 0 ? 0.8 : 0.1) + rng.uniform(-0.05, 0.05)
      }
    }
    return (
      NDArray(shape: [count, s, s, 1], values: x), NDArray(shape: [count, s, s, 1], values: y)
    )
  }

  func testTrainingLowersLossAndCheckpointsTheBest() throws {
    let (x, y) = Self.discDataset(count: 6)
    var augment = AugmentationSettings()
    augment.cropSize = [32, 32]
    var trainGen = try AugmentationGenerator(images: x, labels: y, settings: augment, seed: 0)
    var valSettings = AugmentationSettings.cropOnly
    valSettings.cropSize = [32, 32]
    valSettings.shuffle = false
    var valGen = try AugmentationGenerator(images: x, labels: y, settings: valSettings, seed: 1)
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 0)
    var settings = TrainingSettings()
    settings.epochs = 4
    settings.batchSize = 3
    settings.learningRate = 1e-2
    settings.stepsPerEpoch = 4
    let trainer = PanopticTrainer(network: net, settings: settings)
    var rows: [String] = []
    var saved: [(Int, Float)] = []
    let best = try trainer.fit(
      train: &trainGen, validation: &valGen, checkpoint: { saved.append(($0, $1)) },
      logRow: { rows.append($0) })
    XCTAssertEqual(trainer.history.count, 4)
    let losses = trainer.history.map { $0.logs["loss"]! }
    XCTAssertLessThan(losses.last!, losses.first!, "\(losses)")
    XCTAssertEqual(best, trainer.history.map { $0.logs["val_loss"]! }.min())
    XCTAssertEqual(saved.last?.1, best)
    XCTAssertEqual(
      rows[0],
      "epoch,loss,lr,semantic_0_loss,semantic_1_loss,semantic_2_loss,val_loss,val_semantic_0_loss,val_semantic_1_loss,val_semantic_2_loss\r\n"
    )
    XCTAssertEqual(rows.count, 5)
    XCTAssertTrue(rows[2].hasPrefix("1,"))
    XCTAssertEqual(rows[2].split(separator: ",")[2], "0.0099")
    XCTAssertEqual(trainer.history[1].lr, Float(1e-2) * 0.99)
  }

  func testContactWeightRaisesOnlyTheDistanceLosses() throws {
    // Two discs that touch, one apart, in each of two 32×32 frames.
    var y = [Int32](repeating: 0, count: 2 * 32 * 32)
    for f in 0..<2 {
      for i in 0..<32 {
        for j in 0..<32 {
          func inDisc(_ cy: Int, _ cx: Int) -> Bool {
            (i - cy) * (i - cy) + (j - cx) * (j - cx) <= 25
          }
          let label: Int32 = inDisc(10, 8) ? 1 : inDisc(10, 18 + f) ? 2 : inDisc(24, 24) ? 3 : 0
          y[(f * 32 + i) * 32 + j] = label
        }
      }
    }
    let x = y.map { $0 > 0 ? Float(0.8) : 0.1 }
    var augment = AugmentationSettings.cropOnly
    augment.cropSize = [32, 32]
    augment.shuffle = false
    var generator = try AugmentationGenerator(
      images: NDArray(shape: [2, 32, 32, 1], values: x),
      labels: NDArray(shape: [2, 32, 32, 1], values: y), settings: augment, seed: 7, threads: 1)
    let batch = try generator.nextBatch(size: 2)
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 0)
    var settings = TrainingSettings()
    let plain = try PanopticTrainer(network: net, settings: settings).evaluate(batch)
    settings.contactWeight = 9
    let trainer = PanopticTrainer(network: net, settings: settings)
    let w = try XCTUnwrap(try trainer.contactWeights(batch)).nchwValues()
    XCTAssertEqual(w.filter { $0 == 10 }.count, w.filter { $0 != 1 }.count)
    XCTAssertGreaterThan(w.filter { $0 == 10 }.count, 20)
    let weighted = try trainer.evaluate(batch)
    XCTAssertGreaterThan(weighted[0], plain[0])
    XCTAssertGreaterThan(weighted[1], plain[1])
    XCTAssertEqual(weighted[2], plain[2])
  }

  /// The parameters' current values, one array each.
  static func values(_ parameters: [Parameter]) -> [[Float]] {
    parameters.map { Array(UnsafeBufferPointer(start: $0.value.pointer, count: $0.count)) }
  }

  /// With a frozen backbone, training steps leave `conv_channels` and the backbone bit for bit
  /// as they were (batch-norm moving statistics included) and change the pyramid and heads,
  /// and the loss still falls; without it the same steps change the backbone too.
  func testFrozenBackboneTrainsOnlyThePyramidAndHeads() throws {
    let (x, y) = Self.discDataset(count: 6)
    var augment = AugmentationSettings()
    augment.cropSize = [32, 32]
    let values = Self.values
    for frozen in [true, false] {
      let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 0)
      let below = net.featureParameters
      let above = net.pyramid.parameters + net.heads.flatMap(\.parameters)
      XCTAssertEqual(below.count + above.count, net.registry.parameters.count)
      let (belowBefore, aboveBefore) = (values(below), values(above))
      var settings = TrainingSettings()
      settings.learningRate = 1e-2
      settings.freezeBackbone = frozen
      let trainer = PanopticTrainer(network: net, settings: settings)
      XCTAssertEqual(net.updatedParameters.count, frozen ? above.count : below.count + above.count)
      var generator = try AugmentationGenerator(images: x, labels: y, settings: augment, seed: 0)
      var losses: [Float] = []
      for _ in 0..<8 {
        losses.append(try trainer.step(try generator.nextBatch(size: 3)).reduce(0, +))
      }
      XCTAssertEqual(values(below) == belowBefore, frozen)
      if frozen {
        // Precise BN then recomputes the heads' statistics only: the backbone's stay.
        let heads = net.heads.flatMap { [$0.norm0.movingMean, $0.norm0.movingVariance] }
        let headsBefore = values(heads)
        try trainer.recalibrateBatchNormalization(&generator, batches: 2, batchSize: 3)
        XCTAssertEqual(values(below), belowBefore)
        XCTAssertNotEqual(values(heads), headsBefore)
      }
      for (k, p) in above.enumerated() {
        XCTAssertNotEqual(values([p])[0], aboveBefore[k], p.name)
      }
      XCTAssertLessThan(losses.suffix(2).reduce(0, +), losses.prefix(2).reduce(0, +), "\(losses)")
    }
  }

  /// `backboneLearningRateScale` s: from the same weights and batch, Adam's first step moves
  /// `conv_channels` and the backbone s times as far as at 1, and the pyramid and heads
  /// exactly as far.
  func testBackboneLearningRateScaleScalesOnlyTheFeatureStep() throws {
    let (x, y) = Self.discDataset(count: 4)
    var augment = AugmentationSettings()
    augment.cropSize = [32, 32]
    let values = Self.values
    var steps: [(below: [[Float]], above: [[Float]])] = []
    for scale: Float in [1, 0.1] {
      let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 0)
      let below = net.featureParameters.filter(\.trainable)
      let above = net.pyramid.parameters + net.heads.flatMap(\.parameters)
      let (belowBefore, aboveBefore) = (values(below), values(above))
      var settings = TrainingSettings()
      settings.learningRate = 1e-2
      settings.backboneLearningRateScale = scale
      let trainer = PanopticTrainer(network: net, settings: settings)
      var generator = try AugmentationGenerator(images: x, labels: y, settings: augment, seed: 0)
      _ = try trainer.step(try generator.nextBatch(size: 2))
      func delta(_ after: [[Float]], _ before: [[Float]]) -> [[Float]] {
        zip(after, before).map { a, b in zip(a, b).map { $0 - $1 } }
      }
      steps.append((delta(values(below), belowBefore), delta(values(above), aboveBefore)))
    }
    let (full, scaled) = (steps[0], steps[1])
    XCTAssertEqual(scaled.above, full.above)
    var largest: Float = 0
    for (f, s) in zip(full.below.joined(), scaled.below.joined()) {
      XCTAssertEqual(s, 0.1 * f, accuracy: 1e-3 * abs(f) + 1e-9)
      largest = max(largest, abs(f))
    }
    XCTAssertGreaterThan(largest, 1e-3)  // the backbone did move at the full rate
  }

  func testNumpyStyleLearningRates() {
    XCTAssertEqual(TrainingLog.numpyFloat32(1e-4), "1e-04")
    XCTAssertEqual(TrainingLog.numpyFloat32(Float(1e-4) * 0.99), "9.9e-05")
    XCTAssertEqual(TrainingLog.numpyFloat32(0.001), "0.001")
  }

  func testToolTrainsWritesModelAndLogAndRejectsMissingLabels() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let (x, y) = Self.discDataset(count: 5)
    let data = dir.appendingPathComponent("train.npz").path
    let w = try NPZWriter(path: data)
    try w.write("X", x)
    try w.write("y", y)
    try w.finish()
    let model = dir.appendingPathComponent("m.npz").path
    let tiny = [
      "--crop", "32", "--batch-size", "2", "--backbone-levels", "1,2,3", "--feature-size", "8",
      "--backbone-filters", "4", "--quiet",
    ]
    let run = try runTool(
      "dc-train", [data, "-o", model, "--epochs", "2", "--lr", "0.01"] + tiny)
    XCTAssertEqual(run.status, 0, run.stderr)
    let (net, description) = try ModelFile.load(model)
    XCTAssertEqual(net.configuration.inputSize, 32)
    XCTAssertEqual(description.training["epochs"], "2")
    let log = try String(contentsOfFile: dir.appendingPathComponent("m.csv").path, encoding: .utf8)
    XCTAssertEqual(log.components(separatedBy: "\r\n").count, 4, log)  // header, 2 rows, ""
    XCTAssertTrue(log.hasPrefix("epoch,loss,lr,semantic_0_loss"))
    // The trained model predicts.
    let maps = dir.appendingPathComponent("maps.npz").path
    let p = try runTool("dc-predict", [data, "--model", model, "-o", maps, "--quiet"])
    XCTAssertEqual(p.status, 0, p.stderr)
    XCTAssertEqual(try NPZReader(path: maps).readArray("inner_distance").shape, [5, 48, 48, 1])

    let noLabels = dir.appendingPathComponent("x.npz").path
    let w2 = try NPZWriter(path: noLabels)
    try w2.write("X", x)
    try w2.finish()
    let other = dir.appendingPathComponent("other.npz").path
    let bad = try runTool("dc-train", [noLabels, "-o", other, "--crop", "32", "--quiet"])
    XCTAssertEqual(bad.status, 65, bad.stderr)
    XCTAssertTrue(bad.stderr.contains("y"), bad.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: other))

    // --contact-weight: checked, and recorded in the model.
    for flags in [
      ["--contact-weight", "-1"], ["--contact-weight", "nan"], ["--contact-weight", "inf"],
      ["--contact-radius", "0"], ["--contact-radius", "65"],
    ] {
      let refused = try runTool("dc-train", [data, "-o", other, "--crop", "32", "--quiet"] + flags)
      XCTAssertEqual(refused.status, 64, refused.stderr)
      XCTAssertTrue(refused.stderr.contains("--contact-"), refused.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: other))
    }
    let contact = try runTool(
      "dc-train", [data, "-o", other, "--epochs", "1", "--contact-weight", "3"] + tiny)
    XCTAssertEqual(contact.status, 0, contact.stderr)
    let (_, recorded) = try ModelFile.load(other)
    XCTAssertEqual(recorded.training["contact_weight"], "3.0")
    XCTAssertEqual(recorded.training["contact_radius"], "2")
    XCTAssertNil(description.training["contact_weight"])

    // --freeze-backbone: needs initial weights, is recorded, and keeps the backbone.
    let refused = try runTool("dc-train", [data, "-o", other, "--freeze-backbone"] + tiny)
    XCTAssertEqual(refused.status, 64, refused.stderr)
    XCTAssertTrue(refused.stderr.contains("--initial-weights"), refused.stderr)
    let frozenModel = dir.appendingPathComponent("frozen.npz").path
    let frozen = try runTool(
      "dc-train",
      [data, "-o", frozenModel, "--epochs", "1", "--freeze-backbone", "--initial-weights", model]
        + tiny)
    XCTAssertEqual(frozen.status, 0, frozen.stderr)
    let (frozenNet, frozenRecord) = try ModelFile.load(frozenModel)
    XCTAssertEqual(frozenRecord.training["freeze_backbone"], "yes")
    XCTAssertNil(description.training["freeze_backbone"])
    let start = net.registry.exported()
    for (name, array) in frozenNet.registry.exported() {
      let kept =
        name.hasPrefix("conv_channels/") || name.hasPrefix("conv2d")
        || name.hasPrefix("batch_normalization") && !name.contains("semantic")
      if kept { XCTAssertEqual(array.floats(), start[name]?.floats(), name) }
    }
    // --backbone-lr-scale: in (0, 1], not with --freeze-backbone, and recorded.
    for flags in [
      ["--backbone-lr-scale", "0"], ["--backbone-lr-scale", "1.5"],
      ["--backbone-lr-scale", "nan"],
      ["--backbone-lr-scale", "0.5", "--freeze-backbone", "--initial-weights", model],
    ] {
      let refused = try runTool("dc-train", [data, "-o", other] + flags + tiny)
      XCTAssertEqual(refused.status, 64, refused.stderr)
      XCTAssertTrue(refused.stderr.contains("--backbone-lr-scale"), refused.stderr)
    }
    let scaledModel = dir.appendingPathComponent("scaled.npz").path
    let scaled = try runTool(
      "dc-train",
      [data, "-o", scaledModel, "--epochs", "1", "--backbone-lr-scale", "0.5"] + tiny)
    XCTAssertEqual(scaled.status, 0, scaled.stderr)
    XCTAssertEqual(try ModelFile.load(scaledModel).1.training["backbone_lr_scale"], "0.5")
    XCTAssertNil(description.training["backbone_lr_scale"])
    // (The pyramid: this model's distance heads may have died at its lr 0.01.)
    XCTAssertNotEqual(
      frozenNet.registry.exported()["P1/kernel"]?.floats(), start["P1/kernel"]?.floats())
  }
}
