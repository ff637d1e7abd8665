import Foundation

/// Where a training run stands after a step, for progress displays.
public struct TrainingStatus: Sendable {
  /// Epoch (0-based) and epoch count.
  public var epoch: Int, epochs: Int
  /// Step within the epoch (1-based) and steps per epoch.
  public var step: Int, steps: Int
  /// Running mean of the epoch's training loss.
  public var loss: Float
  /// Learning rate in force.
  public var learningRate: Float
  /// val_loss of the previous epoch, if any.
  public var lastValidationLoss: Float?
}

/// Why ``PanopticTrainer/fit(train:validation:resume:checkpoint:logRow:epochEnd:progress:shouldStop:)`` returned.
public enum TrainingStopReason: Sendable, Equatable {
  /// Every epoch ran.
  case completed
  /// EarlyStopping ended the run (best weights restored).
  case stoppedEarly
  /// `shouldStop` asked to stop (Ctrl-C); the partial epoch is not recorded.
  case interrupted
}

/// Trains a ``PanopticNet`` as the seed notebook does (model.md §8–§9): batches from an
/// ``AugmentationGenerator`` (images already normalized by the caller), MSE for one-class
/// heads and `crossEntropyScale` × weighted categorical cross-entropy for n-class heads,
/// summed (the MSE weighted by ``ContactWeightMap`` when ``TrainingSettings/contactWeight``
/// is above 0); Adam with per-variable clipnorm; `lr · decay^epoch` set at each epoch start;
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
  /// Per epoch: the learning rate and the epoch-mean losses by CSV key.
  public private(set) var history: [EpochRecord] = []
  /// How the last ``fit`` ended.
  public private(set) var stopReason: TrainingStopReason = .completed
  private var mse: [MeanSquaredError]
  private var cce: [WeightedCategoricalCrossEntropy]

  /// A trainer for `network`; sets the network's training precision to the settings'.
  public init(network: PanopticNet, settings: TrainingSettings) {
    self.network = network
    self.settings = settings
    network.trainingPrecision = settings.precision
    network.frozenBackbone = settings.freezeBackbone
    optimizer = Adam(learningRate: settings.learningRate, clipNorm: settings.clipNorm)
    if settings.backboneLearningRateScale != 1 {
      for p in network.featureParameters {
        optimizer.learningRateScales[ObjectIdentifier(p)] = settings.backboneLearningRateScale
      }
    }
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

  /// The per-pixel weights of the MSE heads for `batch` (``ContactWeightMap``), or nil when
  /// ``TrainingSettings/contactWeight`` is 0.
  func contactWeights(_ batch: AugmentedBatch) throws -> Tensor? {
    guard settings.contactWeight > 0 else { return nil }
    return try ContactWeightMap.tensor(
      labels: batch.labels, radius: settings.contactRadius, weight: settings.contactWeight)
  }

  /// Per-head losses (and their gradients) of outputs against targets.
  func losses(_ outputs: [Tensor], _ targets: [Tensor], _ weight: Tensor? = nil) throws -> (
    [Float], [Tensor]
  ) {
    var values: [Float] = []
    var grads: [Tensor] = []
    for i in outputs.indices {
      let (l, g) =
        network.configuration.semanticClasses[i] == 1
        ? try mse[i].evaluate(prediction: outputs[i], target: targets[i], weight: weight)
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
    let (values, grads) = try losses(outputs, targets, try contactWeights(batch))
    guard values.allSatisfy(\.isFinite) else {
      throw DeepCellError(
        .badData, "training", "loss is \(values) at step \(optimizer.iterations + 1)")
    }
    try network.backward(grads)
    try optimizer.step(network.updatedParameters)
    return values
  }

  /// Per-head losses of `batch` in inference mode (BN moving statistics), as Keras validates.
  public func evaluate(_ batch: AugmentedBatch) throws -> [Float] {
    let (x, targets) = try tensors(batch)
    let outputs = try network.forward(x, training: false)
    return try losses(outputs, targets, try contactWeights(batch)).0
  }

  /// Runs the epochs from `resume` (a state ``TrainingStateFile`` loaded; nil starts afresh).
  /// `logRow` gets the CSV header and every row (on resume, the earlier rows first);
  /// `checkpoint` each new best val_loss (save the model there); `epochEnd` the progress and
  /// EarlyStopping snapshot after every epoch (save the resumable state there); `progress`
  /// the status after every step. When `shouldStop` turns true the run ends after the current
  /// step (``stopReason`` `.interrupted`), leaving the last epoch's state and the best
  /// checkpoint as they were. Returns the best val_loss.
  @discardableResult
  public func fit<Train: TrainingBatchSource, Validation: TrainingBatchSource>(
    train: inout Train, validation: inout Validation,
    resume: (progress: TrainingProgress, snapshot: [Float]?)? = nil,
    checkpoint: (Int, Float) throws -> Void, logRow: (String) throws -> Void,
    epochEnd: (TrainingProgress, [Float]?) throws -> Void = { _, _ in },
    progress: ((TrainingStatus) -> Void)? = nil,
    shouldStop: () -> Bool = { false }
  ) throws -> Float {
    let s = settings
    let heads = network.configuration.semanticClasses.count
    let steps = s.stepsPerEpoch ?? max(1, train.sampleCount / s.batchSize)
    let valSteps = s.validationSteps ?? max(1, validation.sampleCount / s.batchSize)
    var state = resume?.progress ?? TrainingProgress()
    var snapshot = resume?.snapshot
    history = state.history
    try logRow(TrainingLog.header(headCount: heads))
    for row in state.logRows { try logRow(row) }
    stopReason = state.stoppedEarly ? .stoppedEarly : .completed
    if state.stoppedEarly { return state.checkpointBest ?? .infinity }
    train.seek(to: state.trainPosition)
    var lastVal = state.history.last?.logs["val_loss"]
    for epoch in state.nextEpoch..<max(state.nextEpoch, s.epochs) {
      optimizer.learningRate = s.learningRate * pow(s.decay, Float(epoch))
      let lr = optimizer.learningRate
      var sums = [Double](repeating: 0, count: heads)
      for k in 0..<steps {
        let values = try step(try train.nextBatch(size: s.batchSize))
        for i in 0..<heads { sums[i] += Double(values[i]) }
        progress?(
          TrainingStatus(
            epoch: epoch, epochs: s.epochs, step: k + 1, steps: steps,
            loss: Float(sums.reduce(0, +) / Double(k + 1)), learningRate: lr,
            lastValidationLoss: lastVal))
        if shouldStop() {
          stopReason = .interrupted
          return state.checkpointBest ?? .infinity
        }
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
      lastVal = val
      history.append(EpochRecord(epoch: epoch, lr: lr, logs: logs))
      let row = TrainingLog.row(epoch: epoch, lr: lr, values: logs, headCount: heads)
      try logRow(row)
      guard val.isFinite else {
        throw DeepCellError(.badData, "training", "val_loss is \(val) at epoch \(epoch)")
      }
      if val < (state.checkpointBest ?? .infinity) {
        state.checkpointBest = val
        try checkpoint(epoch, val)
      }
      // ReduceLROnPlateau (overwritten by the next epoch's schedule, model.md §9).
      if Double(val) < (state.plateauBest ?? .infinity) - s.plateauMinDelta {
        state.plateauBest = Double(val)
        state.plateauWait = 0
      } else {
        state.plateauWait += 1
        if state.plateauWait >= s.plateauPatience {
          optimizer.learningRate *= s.plateauFactor
          state.plateauWait = 0
        }
      }
      // EarlyStopping with restore_best_weights.
      state.stopWait += 1
      if val < (state.stopBest ?? .infinity) {
        state.stopBest = val
        state.stopWait = 0
        snapshot = network.registry.parameters.flatMap { $0.value.values }
      }
      state.nextEpoch = epoch + 1
      state.trainPosition = train.position
      state.iterations = optimizer.iterations
      state.logRows.append(row)
      state.history = history
      if state.stopWait >= s.earlyStoppingPatience && epoch > 0 {
        if let snapshot { restore(snapshot) }
        state.stoppedEarly = true
        stopReason = .stoppedEarly
        try epochEnd(state, snapshot)
        break
      }
      try epochEnd(state, snapshot)
    }
    return state.checkpointBest ?? .infinity
  }

  private func restore(_ values: [Float]) {
    var offset = 0
    for p in network.registry.parameters {
      for k in 0..<p.count { p.value.pointer[k] = values[offset + k] }
      offset += p.count
    }
  }
}
