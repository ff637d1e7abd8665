/// One normalization of DeepCell's pre-processing family, applied to a single 2-D plane
/// (one frame, one channel) of a stack; every plane is normalized independently
/// (normalize.md, introduction). ``StackNormalizer`` runs it over frames and channels.
public protocol PlaneNormalization: Sendable {
  /// Normalizes the row-major `height × width` plane `input` (the source values as float32,
  /// finite) into `output` (float32, same size). `sourceType` is the dtype the values came
  /// from, for the methods whose reference keeps the input dtype. `threads` workers may
  /// split the plane; the result must not depend on their number. The plane is not empty
  /// (`height` and `width` ≥ 1): ``StackNormalizer`` never passes an empty one.
  func normalize(
    _ input: UnsafeBufferPointer<Float>, height: Int, width: Int, sourceType: DType,
    into output: UnsafeMutableBufferPointer<Float>, threads: Int
  ) throws
}
