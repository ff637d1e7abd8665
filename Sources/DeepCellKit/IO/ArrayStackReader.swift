/// A ``StackReader`` over an array already in memory (a PNG image, a Fortran-order NPY
/// member read whole, or a tool's own array), with the axis rule of ``NDArray/asStack()``.
public final class ArrayStackReader: StackReader {
  private let array: NDArray
  private let layout: StackLayout

  /// Wraps `array` (rank 2–4). Throws `badData` naming `subject` for other ranks or an
  /// empty stack.
  public init(_ array: NDArray, subject: String) throws {
    layout = try StackLayout(shape: array.shape, subject: subject)
    self.array = array
  }

  public var frameCount: Int { layout.frameCount }
  public var frameShape: [Int] { layout.frameShape }
  public var dtype: DType { array.dtype }

  public func readFrame(_ index: Int) throws -> NDArray {
    guard index >= 0 && index < frameCount else {
      throw DeepCellError(.usage, "frame", "frame \(index) out of range 0..<\(frameCount)")
    }
    let n = layout.frameBytes(array.dtype)
    return NDArray(
      shape: frameShape, dtype: dtype, bytes: Array(array.bytes[(index * n)..<((index + 1) * n)]))
  }
}
