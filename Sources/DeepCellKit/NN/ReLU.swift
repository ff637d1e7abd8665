/// Rectified linear unit y = max(x, 0); backward dx = dy · [y > 0] (Keras `Activation("relu")`).
public final class ReLU: Layer {
  public let name: String
  public var parameters: [Parameter] { [] }
  private var buffers = ActivationBuffers()

  /// A ReLU layer.
  public init(name: String) { self.name = name }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let y = try buffers.output.get(x.shape, x.layout)
    let total = x.storage.count
    let chunk = 1 << 14
    let src = x.data
    let dst = y.data
    NNThreads.parallelFor((total + chunk - 1) / chunk) { k in
      let start = k * chunk
      let len = min(chunk, total - start)
      let zero = Vec16(repeating: 0)
      runMap(
        len, { i in Vec16.maximum(Vec16.load(src + start + i), zero).store(dst + start + i) },
        { i in dst[start + i] = max(src[start + i], 0) })
    }
    buffers.savedOutput = training ? y : nil
    return y
  }

  public func backward(_ dy: Tensor) throws -> Tensor {
    let y = try requireSaved(buffers.savedOutput, name)
    try requireShape(dy.shape, y.shape, name)
    let g = try dy.layout == y.layout ? dy : dy.converted(to: y.layout)
    let dx = try buffers.inputGradient.get(y.shape, y.layout)
    let total = y.storage.count
    let chunk = 1 << 14
    let yp = y.data
    let gp = g.data
    let dp = dx.data
    NNThreads.parallelFor((total + chunk - 1) / chunk) { k in
      let start = k * chunk
      let len = min(chunk, total - start)
      let zero = Vec16(repeating: 0)
      runMap(
        len,
        { i in
          let o = start + i
          zero.replacing(with: Vec16.load(gp + o), where: Vec16.load(yp + o) .> zero).store(dp + o)
        }, { i in dp[start + i] = yp[start + i] > 0 ? gp[start + i] : 0 })
    }
    return dx
  }
}
