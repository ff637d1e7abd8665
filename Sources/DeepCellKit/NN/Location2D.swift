/// DeepCell's `Location2D` layer (model.md §2, step 1): two coordinate channels for an input
/// of height H and width W — channel 0 = row / (H − 1), channel 1 = col / (W − 1), both in
/// [0, 1] (0 for an axis of length 1). The output does not depend on the input's values, so
/// its input gradient is zero.
public final class Location2D: Layer {
  public let name: String
  public var parameters: [Parameter] { [] }
  private var output = TensorSlot()
  private var inputGradient = TensorSlot()
  private var inputShape: TensorShape?
  private var inputLayout: TensorLayout = .nchw

  /// A location layer.
  public init(name: String = "location") { self.name = name }

  public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
    let s = x.shape
    let os = TensorShape(s.n, 2, s.h, s.w)
    let y = try output.get(os, .nchw)
    let rowScale: Float = s.h > 1 ? 1 / Float(s.h - 1) : 0
    let colScale: Float = s.w > 1 ? 1 / Float(s.w - 1) : 0
    for n in 0..<s.n {
      for h in 0..<s.h {
        for w in 0..<s.w {
          y.data[y.offset(n, 0, h, w)] = Float(h) * rowScale
          y.data[y.offset(n, 1, h, w)] = Float(w) * colScale
        }
      }
    }
    inputShape = s
    inputLayout = x.layout
    return y
  }

  public func backward(_ dy: Tensor) throws -> Tensor {
    let s = try requireSaved(inputShape, name)
    try requireShape(dy.shape, TensorShape(s.n, 2, s.h, s.w), name)
    let dx = try inputGradient.get(s, inputLayout)
    dx.storage.zero()
    return dx
  }
}
