/// A validated instance-label stack as the targets and the generator use it: N frames of
/// H×W int32 labels (DeepCell converts `y` to int32, augment.md §2), one label channel.
public struct LabelStack: Sendable {
  /// Frame count, height, width.
  public let frames: Int, height: Int, width: Int
  /// All labels, frame after frame, row-major.
  public let values: [Int32]
  /// Pixels per frame.
  public var frameSize: Int { height * width }

  /// Validates and converts `labels`: shape (H, W), (N, H, W) or (N, H, W, 1); an integer
  /// (or bool) dtype; values in 0…2³¹−1. Throws `badData` naming `subject` otherwise.
  public init(_ labels: NDArray, subject: String = ArrayName.labels) throws {
    guard labels.dtype.isInteger || labels.dtype == .bool else {
      throw DeepCellError(.badData, subject, "labels must be integers, got \(labels.dtype)")
    }
    guard let stack = labels.asStack() else {
      throw DeepCellError(
        .badData, subject, "expected a label stack (N, H, W, 1), got shape \(labels.shape)")
    }
    guard stack.shape[3] == 1 else {
      throw DeepCellError(
        .badData, subject,
        "expected one label channel, got \(stack.shape[3]) (shape \(labels.shape))")
    }
    frames = stack.shape[0]
    height = stack.shape[1]
    width = stack.shape[2]
    guard frames > 0, height > 0, width > 0 else {
      throw DeepCellError(.badData, subject, "empty label stack (shape \(labels.shape))")
    }
    if stack.dtype == .int32 {
      values = stack.values(Int32.self)
    } else {
      let wide = stack.integerValues()
      var converted = [Int32](repeating: 0, count: wide.count)
      for i in wide.indices {
        let v = wide[i]
        if v < 0 || v > Int64(Int32.max) {
          throw DeepCellError(.badData, subject, "label value \(v) outside 0…\(Int32.max)")
        }
        converted[i] = Int32(v)
      }
      values = converted
    }
    if stack.dtype == .int32, let negative = values.first(where: { $0 < 0 }) {
      throw DeepCellError(.badData, subject, "negative label value \(negative)")
    }
    // uint64 above Int64.max wraps negative in integerValues and is caught above.
  }

  /// Wraps already-valid int32 labels (N·H·W values, all ≥ 0).
  init(frames: Int, height: Int, width: Int, values: [Int32]) {
    self.frames = frames
    self.height = height
    self.width = width
    self.values = values
  }
}
