import Foundation

/// Adam in Keras/TF form (model.md §9): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
/// lr_t = lr·√(1−β2^t)/(1−β1^t), θ ← θ − lr_t·m/(√v + ε), ε = 1e-7.
/// `clipNorm` rescales each gradient tensor on its own, g ← g·c/max(‖g‖₂, c) (Keras
/// `clipnorm`, per variable). `weightDecay` (default 0) is decoupled (AdamW):
/// θ ← θ − lr·λ·θ before the Adam step. ``learningRateScales`` multiplies the rate of chosen
/// parameters (discriminative fine-tuning, Howard & Ruder 2018: lower rates for the layers
/// that carry pretrained features).
///
/// A step whose gradients hold NaN or ±Inf throws `.badData` and changes no parameter, so
/// the weights stay those of the last good step.
public final class Adam {
  /// Learning rate (may be changed between steps by a schedule).
  public var learningRate: Float
  /// β1.
  public let beta1: Float
  /// β2.
  public let beta2: Float
  /// ε.
  public let epsilon: Float
  /// Per-tensor gradient norm limit, nil for none.
  public let clipNorm: Float?
  /// Decoupled weight decay λ.
  public let weightDecay: Float
  /// Per-parameter multipliers of `learningRate` (and of the decay step), by
  /// `ObjectIdentifier` of the ``Parameter``; a parameter not listed runs at 1.
  public var learningRateScales: [ObjectIdentifier: Float] = [:]
  /// Steps taken.
  public internal(set) var iterations = 0
  var momentBuffers: [ObjectIdentifier: (FloatBuffer, FloatBuffer)] = [:]

  /// An Adam optimizer with Keras defaults (lr 1e-3, β 0.9/0.999, ε 1e-7).
  public init(
    learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
    clipNorm: Float? = nil, weightDecay: Float = 0
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.clipNorm = clipNorm
    self.weightDecay = weightDecay
  }

  /// One update of every trainable parameter from its gradient.
  public func step(_ parameters: [Parameter]) throws {
    let trainable = parameters.filter(\.trainable)
    var norms = [Float](repeating: 0, count: trainable.count)
    for (k, p) in trainable.enumerated() {
      guard let g = p.gradient else {
        throw DeepCellError(
          .usage, p.name, "no gradient: run a backward pass before the optimizer step")
      }
      var sum: Double = 0
      for i in 0..<g.count { sum += Double(g.pointer[i]) * Double(g.pointer[i]) }
      guard sum.isFinite else {
        throw DeepCellError(
          .badData, p.name,
          "gradient is NaN or infinite at step \(iterations + 1); parameters left unchanged")
      }
      norms[k] = Float(sum.squareRoot())
    }
    iterations += 1
    let t = Float(iterations)
    let lrT = learningRate * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
    let (b1, b2, eps, decay) = (beta1, beta2, epsilon, learningRate * weightDecay)
    for (k, p) in trainable.enumerated() {
      let key = ObjectIdentifier(p)
      let (m, v) =
        try momentBuffers[key] ?? (FloatBuffer(count: p.count), FloatBuffer(count: p.count))
      momentBuffers[key] = (m, v)
      var factor: Float = 1
      if let c = clipNorm { factor = c / max(norms[k], c) }
      let scale = learningRateScales[key] ?? 1
      let (rate, shrink) = (lrT * scale, decay * scale)
      let g = p.gradient!.pointer
      let theta = p.value.pointer
      let mp = m.pointer
      let vp = v.pointer
      for i in 0..<p.count {
        let gi = g[i] * factor
        mp[i] = b1 * mp[i] + (1 - b1) * gi
        vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
        if shrink != 0 { theta[i] -= shrink * theta[i] }
        theta[i] -= rate * mp[i] / (vp[i].squareRoot() + eps)
      }
    }
  }
}

extension Adam {
  /// The first and second moment estimates (m, v) of `parameter`; zeros before its first step.
  public func moments(of parameter: Parameter) -> (m: [Float], v: [Float]) {
    guard let (m, v) = momentBuffers[ObjectIdentifier(parameter)] else {
      let zeros = [Float](repeating: 0, count: parameter.count)
      return (zeros, zeros)
    }
    return (
      Array(UnsafeBufferPointer(start: m.pointer, count: parameter.count)),
      Array(UnsafeBufferPointer(start: v.pointer, count: parameter.count))
    )
  }

  /// Resumes from a saved state: the step count and each parameter's (m, v), as
  /// ``moments(of:)`` returned them. Throws `.badData` when a moment has the wrong size.
  public func restore(iterations: Int, moments: [(Parameter, [Float], [Float])]) throws {
    for (p, m, v) in moments {
      guard m.count == p.count, v.count == p.count else {
        throw DeepCellError(
          .badData, p.name, "optimizer state has \(m.count) values; the weight has \(p.count)")
      }
      let (mb, vb) = (try FloatBuffer(count: p.count), try FloatBuffer(count: p.count))
      for i in 0..<p.count {
        mb.pointer[i] = m[i]
        vb.pointer[i] = v[i]
      }
      momentBuffers[ObjectIdentifier(p)] = (mb, vb)
    }
    self.iterations = iterations
  }
}
