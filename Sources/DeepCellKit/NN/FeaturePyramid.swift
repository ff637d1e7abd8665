/// The feature pyramid of deepcell-tf `fpn.__create_pyramid_features` (model.md §4), reduced to
/// what reaches the semantic heads: for the chosen backbone levels, top (coarsest) to bottom,
/// `Ck_reduced` = 1×1 conv(F) of C_k; `Pk_merged` = `Ck_reduced` + `P(k+1)_upsampled`;
/// `Pk_upsampled` = bilinear 2× upsampling of `Pk_merged`; and only at the finest level
/// `Pk` = 3×3 conv(F) of `Pk_merged`. Coarser `Pk` convolutions and P6/P7 feed no output in
/// the reference model, so they have no weights there and are not built here. No activations.
public final class FeaturePyramid {
  /// Backbone level numbers used, finest first (e.g. [1, 2, 3, 4, 5]).
  public let levels: [Int]
  /// Pyramid width F (256 in the reference).
  public let featureSize: Int
  let reduced: [Conv2D]  // finest first
  let upsample: [UpSampling2D]  // upsample[i] upsamples the merged tensor of levels[i]
  let merge: [Add]  // merge[i] for levels[i] (unused at the top)
  /// The 3×3 convolution making the finest output level `P{levels[0]}`.
  public let output: Conv2D

  /// A pyramid over backbone levels `levels` (consecutive, finest first) whose features have
  /// `backboneChannels` channels.
  public init(
    levels: [Int], backboneChannels: Int, featureSize: Int = 256, rng: inout RandomGenerator
  ) throws {
    precondition(!levels.isEmpty)
    self.levels = levels
    self.featureSize = featureSize
    // The reference creates layers from the top level down; draw initial weights in that order.
    var red: [Conv2D] = []
    for k in levels.reversed() {
      red.append(
        try Conv2D(
          name: "C\(k)_reduced", inputChannels: backboneChannels, outputChannels: featureSize,
          kernelSize: 1, rng: &rng))
    }
    reduced = red.reversed()
    upsample = levels.map { UpSampling2D(name: "P\($0)_upsampled", interpolation: .bilinear) }
    merge = levels.map { Add(name: "P\($0)_merged") }
    output = try Conv2D(
      name: "P\(levels[0])", inputChannels: featureSize, outputChannels: featureSize,
      kernelSize: 3, rng: &rng)
  }

  /// Every parameter, top level first, then the output convolution.
  public var parameters: [Parameter] {
    reduced.reversed().flatMap(\.parameters) + output.parameters
  }

  /// The finest pyramid level from backbone features `features[i]` = C_{levels[i]}; the
  /// convolutions at `precision` (``NNPrecision``) when not training.
  public func forward(
    _ features: [Tensor], training: Bool, precision: NNPrecision = .fp32
  ) throws -> Tensor {
    precondition(features.count == levels.count)
    func conv(_ c: Conv2D, _ x: Tensor) throws -> Tensor {
      training || precision == .fp32
        ? try c.forward(x, training: training) : try c.forwardInference(x, precision: precision)
    }
    let top = levels.count - 1
    var merged = try conv(reduced[top], features[top])
    for i in stride(from: top - 1, through: 0, by: -1) {
      let up = try upsample[i + 1].forward(merged, training: training)
      let r = try conv(reduced[i], features[i])
      merged = try merge[i].forward(r, up)
    }
    return try conv(output, merged)
  }

  /// ∂L/∂C_k for each level (finest first) from ∂L/∂P_finest.
  public func backward(_ dy: Tensor) throws -> [Tensor] {
    var dMerged = try output.backward(dy)
    var grads = [Tensor?](repeating: nil, count: levels.count)
    for i in 0..<levels.count {
      grads[i] = try reduced[i].backward(dMerged)
      if i < levels.count - 1 {
        dMerged = try upsample[i + 1].backward(dMerged)
      }
    }
    return grads.map { $0! }
  }
}
