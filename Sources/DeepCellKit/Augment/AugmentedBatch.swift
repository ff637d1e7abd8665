/// One batch from ``AugmentationGenerator``: the augmented images, the named targets in
/// settings order, and the labels warped the same way (nearest), as DeepCell's
/// `CroppingIterator` yields them (augment.md §3).
public struct AugmentedBatch: Sendable {
  /// `X`: (B, h, w, C) float32.
  public var images: NDArray
  /// The targets, in the order of ``AugmentationSettings/targets``: inner/outer distance
  /// (B, h, w, 1) float32, fgbg (B, h, w, 2) uint8, …
  public var targets: [(name: String, array: NDArray)]
  /// `y`: the labels after the same crop, warp (order 0) and flips, (B, h, w, 1) int32.
  public var labels: NDArray
  /// For each sample, the index of its source frame in the generator's input.
  public var sourceIndices: [Int]
  /// The arrays' share of the memory budget (``MemoryBudget``), given back with the last
  /// copy of the batch.
  public var reservations: [MemoryBudget.Reservation] = []
  /// A batch of the given arrays (all with the same sample count).
  public init(
    images: NDArray, targets: [(name: String, array: NDArray)], labels: NDArray,
    sourceIndices: [Int], reservations: [MemoryBudget.Reservation] = []
  ) {
    self.images = images
    self.targets = targets
    self.labels = labels
    self.sourceIndices = sourceIndices
    self.reservations = reservations
  }

  /// The batches one after the other (same targets, same sample size), as one batch.
  public static func concatenating(_ batches: [AugmentedBatch]) -> AugmentedBatch? {
    guard let first = batches.first else { return nil }
    if batches.count == 1 { return first }
    func join(_ arrays: [NDArray]) -> NDArray {
      var shape = arrays[0].shape
      shape[0] = arrays.reduce(0) { $0 + $1.shape[0] }
      return NDArray(shape: shape, dtype: arrays[0].dtype, bytes: arrays.flatMap(\.bytes))
    }
    return AugmentedBatch(
      images: join(batches.map(\.images)),
      targets: first.targets.indices.map { i in
        (first.targets[i].name, join(batches.map { $0.targets[i].array }))
      },
      labels: join(batches.map(\.labels)), sourceIndices: batches.flatMap(\.sourceIndices),
      reservations: batches.flatMap(\.reservations))
  }

  /// Samples in the batch.
  public var count: Int { sourceIndices.count }

  /// The batch as named arrays: `X`, the targets, then `y`.
  public var bundle: ArrayBundle {
    ArrayBundle(
      [(ArrayName.image, images)] + targets.map { ($0.name, $0.array) } + [
        (ArrayName.labels, labels)
      ])
  }

  /// The target named `name`, if present.
  public subscript(name: String) -> NDArray? { targets.first { $0.name == name }?.array }
}
