/// The unit block of the U-Net and featurenet: 3×3 `same` convolution (no bias, as BN
/// follows) → batch normalization → ReLU (the ReLU fused into the BN pass).
public final class ConvBNReLU: Layer {
  public let name: String
  /// The convolution (`NAME_conv`).
  public let conv: Conv2D
  /// The batch normalization with fused ReLU (`NAME_bn`).
  public let norm: BatchNormalization

  public var parameters: [Parameter] { conv.parameters + norm.parameters }

  /// A block mapping `inputChannels` to `outputChannels`.
  public init(
    name: String, inputChannels: Int, outputChannels: Int, bias: Bool = false,
    rng: inout RandomGenerator
  ) throws {
    self.name = name
    conv = try Conv2D(
      name: "\(name)_conv", inputChannels: inputChannels, outputChannels: outputChannels,
      kernelSize: 3,
      bias: bias, rng: &rng)
    norm = try BatchNormalization(name: "\(name)_bn", channels: outputChannels, fusedReLU: true)
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    try norm.forward(try conv.forward(x, training: training), training: training)
  }

  public func backward(_ dy: Tensor) throws -> Tensor {
    try conv.backward(try norm.backward(dy))
  }
}
