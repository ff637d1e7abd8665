/// 2× spatial upsampling (Keras `UpSampling2D(size=2)`, model.md §6).
/// - `nearest`: y[i,j] = x[⌊i/2⌋, ⌊j/2⌋]; backward sums dy over each 2×2 block.
/// - `bilinear`: TF `resize` with half-pixel centres, separable: output o samples the input
///   coordinate (o + 0.5)/2 − 0.5, i.e. o = 2k → 0.25·x[k−1] + 0.75·x[k],
///   o = 2k+1 → 0.75·x[k] + 0.25·x[k+1], indices clamped to [0, n−1]; backward is the transpose.
public final class UpSampling2D: Layer {
  /// Interpolation mode.
  public enum Interpolation: Sendable {
    /// Repeat each pixel 2×2.
    case nearest
    /// Half-pixel bilinear.
    case bilinear
  }

  public let name: String
  /// Interpolation mode.
  public let interpolation: Interpolation
  public var parameters: [Parameter] { [] }
  private var inputShape: TensorShape?
  private var inputLayout: TensorLayout = .nchw
  private var output = TensorSlot()
  private var inputGradient = TensorSlot()

  /// A 2× upsampling layer.
  public init(name: String, interpolation: Interpolation = .nearest) {
    self.name = name
    self.interpolation = interpolation
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let s = x.shape
    let os = TensorShape(s.n, s.c, 2 * s.h, 2 * s.w)
    let y = try output.get(os, x.layout)
    if interpolation == .nearest {
      switch x.blockSize {
      case 16: nearest(SIMD16<Float>.self, x, y)
      case 8: nearest(SIMD8<Float>.self, x, y)
      case 4: nearest(SIMD4<Float>.self, x, y)
      default: nearest(Float.self, x, y)
      }
    } else {
      switch x.blockSize {
      case 16: bilinear(SIMD16<Float>.self, x, y)
      case 8: bilinear(SIMD8<Float>.self, x, y)
      case 4: bilinear(SIMD4<Float>.self, x, y)
      default: bilinear(Float.self, x, y)
      }
    }
    inputShape = s
    inputLayout = x.layout
    return y
  }

  public func backward(_ dy: Tensor) throws -> Tensor {
    let s = try requireSaved(inputShape, name)
    try requireShape(dy.shape, TensorShape(s.n, s.c, 2 * s.h, 2 * s.w), name)
    let g = try dy.layout == inputLayout ? dy : dy.converted(to: inputLayout)
    let dx = try inputGradient.get(s, inputLayout)
    if interpolation == .nearest {
      switch dx.blockSize {
      case 16: nearestBackward(SIMD16<Float>.self, g, dx)
      case 8: nearestBackward(SIMD8<Float>.self, g, dx)
      case 4: nearestBackward(SIMD4<Float>.self, g, dx)
      default: nearestBackward(Float.self, g, dx)
      }
    } else {
      switch dx.blockSize {
      case 16: bilinearBackward(SIMD16<Float>.self, g, dx)
      case 8: bilinearBackward(SIMD8<Float>.self, g, dx)
      case 4: bilinearBackward(SIMD4<Float>.self, g, dx)
      default: bilinearBackward(Float.self, g, dx)
      }
    }
    return dx
  }

  private func nearest<P: PixelValue>(_: P.Type, _ x: Tensor, _ y: Tensor) {
    let l = P.lanes
    let h = x.shape.h
    let w = x.shape.w
    NNThreads.parallelFor(x.shape.n * x.channelBlocks) { r in
      let xp = x.data + r * h * w * l
      let yp = y.data + r * 4 * h * w * l
      for i in 0..<h {
        for j in 0..<w {
          let v = P.load(xp + (i * w + j) * l)
          v.store(yp + ((2 * i) * 2 * w + 2 * j) * l)
          v.store(yp + ((2 * i) * 2 * w + 2 * j + 1) * l)
          v.store(yp + ((2 * i + 1) * 2 * w + 2 * j) * l)
          v.store(yp + ((2 * i + 1) * 2 * w + 2 * j + 1) * l)
        }
      }
    }
  }

