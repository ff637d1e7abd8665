/// A stream of training or validation batches for ``PanopticTrainer``: on-the-fly augmentation
/// (``AugmentationGenerator``) or batches made beforehand by dc-augment
/// (``PrecomputedBatches``). Positions count samples from the start of the stream, so a
/// stream can be rewound (validation) or resumed (`dc-train --resume`).
public protocol TrainingBatchSource {
  /// Samples in one pass.
  var sampleCount: Int { get }
  /// The next sample's position in the stream.
  var position: Int { get }
  /// Moves the stream to `position`.
  mutating func seek(to position: Int)
  /// The next batch: up to `size` samples, never crossing the end of a pass.
  mutating func nextBatch(size: Int) throws -> AugmentedBatch
}

extension TrainingBatchSource {
  /// The size of the next batch of at most `size` samples: `size`, or the rest of the pass
  /// when fewer remain (Keras' iterator, augment.md §6). Throws `usage` when `size` < 1.
  func nextBatchCount(size: Int) throws -> Int {
    guard size >= 1 else { throw DeepCellError(.usage, "batch size", "must be ≥ 1, got \(size)") }
    let n = sampleCount
    return min(size, n - position % n)
  }
}

extension AugmentationGenerator: TrainingBatchSource {}

/// Samples made beforehand, e.g. the NPZ dc-augment writes (`X`, `inner_distance`,
/// `outer_distance`, `fgbg`, `y`): served as they are, with no augmentation, in an order
/// shuffled per pass from the seed (the same per-pass permutation stream as the generator's,
/// augment.md §6), batches never crossing the end of a pass.
public struct PrecomputedBatches: TrainingBatchSource {
  /// `X`, (N, h, w, C).
  public let images: NDArray
  /// The targets by name, each (N, h, w, k), in head order.
  public let targets: [(name: String, array: NDArray)]
  /// `y` (N, h, w, 1), or zeros when the file has none.
  public let labels: NDArray
  /// Seed of the per-pass order.
  public let seed: UInt64
  /// Whether each pass is shuffled.
  public let shuffle: Bool
  public private(set) var position = 0
  var permutation: (pass: Int, order: [Int]) = (-1, [])
  /// The budget each batch is taken from.
  let budget: MemoryBudget
  /// The arrays' share of ``budget``.
  let reservation: MemoryBudget.Reservation

  /// Batches of `images` with `targets` (all with the same N, height and width). Throws
  /// `.badData` naming `subject` when the arrays disagree, `io` when they do not fit `budget`.
  public init(
    images: NDArray, targets: [(name: String, array: NDArray)], labels: NDArray?, seed: UInt64,
    shuffle: Bool = true, subject: String, budget: MemoryBudget = .process
  ) throws {
    guard let x = images.asStack() else {
      throw DeepCellError(
        .badData, "\(subject): \(ArrayName.image)", "expected (N, H, W, C), got \(images.shape)")
    }
    let (n, h, w) = (x.shape[0], x.shape[1], x.shape[2])
    guard n > 0 else { throw DeepCellError(.badData, subject, "holds no samples") }
    for (name, array) in targets {
      guard let t = array.asStack(), t.shape[0] == n, t.shape[1] == h, t.shape[2] == w else {
        throw DeepCellError(
          .badData, "\(subject): \(name)",
          "has shape \(array.shape); X is \(x.shape): one target per sample of the same size")
      }
    }
    let y = labels.flatMap { $0.asStack() } ?? NDArray(zeros: [n, h, w, 1], dtype: .int32)
    guard y.shape == [n, h, w, 1] else {
      throw DeepCellError(
        .badData, "\(subject): \(ArrayName.labels)", "has shape \(y.shape); X is \(x.shape)")
    }
    self.images = x
    self.targets = targets.map { ($0.name, $0.array.asStack()!) }
    self.labels = y
    self.seed = seed
    self.shuffle = shuffle
    self.budget = budget
    let bytes = ([x, y] + self.targets.map(\.array)).reduce(0) { $0 + $1.bytes.count }
    reservation = try budget.reserve(bytes, for: "\(subject): training samples")
  }

  public var sampleCount: Int { images.shape[0] }

  public mutating func seek(to position: Int) {
    precondition(position >= 0, "negative stream position")
    self.position = position
  }

  public mutating func nextBatch(size: Int) throws -> AugmentedBatch {
    let n = sampleCount
    let count = try nextBatchCount(size: size)
    var sources: [Int] = []
    for s in position..<(position + count) {
      let pass = s / n
      if shuffle, permutation.pass != pass {
        var random = AugmentationRandom(seed: seed, stream: 1, index: UInt64(pass))
        permutation = (pass, random.permutation(n))
      }
      sources.append(shuffle ? permutation.order[s % n] : s % n)
    }
    let sampleBytes =
      ([images, labels] + targets.map(\.array)).reduce(0) { $0 + $1.bytes.count } / n
    let batchReservation = try budget.reserve(
      byteCount([sampleBytes, sources.count]) ?? .max, for: "a batch of \(sources.count)")
    position += count
    func gather(_ array: NDArray) -> NDArray {
      let sample = array.bytes.count / n
      var bytes = [UInt8]()
      bytes.reserveCapacity(sample * sources.count)
      for i in sources { bytes += array.bytes[(i * sample)..<((i + 1) * sample)] }
      var shape = array.shape
      shape[0] = sources.count
      return NDArray(shape: shape, dtype: array.dtype, bytes: bytes)
    }
    return AugmentedBatch(
      images: gather(images), targets: targets.map { ($0.name, gather($0.array)) },
      labels: gather(labels), sourceIndices: sources, reservations: [batchReservation])
  }
}
