/// Batch normalization over channels (Keras `BatchNormalization`, model.md §6):
/// training: y = γ·(x − μ_B)/√(σ²_B + ε) + β with batch mean and biased batch variance over
/// (N, H, W), and moving ← momentum·moving + (1 − momentum)·batch (the moving variance takes
/// the Bessel-corrected batch variance, as TF's fused kernel does); inference uses the moving
/// statistics. Defaults: momentum 0.99, ε 1e-3, γ 1, β 0, moving mean 0, moving variance 1.
///
/// Backward (training mode): with x̂ = (x − μ)/σ, m = N·H·W:
/// ∂β = Σ dy, ∂γ = Σ dy·x̂, dx = γ/(m·σ) · (m·dy − ∂β − x̂·∂γ).
///
/// With `fusedReLU` the layer computes ReLU(BN(x)) in the same pass (and masks dy by
/// [y > 0] on the fly in backward), saving two passes over the tensor per step.
public final class BatchNormalization: Layer {
  public let name: String
  /// Channels.
  public let channels: Int
  /// Moving-average momentum.
  public let momentum: Float
  /// Variance epsilon.
  public let epsilon: Float
  /// Scale γ (`NAME/gamma`).
  public let gamma: Parameter
  /// Offset β (`NAME/beta`).
  public let beta: Parameter
  /// Moving mean (`NAME/moving_mean`, not trainable).
  public let movingMean: Parameter
  /// Moving variance (`NAME/moving_variance`, not trainable).
  public let movingVariance: Parameter
  /// Whether a ReLU is applied to the output (fused).
  public let fusedReLU: Bool

  public var parameters: [Parameter] { [gamma, beta, movingMean, movingVariance] }

  private var savedInput: Tensor?
  private var mean: [Float] = []
  private var inverseStd: [Float] = []
  /// The per-channel mean and (biased) variance of the last training-mode batch, for
  /// ``PanopticTrainer/recalibrateBatchNormalization(_:batches:batchSize:)``.
  var batchStatistics: (mean: [Double], variance: [Double], count: Int)?
  private var output = TensorSlot()
  private var inputGradient = TensorSlot()

  /// A BN layer with Keras defaults.
  ///
  /// - Throws: ``DeepCellError`` (`io`) when the weights cannot be allocated.
  public init(
    name: String, channels: Int, momentum: Float = 0.99, epsilon: Float = 1e-3,
    fusedReLU: Bool = false
  ) throws {
    self.name = name
    self.fusedReLU = fusedReLU
    self.channels = channels
    self.momentum = momentum
    self.epsilon = epsilon
    gamma = try Parameter(name: "\(name)/gamma", shape: [channels])
    beta = try Parameter(name: "\(name)/beta", shape: [channels])
    movingMean = try Parameter(name: "\(name)/moving_mean", shape: [channels], trainable: false)
    movingVariance = try Parameter(
      name: "\(name)/moving_variance", shape: [channels], trainable: false)
    Initializers.constant(gamma, 1)
    Initializers.constant(movingVariance, 1)
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let s = x.shape
    guard s.c == channels else {
      throw DeepCellError(
        .badData, name, "input has \(s.c) channels, the layer expects \(channels)")
    }
    let y = try output.get(s, x.layout)
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    if training {
      let m = Double(s.n * s.h * s.w)
      var partial = [SIMD16<Double>](repeating: .zero, count: s.n * x.channelBlocks)
      partial.withUnsafeMutableBufferPointer { part in
        forEachChannelRun(x) { r, off, len in
          part[r] = runSum(x.data + off, len, { v, _ in v }, { v, _ in v })
        }
      }
      let mu = channelTotals(partial, x).map { $0 / m }
      let muF = mu.map { Float($0) }
      partial.withUnsafeMutableBufferPointer { part in
        muF.withUnsafeBufferPointer { mp in
          forEachChannelRun(x) { r, off, len in
            let mv = laneCoefficients(
              mp.baseAddress!, channels: channels, block: r % x.channelBlocks,
              blockSize: x.blockSize)
            part[r] = runSum(
              x.data + off, len,
              { v, _ in
                let d = v - mv
                return d * d
              },
              { v, i in (v - mv[i & 15]) * (v - mv[i & 15]) })
          }
        }
      }
      let variance = channelTotals(partial, x).map { $0 / m }
      batchStatistics = (mu, variance, Int(m))
      mean = muF
      inverseStd = variance.map { Float(1 / ($0 + Double(epsilon)).squareRoot()) }
      let unbiased = m > 1 ? m / (m - 1) : 1
      for c in 0..<channels {
        let mm = movingMean.value.pointer
        let mv = movingVariance.value.pointer
        mm[c] = momentum * mm[c] + (1 - momentum) * muF[c]
        mv[c] = momentum * mv[c] + (1 - momentum) * Float(variance[c] * unbiased)
        scale[c] = gamma.value.pointer[c] * inverseStd[c]
        shift[c] = beta.value.pointer[c] - muF[c] * scale[c]
      }
      savedInput = x
    } else {
      (scale, shift) = inferenceAffine()
      savedInput = nil
    }
    let b = x.blockSize
    let cbs = x.channelBlocks
    scale.withUnsafeBufferPointer { sc in
      shift.withUnsafeBufferPointer { sh in
        forEachChannelRun(x) { r, off, len in
          let a = laneCoefficients(
            sc.baseAddress!, channels: channels, block: r % cbs, blockSize: b)
          let c = laneCoefficients(
            sh.baseAddress!, channels: channels, block: r % cbs, blockSize: b)
          let src = x.data + off
          let dst = y.data + off
          if fusedReLU {
            let zero = Vec16(repeating: 0)
            runMap(
              len, { i in Vec16.maximum(Vec16.load(src + i) * a + c, zero).store(dst + i) },
              { i in dst[i] = max(src[i] * a[i & 15] + c[i & 15], 0) })
          } else {
            runMap(
              len, { i in (Vec16.load(src + i) * a + c).store(dst + i) },
              { i in dst[i] = src[i] * a[i & 15] + c[i & 15] })
          }
        }
      }
    }
    return y
  }

