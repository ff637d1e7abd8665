/// A single-input network layer (design.md, "The network room"): `forward` keeps what its
/// backward needs (only when `training`), `backward` takes ∂L/∂output and returns ∂L/∂input
/// while writing its parameters' gradients (overwriting them: one backward per step).
///
/// Output and gradient tensors are owned by the layer and reused across steps while the
/// shape is unchanged, so a caller must consume them before the layer's next call.
public protocol Layer: AnyObject {
  /// Layer name (the prefix of its parameters' model-file keys).
  var name: String { get }
  /// Parameters, trainable or not.
  var parameters: [Parameter] { get }
  /// Computes the output. In training mode the layer keeps what `backward` needs.
  func forward(_ input: Tensor, training: Bool) throws -> Tensor
  /// ∂L/∂input from ∂L/∂output; writes parameter gradients.
  func backward(_ outputGradient: Tensor) throws -> Tensor
}

/// A reusable output buffer: the same tensor while shape and layout stay, a fresh one otherwise.
struct TensorSlot {
  private(set) var tensor: Tensor?

  mutating func get(_ shape: TensorShape, _ layout: TensorLayout) throws -> Tensor {
    if let t = tensor, t.shape == shape, t.layout == layout { return t }
    let t = try Tensor(shape, layout: layout)
    tensor = t
    return t
  }
}

/// The buffers of an activation layer (ReLU, Softmax): its output and input gradient, reused
/// while the shape holds, and the output kept by a training-mode forward pass for backward
/// (both activations' gradients are functions of their output).
struct ActivationBuffers {
  var output = TensorSlot()
  var inputGradient = TensorSlot()
  var savedOutput: Tensor?
}

/// Throws `.usage` naming the layer when backward runs without a training-mode forward pass.
func requireSaved<T>(_ value: T?, _ layer: String) throws -> T {
  guard let value else {
    throw DeepCellError(.usage, layer, "backward called without a training-mode forward pass")
  }
  return value
}

/// Throws `.badData` when two shapes differ.
func requireShape(
  _ got: TensorShape, _ expected: TensorShape, _ layer: String, _ what: String = "gradient"
) throws {
  guard got == expected else {
    throw DeepCellError(.badData, layer, "\(what) has shape \(got), expected \(expected)")
  }
}
