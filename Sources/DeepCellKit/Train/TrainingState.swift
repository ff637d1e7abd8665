import Foundation

/// Where a training run stands at the end of an epoch: what `dc-train --resume` needs to go on
/// exactly as an uninterrupted run would (same weights, optimizer moments, augmentation stream
/// position and callback states; model.md §9). Saved by ``TrainingStateFile``.
public struct TrainingProgress: Codable, Sendable, Equatable {
  /// The next epoch to run (0-based).
  public var nextEpoch = 0
  /// The training stream's position (samples drawn so far).
  public var trainPosition = 0
  /// Optimizer steps taken.
  public var iterations = 0
  /// ModelCheckpoint's best val_loss (nil: none yet, i.e. +∞).
  public var checkpointBest: Float?
  /// ReduceLROnPlateau's best val_loss and wait count.
  public var plateauBest: Double?
  public var plateauWait = 0
  /// EarlyStopping's best val_loss and wait count.
  public var stopBest: Float?
  public var stopWait = 0
  /// Whether EarlyStopping stopped the run.
  public var stoppedEarly = false
  /// The CSV rows written so far (CRLF included), so a resumed run rewrites the whole log.
  public var logRows: [String] = []
  /// The (epoch, lr, logs) of every epoch run.
  public var history: [EpochRecord] = []

  /// A fresh run.
  public init() {}
}

/// One epoch's record: its index, the learning rate in force and the epoch-mean losses by CSV key.
public struct EpochRecord: Codable, Sendable, Equatable {
  public var epoch: Int
  public var lr: Float
  public var logs: [String: Float]

  /// A record of `epoch`.
  public init(epoch: Int, lr: Float, logs: [String: Float]) {
    self.epoch = epoch
    self.lr = lr
    self.logs = logs
  }
}

/// The resumable state file of `dc-train` (`MODEL.state.npz`): an NPZ with the current weights
/// (`weights/NAME`), Adam's moments (`adam_m/NAME`, `adam_v/NAME`), EarlyStopping's best-weight
/// snapshot (`best_weights`, flat) and `state.json` (``TrainingProgress``, the architecture and
/// the settings the run was started with). Written atomically after every epoch.
public enum TrainingStateFile {
  /// The JSON member.
  public static let stateMember = "state.json"

  struct Header: Codable {
    var format = "dc-tools-training-state"
    var architecture: PanopticNetConfiguration
    var settings: [String: String]
    var progress: TrainingProgress
  }

  /// Writes the state of `trainer` after the epochs in `progress`. `settings` records the
  /// run's flags; ``load(_:into:settings:)`` refuses a state written with other flags.
  public static func save(
    _ trainer: PanopticTrainer, progress: TrainingProgress, snapshot: [Float]?,
    settings: [String: String], to path: String
  ) throws {
    try writeNPZFile(path) { writer in
      for p in trainer.network.registry.parameters {
        try writer.write("weights/\(p.name)", NDArray(shape: [p.count], values: p.value.values))
        if p.trainable {
          let (m, v) = trainer.optimizer.moments(of: p)
          try writer.write("adam_m/\(p.name)", NDArray(shape: [m.count], values: m))
          try writer.write("adam_v/\(p.name)", NDArray(shape: [v.count], values: v))
        }
      }
      if let snapshot {
        try writer.write("best_weights", NDArray(shape: [snapshot.count], values: snapshot))
      }
      let header = Header(
        architecture: trainer.network.configuration, settings: settings, progress: progress)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try writer.writeMember(stateMember, bytes: [UInt8](try encoder.encode(header)))
    }
  }

  /// Loads the state at `path` into `trainer` (weights and optimizer) and returns the progress
  /// and the EarlyStopping snapshot. Throws `.badData` naming `path` when it is not a state
  /// file, holds another architecture, was started with other `settings`, or is damaged.
  public static func load(
    _ path: String, into trainer: PanopticTrainer, settings: [String: String]
  ) throws -> (progress: TrainingProgress, snapshot: [Float]?) {
    let reader = try NPZReader(path: path)
    guard reader.memberNames.contains(stateMember) else {
      throw DeepCellError(.badData, path, "not a dc-train state file (no \(stateMember))")
    }
    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: Data(try reader.readMember(stateMember)))
    } catch let e as DeepCellError { throw e } catch {
      throw DeepCellError(.badData, path, "\(stateMember) is damaged")
    }
    guard header.architecture == trainer.network.configuration else {
      throw DeepCellError(
        .badData, path, "the state is of another architecture than the flags describe")
    }
    // Both ways: a setting recorded only when not its default (precision) is absent on one side.
    let keys = Set(settings.keys).union(header.settings.keys)
    for key in keys.sorted() where header.settings[key] != settings[key] {
      throw DeepCellError(
        .usage, path,
        "the run was started with \(key) \(header.settings[key] ?? "default"), not \(settings[key] ?? "default"): resume with the same flags"
      )
    }
    func floats(_ name: String, _ count: Int) throws -> [Float] {
      guard reader.names.contains(name) else {
        throw DeepCellError(.badData, path, "missing '\(name)'")
      }
      let a = try reader.readArray(name)
      guard a.dtype == .float32, a.shape == [count] else {
        throw DeepCellError(.badData, path, "'\(name)' has shape \(a.shape), expected [\(count)]")
      }
      return a.floats()
    }
    var moments: [(Parameter, [Float], [Float])] = []
    for p in trainer.network.registry.parameters {
      let w = try floats("weights/\(p.name)", p.count)
      for i in 0..<p.count { p.value.pointer[i] = w[i] }
      if p.trainable {
        moments.append(
          (p, try floats("adam_m/\(p.name)", p.count), try floats("adam_v/\(p.name)", p.count)))
      }
    }
    try trainer.optimizer.restore(iterations: header.progress.iterations, moments: moments)
    let snapshot =
      reader.names.contains("best_weights")
      ? try floats("best_weights", trainer.network.registry.elementCount) : nil
    return (header.progress, snapshot)
  }
}
