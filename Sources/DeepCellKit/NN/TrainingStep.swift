/// A network the engine can train: forward, backward and its named parameters.
public protocol TrainableNetwork: AnyObject {
  /// The network output.
  func forward(_ x: Tensor, training: Bool) throws -> Tensor
  /// Backpropagates ∂L/∂output, writing every parameter gradient.
  func backward(_ dy: Tensor) throws
  /// Every parameter by model-file name.
  var registry: ParameterRegistry { get }
}

extension UNet: TrainableNetwork {}

/// One optimisation step on an MSE objective: forward (training mode), loss, backward, Adam.
/// A NaN or infinite loss throws `.badData` naming `step` before any parameter changes, so
/// the weights remain those of the last good step (the caller keeps its last checkpoint).
public func trainStepMSE(
  _ network: TrainableNetwork, input: Tensor, target: Tensor, loss: inout MeanSquaredError,
  optimizer: Adam,
  step: Int
) throws -> Float {
  let y = try network.forward(input, training: true)
  let (value, gradient) = try loss.evaluate(prediction: y, target: target)
  guard value.isFinite else {
    throw DeepCellError(
      .badData, "training", "loss is \(value) at step \(step); weights of step \(step - 1) kept")
  }
  try network.backward(gradient)
  try optimizer.step(network.registry.parameters)
  return value
}
