/// The architecture of a ``PanopticNet`` (model.md §1–5): what `model.json` records under
/// `"architecture"` and what a model file must match to be loaded.
public struct PanopticNetConfiguration: Codable, Sendable, Equatable {
  /// Backbone name; only `featurenet` (model.md §3, the CPU-sized backbone) is built.
  public var backbone: String = "featurenet"
  /// Square input side S (a power of two, model.md §1).
  public var inputSize: Int = 256
  /// Input channels C.
  public var inputChannels: Int = 1
  /// Whether the `location` layer and `concatenate_location` precede `conv_channels`.
  public var location: Bool = true
  /// Backbone levels feeding the pyramid, e.g. [1, 2, 3, 4, 5] for C1–C5 (consecutive).
  public var backboneLevels: [Int] = [1, 2, 3, 4, 5]
  /// Filters of the featurenet convolutions (32).
  public var backboneFilters: Int = 32
  /// Pyramid width F (256).
  public var featureSize: Int = 256
  /// Filters of the heads' upsampling convolutions (64).
  public var headUpsampleFilters: Int = 64
  /// Filters of `conv_0_semantic_i` (128).
  public var headFilters: Int = 128
  /// Classes of each semantic head: [1, 1, 2] = inner distance, outer distance, fgbg.
  public var semanticClasses: [Int] = [1, 1, 2]

  /// The recipe's defaults (featurenet C1–C5 → P1, heads [1, 1, 2], 256×256×1).
  public init() {}

  /// Throws `.usage` naming the first setting the graph cannot be built with.
  public func validate() throws {
    let subject = "architecture"
    guard backbone == "featurenet" else {
      throw DeepCellError(
        .usage, subject, "backbone '\(backbone)' is not available (featurenet is)")
    }
    guard inputSize >= 2, inputSize & (inputSize - 1) == 0 else {
      throw DeepCellError(.usage, subject, "input size \(inputSize) is not a power of two")
    }
    guard inputChannels >= 1 else {
      throw DeepCellError(.usage, subject, "input channels must be at least 1")
    }
    let sorted = backboneLevels.sorted()
    guard let lo = sorted.first, lo >= 1, let hi = sorted.last, hi <= FeatureNetBackbone.levelCount,
      sorted == Array(lo...hi), Set(sorted).count == sorted.count
    else {
      throw DeepCellError(
        .usage, subject, "backbone levels \(backboneLevels) must be consecutive within 1…5")
    }
    guard inputSize >= 1 << hi else {
      throw DeepCellError(
        .usage, subject,
        "input size \(inputSize) is smaller than the stride 2^\(hi) of level C\(hi)")
    }
    guard !semanticClasses.isEmpty, semanticClasses.allSatisfy({ $0 >= 1 }) else {
      throw DeepCellError(.usage, subject, "every semantic head needs at least one class")
    }
    guard backboneFilters >= 1, featureSize >= 1, headUpsampleFilters >= 1, headFilters >= 1 else {
      throw DeepCellError(.usage, subject, "layer widths must be positive")
    }
  }
}
