import Foundation

/// Trains a ``PanopticNet`` as the seed notebook does (model.md §8–§9): batches from an
/// ``AugmentationGenerator`` (images already normalized by the caller), MSE for one-class
/// heads and `crossEntropyScale` × weighted categorical cross-entropy for n-class heads,
/// summed; Adam with per-variable clipnorm; `lr · decay^epoch` set at each epoch start;
/// ReduceLROnPlateau (its reduction is overwritten by the next epoch's schedule, as in the
/// reference, so it lasts zero epochs); EarlyStopping with best-weight restore; the best model
/// by val_loss saved atomically at each strict improvement; one CSV row per epoch.
public final class PanopticTrainer {
  /// The network being trained.
  public let network: PanopticNet
  /// The settings.
  public let settings: TrainingSettings
  /// The optimizer.
  public let optimizer: Adam
  /// Per epoch: (epoch, lr, logs by CSV key).
  public private(set) var history: [(epoch: Int, lr: Float, logs: [String: Float])] = []
  private var mse: [MeanSquaredError]
  private var cce: [WeightedCategoricalCrossEntropy]

  /// A trainer for `network`.
  public init(network: PanopticNet, settings: TrainingSettings) {
    self.network = network
    self.settings = settings
    optimizer = Adam(learningRate: settings.learningRate, clipNorm: settings.clipNorm)
    let heads = network.configuration.semanticClasses.count
    mse = Array(repeating: MeanSquaredError(), count: heads)
    cce = Array(
      repeating: WeightedCategoricalCrossEntropy(scale: settings.crossEntropyScale), count: heads)
  }

  /// The batch as tensors: input and one target per head (targets in head order).
  func tensors(_ batch: AugmentedBatch) throws -> (Tensor, [Tensor]) {
    let heads = network.configuration.semanticClasses
    guard batch.targets.count >= heads.count else {
      throw DeepCellError(
        .usage, "targets",
        "the generator makes \(batch.targets.count) targets for \(heads.count) heads")
    }
    let x = try Tensor.fromNHWC(batch.images, subject: ArrayName.image)
    let t = try heads.indices.map { i -> Tensor in
      let target = try Tensor.fromNHWC(batch.targets[i].array, subject: batch.targets[i].name)
      guard target.shape.c == heads[i] else {
        throw DeepCellError(
          .badData, batch.targets[i].name,
          "has \(target.shape.c) channel(s); head semantic_\(i) has \(heads[i])")
      }
      return target
    }
    return (x, t)
  }

  /// Per-head losses (and their gradients) of outputs against targets.
  func losses(_ outputs: [Tensor], _ targets: [Tensor]) throws -> ([Float], [Tensor]) {
    var values: [Float] = []
    var grads: [Tensor] = []
    for i in outputs.indices {
      let (l, g) =
        network.configuration.semanticClasses[i] == 1
        ? try mse[i].evaluate(prediction: outputs[i], target: targets[i])
        : try cce[i].evaluate(probabilities: outputs[i], target: targets[i])
      values.append(l)
      grads.append(g)
    }
    return (values, grads)
  }

  /// One optimization step on `batch`; returns the per-head losses. A non-finite loss throws
  /// `.badData` before any weight changes.
  public func step(_ batch: AugmentedBatch) throws -> [Float] {
    let (x, targets) = try tensors(batch)
    let outputs = try network.forward(x, training: true)
    let (values, grads) = try losses(outputs, targets)
    guard values.allSatisfy(\.isFinite) else {
      throw DeepCellError(
        .badData, "training", "loss is \(values) at step \(optimizer.iterations + 1)")
    }
    try network.backward(grads)
    try optimizer.step(network.registry.parameters)
    return values
  }

  /// Per-head losses of `batch` in inference mode (BN moving statistics), as Keras validates.
  public func evaluate(_ batch: AugmentedBatch) throws -> [Float] {
    let (x, targets) = try tensors(batch)
    let outputs = try network.forward(x, training: false)
    return try losses(outputs, targets).0
  }

  /// Runs the epochs. `checkpoint` is called with each new best val_loss (save the model
  /// there); `logRow` with each CSV row. Returns the best val_loss.
  @discardableResult
  public func fit(
    train: inout AugmentationGenerator, validation: inout AugmentationGenerator,
    checkpoint: (Int, Float) throws -> Void, logRow: (String) throws -> Void,
    progress: ((Int, Int, Float) -> Void)? = nil
  ) throws -> Float {
    let s = settings
    let heads = network.configuration.semanticClasses.count
    let steps = s.stepsPerEpoch ?? max(1, train.sampleCount / s.batchSize)
    let valSteps = s.validationSteps ?? max(1, validation.sampleCount / s.batchSize)
    try logRow(TrainingLog.header(headCount: heads))
    var checkpointBest = Float.infinity
    var plateauBest = Double.infinity
    var plateauWait = 0
    var stopBest = Float.infinity
    var stopWait = 0
    var snapshot: [Float]? = nil
    for epoch in 0..<s.epochs {
      optimizer.learningRate = s.learningRate * pow(s.decay, Float(epoch))
      let lr = optimizer.learningRate
      var sums = [Double](repeating: 0, count: heads)
      for k in 0..<steps {
        let values = try step(try train.nextBatch(size: s.batchSize))
        for i in 0..<heads { sums[i] += Double(values[i]) }
        progress?(epoch, k + 1, Float(sums.reduce(0, +) / Double(k + 1)))
      }
      var valSums = [Double](repeating: 0, count: heads)
      validation.seek(to: 0)
      for _ in 0..<valSteps {
        let values = try evaluate(try validation.nextBatch(size: s.batchSize))
        for i in 0..<heads { valSums[i] += Double(values[i]) }
      }
      var logs: [String: Float] = [:]
      for i in 0..<heads {
        logs["semantic_\(i)_loss"] = Float(sums[i] / Double(steps))
        logs["val_semantic_\(i)_loss"] = Float(valSums[i] / Double(valSteps))
      }
      let loss = Float(sums.reduce(0, +) / Double(steps))
      let val = Float(valSums.reduce(0, +) / Double(valSteps))
      logs["loss"] = loss
      logs["val_loss"] = val
      history.append((epoch, lr, logs))
      try logRow(TrainingLog.row(epoch: epoch, lr: lr, values: logs, headCount: heads))
      guard val.isFinite else {
        throw DeepCellError(.badData, "training", "val_loss is \(val) at epoch \(epoch)")
      }
      if val < checkpointBest {
        checkpointBest = val
        try checkpoint(epoch, val)
      }
      // ReduceLROnPlateau (overwritten by the next epoch's schedule, model.md §9).
      if Double(val) < plateauBest - s.plateauMinDelta {
        plateauBest = Double(val)
        plateauWait = 0
      } else {
        plateauWait += 1
        if plateauWait >= s.plateauPatience {
          optimizer.learningRate *= s.plateauFactor
          plateauWait = 0
        }
      }
      // EarlyStopping with restore_best_weights.
      stopWait += 1
      if val < stopBest {
        stopBest = val
        stopWait = 0
        snapshot = network.registry.parameters.flatMap { $0.value.values }
      }
      if stopWait >= s.earlyStoppingPatience && epoch > 0 {
        if let snapshot { restore(snapshot) }
        break
      }
    }
    return checkpointBest
  }

  private func restore(_ values: [Float]) {
    var offset = 0
    for p in network.registry.parameters {
      for k in 0..<p.count { p.value.pointer[k] = values[offset + k] }
      offset += p.count
    }
  }
}
