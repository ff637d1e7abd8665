/// Mean squared error over every element of the batch (Keras `mean_squared_error` reduced
/// to a scalar, model.md §8): L = (1/M) Σ (y − t)², ∂L/∂y = 2(y − t)/M, M = N·C·H·W.
/// With per-pixel weights w (``ContactWeightMap``): L = (1/M) Σ w (y − t)², ∂L/∂y =
/// 2w(y − t)/M; w ≡ 1 is the unweighted loss, bit for bit.
public struct MeanSquaredError {
  private var gradient = TensorSlot()

  /// An MSE loss.
  public init() {}

  /// The loss and its gradient with respect to `prediction` (in `prediction`'s layout);
  /// `weight`, if given, has the prediction's shape.
  public mutating func evaluate(prediction y: Tensor, target t: Tensor, weight: Tensor? = nil)
    throws -> (loss: Float, gradient: Tensor)
  {
    guard y.shape == t.shape else {
      throw DeepCellError(.badData, "mse", "prediction has shape \(y.shape), target \(t.shape)")
    }
    let tt = try t.layout == y.layout ? t : t.converted(to: y.layout)
    if let weight {
      guard weight.shape == y.shape else {
        throw DeepCellError(
          .badData, "mse", "prediction has shape \(y.shape), weights \(weight.shape)")
      }
      return try weighted(
        y, tt, try weight.layout == y.layout ? weight : weight.converted(to: y.layout))
    }
    let g = try gradient.get(y.shape, y.layout)
    let m = Float(y.shape.count)
    let scale = 2 / m
    var partial = [SIMD16<Double>](repeating: .zero, count: y.shape.n * y.channelBlocks)
    partial.withUnsafeMutableBufferPointer { part in
      forEachChannelRun(y) { r, off, len in
        let yp = y.data + off
        let tp = tt.data + off
        let gp = g.data + off
        part[r] = runSum(
          yp, len,
          { v, i in
            let d = v - Vec16.load(tp + i)
            (d * scale).store(gp + i)
            return d * d
          },
          { v, i in
            let d = v - tp[i]
            gp[i] = d * scale
            return d * d
          })
      }
    }
    let total = partial.reduce(0) { $0 + $1.sum() }
    return (Float(total / Double(m)), g)
  }

  /// The weighted loss of ``evaluate(prediction:target:weight:)``; `t` and `w` in `y`'s layout.
  private mutating func weighted(_ y: Tensor, _ t: Tensor, _ w: Tensor) throws -> (
    loss: Float, gradient: Tensor
  ) {
    let g = try gradient.get(y.shape, y.layout)
    let m = Float(y.shape.count)
    let scale = 2 / m
    var partial = [SIMD16<Double>](repeating: .zero, count: y.shape.n * y.channelBlocks)
    partial.withUnsafeMutableBufferPointer { part in
      forEachChannelRun(y) { r, off, len in
        let yp = y.data + off
        let tp = t.data + off
        let wp = w.data + off
        let gp = g.data + off
        part[r] = runSum(
          yp, len,
          { v, i in
            let d = v - Vec16.load(tp + i)
            let wd = Vec16.load(wp + i) * d
            (wd * scale).store(gp + i)
            return wd * d
          },
          { v, i in
            let d = v - tp[i]
            let wd = wp[i] * d
            gp[i] = wd * scale
            return wd * d
          })
      }
    }
    let total = partial.reduce(0) { $0 + $1.sum() }
    return (Float(total / Double(m)), g)
  }
}