  /// The inference-mode map y = s·x + t per channel: s = γ/√(moving σ² + ε),
  /// t = β − moving μ·s (what `forward(_:training: false)` applies, and what a convolution
  /// before this layer folds in at reduced precision).
  public func inferenceAffine() -> (scale: [Float], shift: [Float]) {
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      scale[c] = gamma.value.pointer[c] / (movingVariance.value.pointer[c] + epsilon).squareRoot()
      shift[c] = beta.value.pointer[c] - movingMean.value.pointer[c] * scale[c]
    }
    return (scale, shift)
  }

  public func backward(_ dy: Tensor) throws -> Tensor {
    let x = try requireSaved(savedInput, name)
    try requireShape(dy.shape, x.shape, name)
    let g = try dy.layout == x.layout ? dy : dy.converted(to: x.layout)
    let s = x.shape
    let m = Double(s.n * s.h * s.w)
    let b = x.blockSize
    let cbs = x.channelBlocks
    // With the fused ReLU, the gradient reaching BN is dy·[y > 0].
    let y = try requireSaved(output.tensor, name)
    let mask = fusedReLU
    let zero = Vec16(repeating: 0)
    var sumDy = [SIMD16<Double>](repeating: .zero, count: s.n * cbs)
    var sumDyXhat = sumDy
    mean.withUnsafeBufferPointer { mp in
      inverseStd.withUnsafeBufferPointer { ip in
        sumDy.withUnsafeMutableBufferPointer { s1 in
          sumDyXhat.withUnsafeMutableBufferPointer { s2 in
            forEachChannelRun(x) { r, off, len in
              let mv = laneCoefficients(
                mp.baseAddress!, channels: channels, block: r % cbs, blockSize: b)
              let iv = laneCoefficients(
                ip.baseAddress!, channels: channels, block: r % cbs, blockSize: b)
              let xp = x.data + off
              let gp = g.data + off
              let yp = y.data + off
              if mask {
                s1[r] = runSum(
                  gp, len, { v, i in zero.replacing(with: v, where: Vec16.load(yp + i) .> zero) },
                  { v, i in yp[i] > 0 ? v : 0 })
                s2[r] = runSum(
                  xp, len,
                  { v, i in
                    (v - mv) * iv
                      * zero.replacing(with: Vec16.load(gp + i), where: Vec16.load(yp + i) .> zero)
                  },
                  { v, i in yp[i] > 0 ? (v - mv[i & 15]) * iv[i & 15] * gp[i] : 0 })
              } else {
                s1[r] = runSum(gp, len, { v, _ in v }, { v, _ in v })
                s2[r] = runSum(
                  xp, len, { v, i in (v - mv) * iv * Vec16.load(gp + i) },
                  { v, i in (v - mv[i & 15]) * iv[i & 15] * gp[i] })
              }
            }
          }
        }
      }
    }
    let dBeta = channelTotals(sumDy, x)
    let dGamma = channelTotals(sumDyXhat, x)
    let gb = try beta.gradientBuffer()
    let gg = try gamma.gradientBuffer()
    var k1 = [Float](repeating: 0, count: channels)  // γ·σ⁻¹
    var k2 = [Float](repeating: 0, count: channels)  // ∂β/m
    var k3 = [Float](repeating: 0, count: channels)  // ∂γ/m
    for c in 0..<channels {
      gb.pointer[c] = Float(dBeta[c])
      gg.pointer[c] = Float(dGamma[c])
      k1[c] = gamma.value.pointer[c] * inverseStd[c]
      k2[c] = Float(dBeta[c] / m)
      k3[c] = Float(dGamma[c] / m)
    }
    let dx = try inputGradient.get(s, x.layout)
    let coeffs = [mean, inverseStd, k1, k2, k3]
    coeffs.withUnsafeBufferPointer { cs in
      forEachChannelRun(x) { r, off, len in
        let cb = r % cbs
        func lane(_ i: Int) -> Vec16 {
          cs[i].withUnsafeBufferPointer {
            laneCoefficients($0.baseAddress!, channels: channels, block: cb, blockSize: b)
          }
        }
        let mv = lane(0)
        let iv = lane(1)
        let a = lane(2)
        let bb = lane(3)
        let cc = lane(4)
        let xp = x.data + off
        let gp = g.data + off
        let dp = dx.data + off
        let yp = y.data + off
        if mask {
          runMap(
            len,
            { i in
              let xhat = (Vec16.load(xp + i) - mv) * iv
              let gv = zero.replacing(with: Vec16.load(gp + i), where: Vec16.load(yp + i) .> zero)
              (a * (gv - bb - xhat * cc)).store(dp + i)
            },
            { i in
              let l = i & 15
              let xhat = (xp[i] - mv[l]) * iv[l]
              dp[i] = a[l] * ((yp[i] > 0 ? gp[i] : 0) - bb[l] - xhat * cc[l])
            })
        } else {
          runMap(
            len,
            { i in
              let xhat = (Vec16.load(xp + i) - mv) * iv
              (a * (Vec16.load(gp + i) - bb - xhat * cc)).store(dp + i)
            },
            { i in
              let l = i & 15
              let xhat = (xp[i] - mv[l]) * iv[l]
              dp[i] = a[l] * (gp[i] - bb[l] - xhat * cc[l])
            })
        }
      }
    }
    return dx
  }
}
