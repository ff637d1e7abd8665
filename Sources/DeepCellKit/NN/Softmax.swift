import Foundation

/// Softmax over channels at every pixel (Keras `Softmax(axis=-1)`, the activation of the
/// n-class semantic heads, model.md §5): y_c = exp(x_c − max_k x_k) / Σ_k exp(x_k − max_k x_k).
/// Backward: dx_c = y_c · (dy_c − Σ_k dy_k·y_k).
public final class Softmax: Layer {
  public let name: String
  public var parameters: [Parameter] { [] }
  private var buffers = ActivationBuffers()

  /// A channel softmax.
  public init(name: String) { self.name = name }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let s = x.shape
    let y = try buffers.output.get(s, x.layout)
    NNThreads.parallelFor(s.n * s.h) { row in
      let n = row / s.h
      let h = row % s.h
      var e = [Float](repeating: 0, count: s.c)
      for w in 0..<s.w {
        var m = -Float.infinity
        for c in 0..<s.c { m = max(m, x.data[x.offset(n, c, h, w)]) }
        var total: Float = 0
        for c in 0..<s.c {
          e[c] = Foundation.exp(x.data[x.offset(n, c, h, w)] - m)
          total += e[c]
        }
        for c in 0..<s.c { y.data[y.offset(n, c, h, w)] = e[c] / total }
      }
    }
    buffers.savedOutput = training ? y : nil
    return y
  }

  public func backward(_ dy: Tensor) throws -> Tensor {
    let y = try requireSaved(buffers.savedOutput, name)
    try requireShape(dy.shape, y.shape, name)
    let s = y.shape
    let dx = try buffers.inputGradient.get(s, y.layout)
    NNThreads.parallelFor(s.n * s.h) { row in
      let n = row / s.h
      let h = row % s.h
      for w in 0..<s.w {
        var dot: Float = 0
        for c in 0..<s.c { dot += dy.data[dy.offset(n, c, h, w)] * y.data[y.offset(n, c, h, w)] }
        for c in 0..<s.c {
          let o = y.offset(n, c, h, w)
          dx.data[o] = y.data[o] * (dy.data[dy.offset(n, c, h, w)] - dot)
        }
      }
    }
    return dx
  }
}
