/// One dc-train input file (model.md §8): a DeepCell dataset (X images, y labels), to be
/// augmented on the fly, or dc-augment batches (X and the targets inner_distance,
/// outer_distance, fgbg, optionally y), trained on as they are.
public enum TrainingDataset {
  case images(x: NDArray, y: NDArray)
  case batches(x: NDArray, targets: [(name: String, array: NDArray)], y: NDArray?)

  /// The target arrays, in head order, of dc-augment batches.
  public static let targetNames = [
    ArrayName.innerDistance, ArrayName.outerDistance, ArrayName.fgbg,
  ]

  /// Samples in the file.
  public var count: Int { images.shape[0] }

  /// X, (N, H, W, C).
  public var images: NDArray {
    switch self {
    case .images(let x, _), .batches(let x, _, _): return x
    }
  }

  /// The samples at `indices`, in that order.
  public func subset(_ indices: [Int]) -> TrainingDataset {
    func pick(_ a: NDArray) -> NDArray { NDArray.stacking(indices.map { a.frame($0) })! }
    switch self {
    case .images(let x, let y): return .images(x: pick(x), y: pick(y))
    case .batches(let x, let t, let y):
      return .batches(x: pick(x), targets: t.map { ($0.name, pick($0.array)) }, y: y.map(pick))
    }
  }

  /// (training, validation): a seeded shuffle holds out round(`fraction` · N) samples for
  /// validation, both parts in their original order. `subject` names the file in errors.
  public func split(fraction: Double, seed: UInt64, subject: String) throws -> (
    train: TrainingDataset, validation: TrainingDataset
  ) {
    let n = count
    let held = Int((Double(n) * fraction).rounded())
    guard held >= 1, held < n else {
      throw DeepCellError(
        .usage, subject, "\(n) image(s) cannot be split with --validation-split \(fraction)")
    }
    var rng = RandomGenerator(seed: seed)
    var order = Array(0..<n)
    order.shuffle(using: &rng)
    return (subset(Array(order[held...]).sorted()), subset(Array(order[0..<held]).sorted()))
  }

  /// Reads `path`: the batches of a file holding the first `heads` target arrays, else X and
  /// y, X normalized with `normalizer` unless dc-normalize wrote it (``StackProvenance``).
  public static func read(_ path: String, normalizer: StackNormalizer?, heads: Int) throws
    -> TrainingDataset
  {
    let file = try InputFile(path: path)
    guard file.arrayNames.contains(ArrayName.image) else {
      throw DeepCellError(.badData, path, "has no X array (a DeepCell dataset NPZ holds X and y)")
    }
    func stack(_ name: String) throws -> NDArray {
      let a = try file.readArray(name: name)
      guard let s = a.asStack() else {
        throw DeepCellError(.badData, "\(path): \(name)", "expected (N, H, W, C), got \(a.shape)")
      }
      guard s.shape[0] > 0 else { throw DeepCellError(.badData, "\(path): \(name)", "is empty") }
      return s
    }
    let names = targetNames.prefix(heads)
    if file.arrayNames.contains(ArrayName.innerDistance) {
      guard let missing = names.first(where: { !file.arrayNames.contains($0) }) else {
        return .batches(
          x: try stack(ArrayName.image), targets: try names.map { ($0, try stack($0)) },
          y: file.arrayNames.contains(ArrayName.labels) ? try stack(ArrayName.labels) : nil)
      }
      throw DeepCellError(
        .badData, path,
        "holds inner_distance but no \(missing): not a complete dc-augment batch file")
    }
    guard file.arrayNames.contains(ArrayName.labels) else {
      throw DeepCellError(.badData, path, "has no y array: training needs labels")
    }
    var x = try stack(ArrayName.image)
    let y = try stack(ArrayName.labels)
    // X written by dc-normalize says so (StackProvenance) and is not normalized twice.
    if let normalizer, try file.provenance()?.normalization == nil {
      x = try normalizer.normalize(stack: x, subject: "\(path): X")
    }
    return .images(x: x, y: y)
  }
}
