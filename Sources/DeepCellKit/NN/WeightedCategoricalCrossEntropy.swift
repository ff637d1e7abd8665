import Foundation

/// DeepCell's `weighted_categorical_crossentropy` (deepcell `losses.py`, model.md §8) on
/// channel probabilities p (N, K, H, W) and one-hot targets y:
/// p̂ = clip(p / Σ_c p_c, 1e-7, 1 − 1e-7); class weights from the whole batch
/// w_c = (1/K) · N_total / (N_c + 1) with N_c = Σ y_c, N_total = Σ_c N_c;
/// L = −(1/P) Σ_pixels Σ_c y_c · w_c · log p̂_c, P = N·H·W, times `scale` (0.01 in the recipe).
/// The weights are constants of the targets; ∂L/∂p_j = (g_j − Σ_c g_c p̂_c) / Σ_c p_c with
/// g_c = −scale·y_c·w_c/(P·p̂_c) where p̂_c is not clipped (0 where it is).
public struct WeightedCategoricalCrossEntropy {
  /// Multiplier of the loss (model.md: 0.01 for the fgbg head).
  public var scale: Float
  private var gradient = TensorSlot()

  /// A weighted CCE loss scaled by `scale`.
  public init(scale: Float = 1) { self.scale = scale }

  /// Class weights w_c of a batch of one-hot targets.
  public static func classWeights(_ target: Tensor) -> [Double] {
    let s = target.shape
    var counts = [Double](repeating: 0, count: s.c)
    for n in 0..<s.n {
      for c in 0..<s.c {
        var part: Double = 0
        for h in 0..<s.h {
          for w in 0..<s.w { part += Double(target.data[target.offset(n, c, h, w)]) }
        }
        counts[c] += part
      }
    }
    let total = counts.reduce(0, +)
    return counts.map { (1 / Double(s.c)) * total / ($0 + 1) }
  }

  /// The loss and its gradient with respect to `probabilities`.
  public mutating func evaluate(probabilities p: Tensor, target t: Tensor) throws -> (
    loss: Float, gradient: Tensor
  ) {
    guard p.shape == t.shape else {
      throw DeepCellError(
        .badData, "weighted_categorical_crossentropy",
        "prediction has shape \(p.shape), target \(t.shape)")
    }
    let s = p.shape
    let weights = Self.classWeights(t)
    let g = try gradient.get(s, p.layout)
    let pixels = Double(s.n * s.h * s.w)
    let lo: Double = 1e-7
    let hi: Double = 1 - 1e-7
    var rowLoss = [Double](repeating: 0, count: s.n * s.h)
    rowLoss.withUnsafeMutableBufferPointer { rl in
      NNThreads.parallelFor(s.n * s.h) { row in
        let n = row / s.h
        let h = row % s.h
        var q = [Double](repeating: 0, count: s.c)
        var gc = [Double](repeating: 0, count: s.c)
        var acc: Double = 0
        for w in 0..<s.w {
          var total: Double = 0
          for c in 0..<s.c { total += Double(p.data[p.offset(n, c, h, w)]) }
          var dot: Double = 0
          for c in 0..<s.c {
            let raw = Double(p.data[p.offset(n, c, h, w)]) / total
            let clipped = min(max(raw, lo), hi)
            q[c] = clipped
            let y = Double(t.data[t.offset(n, c, h, w)])
            acc -= y * weights[c] * Foundation.log(clipped)
            gc[c] =
              (raw >= lo && raw <= hi) ? -Double(scale) * y * weights[c] / (pixels * clipped) : 0
            dot += gc[c] * raw
          }
          for c in 0..<s.c { g.data[g.offset(n, c, h, w)] = Float((gc[c] - dot) / total) }
        }
        rl[row] = acc
      }
    }
    let loss = rowLoss.reduce(0, +) / pixels * Double(scale)
    return (Float(loss), g)
  }
}
