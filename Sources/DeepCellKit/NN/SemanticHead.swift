/// One semantic head of deepcell-tf `panopticnet.__create_semantic_head` (model.md §5), id i:
/// `n_up` times a 3×3 conv(64, linear) `conv_{j}_semantic_upsample_{i}` followed by bilinear 2×
/// upsampling `upsampling_{j}_semantic_upsample_{i}` (or one 3×3 conv
/// `conv_final_semantic_upsample_{i}` when `n_up` = 0); then `conv_0_semantic_{i}` (1×1, 128)
/// → `batch_normalization_0_semantic_{i}` → ReLU → `conv_1_semantic_{i}` (1×1, n classes) →
/// `semantic_{i}`: softmax over channels when n > 1, ReLU when n = 1.
public final class SemanticHead {
  /// Head id i.
  public let index: Int
  /// Output channels (classes).
  public let classes: Int
  let upsampleConvs: [Conv2D]
  let upsamples: [UpSampling2D]
  let conv0: Conv2D
  /// `batch_normalization_0_semantic_{i}` with the ReLU after it fused into its pass.
  let norm0: BatchNormalization
  let conv1: Conv2D
  let activation: Layer

  /// A head reading `inputChannels` at 1/2^`upsamplings` of the input resolution.
  public init(
    index i: Int, classes: Int, inputChannels: Int, upsamplings: Int, upsampleFilters: Int = 64,
    filters: Int = 128, rng: inout RandomGenerator
  ) throws {
    index = i
    self.classes = classes
    var convs: [Conv2D] = []
    var ups: [UpSampling2D] = []
    var c = inputChannels
    if upsamplings == 0 {
      convs.append(
        try Conv2D(
          name: "conv_final_semantic_upsample_\(i)", inputChannels: c,
          outputChannels: upsampleFilters, kernelSize: 3, rng: &rng))
      c = upsampleFilters
    }
    for j in 0..<upsamplings {
      convs.append(
        try Conv2D(
          name: "conv_\(j)_semantic_upsample_\(i)", inputChannels: c,
          outputChannels: upsampleFilters, kernelSize: 3, rng: &rng))
      ups.append(
        UpSampling2D(name: "upsampling_\(j)_semantic_upsample_\(i)", interpolation: .bilinear))
      c = upsampleFilters
    }
    upsampleConvs = convs
    upsamples = ups
    conv0 = try Conv2D(
      name: "conv_0_semantic_\(i)", inputChannels: c, outputChannels: filters, kernelSize: 1,
      rng: &rng)
    norm0 = try BatchNormalization(
      name: "batch_normalization_0_semantic_\(i)", channels: filters, fusedReLU: true)
    conv1 = try Conv2D(
      name: "conv_1_semantic_\(i)", inputChannels: filters, outputChannels: classes,
      kernelSize: 1, rng: &rng)
    activation = classes > 1 ? Softmax(name: "semantic_\(i)") : ReLU(name: "semantic_\(i)")
  }

  /// Every parameter, in layer order.
  public var parameters: [Parameter] {
    upsampleConvs.flatMap(\.parameters) + conv0.parameters + norm0.parameters + conv1.parameters
  }

  /// The head output (N, classes, H, W) from the pyramid feature; at inference with
  /// `precision` bf16 the convolutions but the last run in bf16, `batch_normalization_0`
  /// folded into `conv_0` and its ReLU fused (``NNPrecision``), and the last (float32) reads
  /// `conv_0`'s blocked output directly (``Conv2D/forwardProjection(_:)``).
  public func forward(_ x: Tensor, training: Bool, precision: NNPrecision = .fp32) throws
    -> Tensor
  {
    if !training && precision != .fp32 {
      var t = x
      for (j, conv) in upsampleConvs.enumerated() {
        t = try conv.forwardInference(t, precision: precision)
        if j < upsamples.count { t = try upsamples[j].forward(t, training: false) }
      }
      t = try conv0.forwardInference(t, precision: precision, folding: norm0, relu: true)
      t = try conv1.forwardProjection(t)
      return try activation.forward(t, training: false)
    }
    var t = x
    for (j, conv) in upsampleConvs.enumerated() {
      t = try conv.forward(t, training: training)
      if j < upsamples.count { t = try upsamples[j].forward(t, training: training) }
    }
    t = try conv0.forward(t, training: training)
    t = try norm0.forward(t, training: training)
    t = try conv1.forward(t, training: training)
    return try activation.forward(t, training: training)
  }

  /// ∂L/∂(pyramid feature) from ∂L/∂output.
  public func backward(_ dy: Tensor) throws -> Tensor {
    var g = try activation.backward(dy)
    g = try conv1.backward(g)
    g = try conv0.backward(try norm0.backward(g))
    for j in stride(from: upsampleConvs.count - 1, through: 0, by: -1) {
      if j < upsamples.count { g = try upsamples[j].backward(g) }
      g = try upsampleConvs[j].backward(g)
    }
    return g
  }
}
