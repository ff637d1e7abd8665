/// Elementwise sum of two equally shaped tensors (Keras `Add`): y = a + b; both inputs
/// receive dy unchanged.
public final class Add {
  /// Layer name.
  public let name: String
  private var output = TensorSlot()

  /// An add layer.
  public init(name: String) { self.name = name }

  /// y = a + b, in `a`'s layout.
  public func forward(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    guard a.shape == b.shape else {
      throw DeepCellError(.badData, name, "cannot add tensors of shapes \(a.shape) and \(b.shape)")
    }
    let bb = try b.layout == a.layout ? b : b.converted(to: a.layout)
    let y = try output.get(a.shape, a.layout)
    Self.sum(a.storage, bb.storage, into: y.storage)
    return y
  }

  /// (∂L/∂a, ∂L/∂b) = (dy, dy).
  public func backward(_ dy: Tensor) -> (Tensor, Tensor) { (dy, dy) }

  /// out = a + b elementwise over whole buffers (also used to merge gradients of a tensor
  /// consumed twice, e.g. a U-Net skip).
  static func sum(_ a: FloatBuffer, _ b: FloatBuffer, into out: FloatBuffer) {
    let total = out.count
    let chunk = 1 << 14
    let ap = a.pointer
    let bp = b.pointer
    let op = out.pointer
    NNThreads.parallelFor((total + chunk - 1) / chunk) { k in
      let start = k * chunk
      let len = min(chunk, total - start)
      runMap(
        len,
        { i in (Vec16.load(ap + start + i) + Vec16.load(bp + start + i)).store(op + start + i) },
        { i in op[start + i] = ap[start + i] + bp[start + i] })
    }
  }
}

/// Adds gradient `b` into gradient `a` (same shape), converting layout if needed; returns `a`.
/// Used where one tensor feeds two layers.
public func accumulateGradient(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  guard a.shape == b.shape else {
    throw DeepCellError(
      .badData, "gradient", "cannot merge gradients of shapes \(a.shape) and \(b.shape)")
  }
  let bb = try b.layout == a.layout ? b : b.converted(to: a.layout)
  Add.sum(a.storage, bb.storage, into: a.storage)
  return a
}