  private func nearestBackward<P: PixelValue>(_: P.Type, _ g: Tensor, _ dx: Tensor) {
    let l = P.lanes
    let h = dx.shape.h
    let w = dx.shape.w
    NNThreads.parallelFor(dx.shape.n * dx.channelBlocks) { r in
      let gp = g.data + r * 4 * h * w * l
      let dp = dx.data + r * h * w * l
      for i in 0..<h {
        for j in 0..<w {
          let a =
            P.load(gp + ((2 * i) * 2 * w + 2 * j) * l)
            + P.load(gp + ((2 * i) * 2 * w + 2 * j + 1) * l)
          let b =
            P.load(gp + ((2 * i + 1) * 2 * w + 2 * j) * l)
            + P.load(gp + ((2 * i + 1) * 2 * w + 2 * j + 1) * l)
          (a + b).store(dp + (i * w + j) * l)
        }
      }
    }
  }

  /// The two taps (index, weight) of output position o on an axis of n inputs.
  @inline(__always) static func taps(_ o: Int, _ n: Int) -> (Int, Float, Int, Float) {
    let k = o / 2
    if o % 2 == 0 { return (max(k - 1, 0), 0.25, k, 0.75) }
    return (k, 0.75, min(k + 1, n - 1), 0.25)
  }

  private func bilinear<P: PixelValue>(_: P.Type, _ x: Tensor, _ y: Tensor) {
    let l = P.lanes
    let h = x.shape.h
    let w = x.shape.w
    let ow = 2 * w
    NNThreads.parallelFor(x.shape.n * x.channelBlocks) { r in
      let xp = x.data + r * h * w * l
      let yp = y.data + r * 4 * h * w * l
      for i in 0..<(2 * h) {
        let (r0, a0, r1, a1) = Self.taps(i, h)
        for j in 0..<ow {
          let (c0, b0, c1, b1) = Self.taps(j, w)
          let top =
            P.scaled(P.load(xp + (r0 * w + c0) * l), b0)
            + P.scaled(P.load(xp + (r0 * w + c1) * l), b1)
          let bot =
            P.scaled(P.load(xp + (r1 * w + c0) * l), b0)
            + P.scaled(P.load(xp + (r1 * w + c1) * l), b1)
          (P.scaled(top, a0) + P.scaled(bot, a1)).store(yp + (i * ow + j) * l)
        }
      }
    }
  }

  private func bilinearBackward<P: PixelValue>(_: P.Type, _ g: Tensor, _ dx: Tensor) {
    let l = P.lanes
    let h = dx.shape.h
    let w = dx.shape.w
    let ow = 2 * w
    NNThreads.parallelFor(dx.shape.n * dx.channelBlocks) { r in
      let gp = g.data + r * 4 * h * w * l
      let dp = dx.data + r * h * w * l
      for k in 0..<(h * w * l) { dp[k] = 0 }
      for i in 0..<(2 * h) {
        let (r0, a0, r1, a1) = Self.taps(i, h)
        for j in 0..<ow {
          let (c0, b0, c1, b1) = Self.taps(j, w)
          let v = P.load(gp + (i * ow + j) * l)
          var o = (r0 * w + c0) * l
          (P.load(dp + o) + P.scaled(v, a0 * b0)).store(dp + o)
          o = (r0 * w + c1) * l
          (P.load(dp + o) + P.scaled(v, a0 * b1)).store(dp + o)
          o = (r1 * w + c0) * l
          (P.load(dp + o) + P.scaled(v, a1 * b0)).store(dp + o)
          o = (r1 * w + c1) * l
          (P.load(dp + o) + P.scaled(v, a1 * b1)).store(dp + o)
        }
      }
    }
  }
}
