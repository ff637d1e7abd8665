/// 2×2 max-pooling, stride 2, `same` padding (Keras `MaxPool2D(padding="same")`, model.md §6):
/// y[i,j] = max over the window rows {2i, 2i+1} × cols {2j, 2j+1} clipped to the image;
/// output ⌈H/2⌉×⌈W/2⌉. Backward routes dy to the first maximal element of each window
/// (row-major), as TF does.
public final class MaxPooling2D: Layer {
  public let name: String
  public var parameters: [Parameter] { [] }
  private var savedInput: Tensor?
  private var output = TensorSlot()
  private var inputGradient = TensorSlot()

  /// A 2×2/2 max-pool.
  public init(name: String) { self.name = name }

  /// Output shape for an input of shape `s`.
  public static func outputShape(_ s: TensorShape) -> TensorShape {
    TensorShape(s.n, s.c, (s.h + 1) / 2, (s.w + 1) / 2)
  }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let s = x.shape
    let os = Self.outputShape(s)
    let y = try output.get(os, x.layout)
    switch x.blockSize {
    case 16: run(SIMD16<Float>.self, x, y, s, os)
    case 8: run(SIMD8<Float>.self, x, y, s, os)
    case 4: run(SIMD4<Float>.self, x, y, s, os)
    default: run(Float.self, x, y, s, os)
    }
    savedInput = training ? x : nil
    return y
  }

  private func run<P: PixelValue>(
    _: P.Type, _ x: Tensor, _ y: Tensor, _ s: TensorShape, _ os: TensorShape
  ) {
    let l = P.lanes
    let (h, w, oh, ow) = (s.h, s.w, os.h, os.w)
    forEachPlane(x, lanes: l, s, os) { inStart, outStart in
      let xp = x.data + inStart
      let yp = y.data + outStart
      for i in 0..<oh {
        let r0 = 2 * i
        let r1 = min(2 * i + 1, h - 1)
        for j in 0..<ow {
          let c0 = 2 * j
          let c1 = min(2 * j + 1, w - 1)
          var m = P.load(xp + (r0 * w + c0) * l)
          m = P.maximum(m, P.load(xp + (r0 * w + c1) * l))
          m = P.maximum(m, P.load(xp + (r1 * w + c0) * l))
          m = P.maximum(m, P.load(xp + (r1 * w + c1) * l))
          m.store(yp + (i * ow + j) * l)
        }
      }
    }
  }

  public func backward(_ dy: Tensor) throws -> Tensor {
    let x = try requireSaved(savedInput, name)
    let s = x.shape
    let os = Self.outputShape(s)
    try requireShape(dy.shape, os, name)
    let g = try dy.layout == x.layout ? dy : dy.converted(to: x.layout)
    let y = try requireSaved(output.tensor, name)
    let dx = try inputGradient.get(s, x.layout)
    switch x.blockSize {
    case 16: route(SIMD16<Float>.self, x, y, g, dx, s, os)
    case 8: route(SIMD8<Float>.self, x, y, g, dx, s, os)
    case 4: route(SIMD4<Float>.self, x, y, g, dx, s, os)
    default: route(Float.self, x, y, g, dx, s, os)
    }
    return dx
  }

  /// Runs `body(inStart, outStart)` in parallel for every (sample, channel block) plane: the
  /// plane's first element in the H×W×lanes input and in the ⌈H/2⌉×⌈W/2⌉×lanes output.
  private func forEachPlane(
    _ x: Tensor, lanes: Int, _ s: TensorShape, _ os: TensorShape,
    _ body: (_ inStart: Int, _ outStart: Int) -> Void
  ) {
    let inRun = s.h * s.w * lanes
    let outRun = os.h * os.w * lanes
    NNThreads.parallelFor(s.n * x.channelBlocks) { r in body(r * inRun, r * outRun) }
  }

  // The backward walk: each window's gradient goes to its first maximal element.
  private func route<P: PixelValue>(
    _: P.Type, _ x: Tensor, _ y: Tensor, _ g: Tensor, _ dx: Tensor, _ s: TensorShape,
    _ os: TensorShape
  ) {
    let l = P.lanes
    let (h, w, oh, ow) = (s.h, s.w, os.h, os.w)
    forEachPlane(x, lanes: l, s, os) { inStart, outStart in
      let dp = dx.data + inStart
      for k in 0..<(h * w * l) { dp[k] = 0 }
      let xp = x.data + inStart
      let yp = y.data + outStart
      let gp = g.data + outStart
      for i in 0..<oh {
        let rowCount = 2 * i + 1 < h ? 2 : 1
        for j in 0..<ow {
          let cols = 2 * j + 1 < w ? 2 : 1
          let m = P.load(yp + (i * ow + j) * l)
          let gv = P.load(gp + (i * ow + j) * l)
          var taken = P.zero
          for dr in 0..<rowCount {
            let rr = 2 * i + dr
            for cc in 0..<cols {
              let o = (rr * w + 2 * j + cc) * l
              let v = P.select(P.load(xp + o), equals: m, gv, taken: &taken)
              v.store(dp + o)
            }
          }
        }
      }
    }
  }
}
