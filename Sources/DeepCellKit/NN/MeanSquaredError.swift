/// Mean squared error over every element of the batch (Keras `mean_squared_error` reduced
/// to a scalar, model.md §8): L = (1/M) Σ (y − t)², ∂L/∂y = 2(y − t)/M, M = N·C·H·W.
/// With per-pixel weights w (``ContactWeightMap``): L = (1/M) Σ w (y − t)², ∂L/∂y =
/// 2w(y − t)/M; without weights the arithmetic is the unweighted loss's, bit for bit.
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
    if let weight, weight.shape != y.shape {
      throw DeepCellError(
        .badData, "mse", "prediction has shape \(y.shape), weights \(weight.shape)")
    }
    let tt = try t.layout == y.layout ? t : t.converted(to: y.layout)
    let ww = try weight.map { $0.layout == y.layout ? $0 : try $0.converted(to: y.layout) }
    let g = try gradient.get(y.shape, y.layout)
    let m = Float(y.shape.count)
    let scale = 2 / m
    var partial = [SIMD16<Double>](repeating: .zero, count: y.shape.n * y.channelBlocks)
    partial.withUnsafeMutableBufferPointer { part in
      forEachChannelRun(y) { r, off, len in
        let yp = y.data + off
        let tp = tt.data + off
        let wp = ww.map { $0.data + off }
        let gp = g.data + off
        part[r] = runSum(
          yp, len,
          { v, i in
            let d = v - Vec16.load(tp + i)
            let wd = wp.map { Vec16.load($0 + i) * d } ?? d
            (wd * scale).store(gp + i)
            return wd * d
          },
          { v, i in
            let d = v - tp[i]
            let wd = wp.map { $0[i] * d } ?? d
            gp[i] = wd * scale
            return wd * d
          })
      }
    }
    let total = partial.reduce(0) { $0 + $1.sum() }
    return (Float(total / Double(m)), g)
  }
}
