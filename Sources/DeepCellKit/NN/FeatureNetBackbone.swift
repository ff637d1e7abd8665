/// DeepCell's `featurenet` backbone (model.md §3, deepcell-tf `backbone_utils.featurenet_block`):
/// five blocks, each `conv3×3(F, same, bias) → BN → ReLU → conv3×3(F) → BN → ReLU →
/// maxpool 2×2 stride 2`; C_k is the output of block k (after the pool), at 1/2^k resolution.
///
/// The reference leaves these layers unnamed, so a fresh Keras session names them
/// `conv2d`, `conv2d_1`, … `conv2d_9` and `batch_normalization`, … `batch_normalization_9`;
/// those are the parameter names here too.
public final class FeatureNetBackbone {
  /// One featurenet block: two conv/BN/ReLU stages and a 2×2 max-pool.
  final class Block {
    let convA: Conv2D
    /// Batch normalization with the ReLU after it fused into its pass (one pass over the
    /// activation each way instead of two; the same values).
    let normA: BatchNormalization
    let convB: Conv2D
    let normB: BatchNormalization
    let pool: MaxPooling2D

    init(index k: Int, inputChannels: Int, filters: Int, rng: inout RandomGenerator) throws {
      func keras(_ base: String, _ i: Int) -> String { i == 0 ? base : "\(base)_\(i)" }
      convA = try Conv2D(
        name: keras("conv2d", 2 * k), inputChannels: inputChannels, outputChannels: filters,
        kernelSize: 3, rng: &rng)
      normA = try BatchNormalization(
        name: keras("batch_normalization", 2 * k), channels: filters, fusedReLU: true)
      convB = try Conv2D(
        name: keras("conv2d", 2 * k + 1), inputChannels: filters, outputChannels: filters,
        kernelSize: 3, rng: &rng)
      normB = try BatchNormalization(
        name: keras("batch_normalization", 2 * k + 1), channels: filters, fusedReLU: true)
      pool = MaxPooling2D(name: "featurenet_pool_\(k)")
    }

    var parameters: [Parameter] {
      convA.parameters + normA.parameters + convB.parameters + normB.parameters
    }

    func forward(_ x: Tensor, training: Bool, precision: NNPrecision = .fp32) throws -> Tensor {
      if !training && precision != .fp32 {
        let a = try convA.forwardInference(x, precision: precision, folding: normA, relu: true)
        let b = try convB.forwardInference(a, precision: precision, folding: normB, relu: true)
        return try pool.forward(b, training: false)
      }
      var t = try normA.forward(try convA.forward(x, training: training), training: training)
      t = try normB.forward(try convB.forward(t, training: training), training: training)
      return try pool.forward(t, training: training)
    }

    func backward(_ dy: Tensor) throws -> Tensor {
      var g = try pool.backward(dy)
      g = try convB.backward(try normB.backward(g))
      return try convA.backward(try normA.backward(g))
    }
  }

  /// Number of blocks (levels C1…C5).
  public static let levelCount = 5
  let blocks: [Block]
  /// Filters of every convolution (32 in the reference).
  public let filters: Int

  /// A backbone reading `inputChannels` channels with the first `depth` blocks (C1…C_depth;
  /// deeper blocks feed nothing in a model whose pyramid stops at C_depth, so the reference
  /// model has no weights for them), kernels Glorot-uniform from `rng`.
  public init(
    inputChannels: Int, filters: Int = 32, depth: Int = levelCount, rng: inout RandomGenerator
  ) throws {
    precondition(depth >= 1 && depth <= Self.levelCount)
    self.filters = filters
    var b: [Block] = []
    var c = inputChannels
    for k in 0..<depth {
      b.append(try Block(index: k, inputChannels: c, filters: filters, rng: &rng))
      c = filters
    }
    blocks = b
  }

  /// Every parameter, in layer order.
  public var parameters: [Parameter] { blocks.flatMap(\.parameters) }

  /// The first convolution (its input gradient is not needed when nothing trainable precedes it).
  public var firstConvolution: Conv2D { blocks[0].convA }

  /// [C1, …, C_depth]: outputs of the first `depth` blocks (deeper blocks are not run);
  /// inference at `precision` (``NNPrecision``) when not training.
  public func forward(
    _ x: Tensor, depth: Int, training: Bool, precision: NNPrecision = .fp32
  ) throws -> [Tensor] {
    var out: [Tensor] = []
    var t = x
    for k in 0..<depth {
      t = try blocks[k].forward(t, training: training, precision: precision)
      out.append(t)
    }
    return out
  }

  /// ∂L/∂input from ∂L/∂C_k for k = 1…depth (`levelGradients[k-1]`, nil where C_k has no
  /// consumer but the next block). Gradient tensors passed in may be overwritten.
  public func backward(_ levelGradients: [Tensor?]) throws -> Tensor {
    var g: Tensor? = nil
    for k in stride(from: levelGradients.count - 1, through: 0, by: -1) {
      switch (g, levelGradients[k]) {
      case (nil, let d?): g = d
      case (let a?, let d?): g = try accumulateGradient(d, a)
      case (_, nil): break
      }
      guard let gk = g else {
        throw DeepCellError(.usage, "featurenet", "no gradient reaches block \(k + 1)")
      }
      g = try blocks[k].backward(gk)
    }
    return g!
  }
}
