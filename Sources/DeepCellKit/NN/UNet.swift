/// The engine's reference network (issue 4, backend.md §2): a U-Net with one level per entry
/// of `widths` (16/32/64/128 by default). Each level is two ``ConvBNReLU`` blocks; 2×2
/// max-pooling goes down, nearest 2× upsampling + channel concat [upsampled, skip] goes up,
/// and a 1×1 convolution with bias makes the output. 487,713 parameters for 1 → 1 channels.
public final class UNet {
  /// Encoder levels, finest first; each two blocks.
  public let encoder: [[ConvBNReLU]]
  /// Decoder levels, finest first (one fewer than the encoder).
  public let decoder: [[ConvBNReLU]]
  private let pools: [MaxPooling2D]
  private let ups: [UpSampling2D]
  private let concats: [Concatenate]
  /// The 1×1 output convolution (`head`).
  public let head: Conv2D
  /// Every parameter by model-file name.
  public private(set) var registry = ParameterRegistry()

  /// Builds the network with Glorot-uniform kernels drawn from `seed`.
  public init(
    inputChannels: Int = 1, outputChannels: Int = 1, widths: [Int] = [16, 32, 64, 128], seed: UInt64
  ) throws {
    precondition(widths.count >= 2, "a U-Net needs at least two levels")
    var rng = RandomGenerator(seed: seed)
    var enc: [[ConvBNReLU]] = []
    var channels = inputChannels
    for (k, wdt) in widths.enumerated() {
      let a = try ConvBNReLU(
        name: "enc\(k)_0", inputChannels: channels, outputChannels: wdt, rng: &rng)
      let b = try ConvBNReLU(name: "enc\(k)_1", inputChannels: wdt, outputChannels: wdt, rng: &rng)
      enc.append([a, b])
      channels = wdt
    }
    enc[0][0].conv.computesInputGradient = false
    var dec: [[ConvBNReLU]] = []
    for k in 0..<(widths.count - 1) {
      let a = try ConvBNReLU(
        name: "dec\(k)_0", inputChannels: widths[k + 1] + widths[k], outputChannels: widths[k],
        rng: &rng)
      let b = try ConvBNReLU(
        name: "dec\(k)_1", inputChannels: widths[k], outputChannels: widths[k], rng: &rng)
      dec.append([a, b])
    }
    encoder = enc
    decoder = dec
    pools = (0..<(widths.count - 1)).map { MaxPooling2D(name: "pool\($0)") }
    ups = (0..<(widths.count - 1)).map { UpSampling2D(name: "up\($0)", interpolation: .nearest) }
    concats = (0..<(widths.count - 1)).map { Concatenate(name: "concat\($0)") }
    head = try Conv2D(
      name: "head", inputChannels: widths[0], outputChannels: outputChannels, kernelSize: 1,
      rng: &rng)
    for level in enc + dec { for block in level { try registry.register(block.parameters) } }
    try registry.register(head.parameters)
  }

  /// All convolution layers (for FLOP accounting and diagnostics).
  public var convolutions: [Conv2D] { (encoder + decoder).flatMap { $0.map(\.conv) } + [head] }

  /// The network output for `x` (N, inputChannels, H, W); H and W divisible by 2^(levels−1).
  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let levels = encoder.count
    let factor = 1 << (levels - 1)
    guard x.shape.h % factor == 0, x.shape.w % factor == 0 else {
      throw DeepCellError(
        .badData, "unet", "input \(x.shape): height and width must be multiples of \(factor)")
    }
    var skips: [Tensor] = []
    var t = x
    for k in 0..<levels {
      t = try encoder[k][1].forward(
        try encoder[k][0].forward(t, training: training), training: training)
      if k < levels - 1 {
        skips.append(t)
        t = try pools[k].forward(t, training: training)
      }
    }
    for k in stride(from: levels - 2, through: 0, by: -1) {
      let up = try ups[k].forward(t, training: training)
      let cat = try concats[k].forward(up, skips[k])
      t = try decoder[k][1].forward(
        try decoder[k][0].forward(cat, training: training), training: training)
    }
    return try head.forward(t, training: training)
  }

  /// Backpropagates ∂L/∂output through the network, writing every parameter gradient.
  public func backward(_ dy: Tensor) throws {
    let levels = encoder.count
    var g = try head.backward(dy)
    var skipGrads = [Tensor?](repeating: nil, count: levels - 1)
    for k in 0..<(levels - 1) {
      g = try decoder[k][0].backward(try decoder[k][1].backward(g))
      let (dUp, dSkip) = try concats[k].backward(g)
      skipGrads[k] = dSkip
      g = try ups[k].backward(dUp)
    }
    for k in stride(from: levels - 1, through: 0, by: -1) {
      if k < levels - 1 {
        g = try accumulateGradient(try pools[k].backward(g), skipGrads[k]!)
      }
      g = try encoder[k][0].backward(try encoder[k][1].backward(g))
    }
  }
}
