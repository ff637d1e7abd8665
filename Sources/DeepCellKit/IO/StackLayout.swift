/// How a stored array of rank 2–4 maps onto a (frames, height, width, channels) stack,
/// design.md's axis contract, the same rule as ``NDArray/asStack()``: (H, W) is one frame
/// of one channel, (N, H, W) N frames of one channel, (N, H, W, C) as it is.
struct StackLayout: Equatable {
  /// Number of frames.
  var frameCount: Int
  /// [height, width, channels].
  var frameShape: [Int]

  /// The layout of an array of `shape`. Throws `badData` naming `subject` for other ranks,
  /// a stack of zero frames or frames without pixels.
  init(shape: [Int], subject: String) throws {
    switch shape.count {
    case 2: (frameCount, frameShape) = (1, [shape[0], shape[1], 1])
    case 3: (frameCount, frameShape) = (shape[0], [shape[1], shape[2], 1])
    case 4: (frameCount, frameShape) = (shape[0], [shape[1], shape[2], shape[3]])
    default:
      throw DeepCellError(
        .badData, subject,
        "array of shape \(shapeText(shape)) is not an image stack (needs 2 to 4 axes)")
    }
    guard frameCount > 0 else {
      throw DeepCellError(.badData, subject, "empty stack (0 frames, shape \(shapeText(shape)))")
    }
    guard frameShape.allSatisfy({ $0 > 0 }) else {
      throw DeepCellError(.badData, subject, "empty frames (shape \(shapeText(shape)))")
    }
  }

  /// Bytes of one frame of `dtype`.
  func frameBytes(_ dtype: DType) -> Int { frameShape.reduce(1, *) * dtype.size }
}

/// A shape written as numpy prints it: `(3,)`, `(2, 4)`, `()`.
func shapeText(_ shape: [Int]) -> String {
  shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
