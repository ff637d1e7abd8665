/// Channel concatenation of two tensors with equal N, H, W (Keras `Concatenate(axis=-1)`):
/// y channels = [a's channels, b's channels]; backward splits dy the same way.
/// When both inputs and the output are blocked (channel counts multiples of 16) or all plain,
/// it is a copy of whole channel runs.
public final class Concatenate {
  /// Layer name.
  public let name: String
  private var output = TensorSlot()
  private var gradA = TensorSlot()
  private var gradB = TensorSlot()
  private var saved: (TensorShape, TensorLayout, TensorShape, TensorLayout)?

  /// A concatenation layer.
  public init(name: String) { self.name = name }

  public func forward(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let sa = a.shape
    let sb = b.shape
    guard sa.n == sb.n, sa.h == sb.h, sa.w == sb.w else {
      throw DeepCellError(
        .badData, name, "cannot concatenate \(sa) and \(sb): batch or spatial sizes differ")
    }
    let os = TensorShape(sa.n, sa.c + sb.c, sa.h, sa.w)
    let y = try output.get(os, .preferred(channels: os.c))
    Self.copyChannels(from: a, into: y, channelOffset: 0, toOutput: true)
    Self.copyChannels(from: b, into: y, channelOffset: sa.c, toOutput: true)
    saved = (sa, a.layout, sb, b.layout)
    return y
  }

  /// (∂L/∂a, ∂L/∂b).
  public func backward(_ dy: Tensor) throws -> (Tensor, Tensor) {
    guard let (sa, la, sb, lb) = saved else {
      throw DeepCellError(.usage, name, "backward called before forward")
    }
    try requireShape(dy.shape, TensorShape(sa.n, sa.c + sb.c, sa.h, sa.w), name)
    let da = try gradA.get(sa, la)
    let db = try gradB.get(sb, lb)
    Self.copyChannels(from: da, into: dy, channelOffset: 0, toOutput: false)
    Self.copyChannels(from: db, into: dy, channelOffset: sa.c, toOutput: false)
    return (da, db)
  }

  /// Copies part ↔ whole[channels offset..<offset+part.c]: into the whole when `toOutput`,
  /// else out of it into the part.
  static func copyChannels(
    from part: Tensor, into whole: Tensor, channelOffset: Int, toOutput: Bool
  ) {
    let s = part.shape
    let hw = s.h * s.w
    let fast =
      part.layout == whole.layout
      && (part.layout == .nchw
        || (channelOffset % part.blockSize == 0 && s.c % part.blockSize == 0))
    if fast {
      let b = part.blockSize
      let partRun = part.channelBlocks * hw * b
      let wholeRun = whole.channelBlocks * hw * b
      let offset = channelOffset / b * hw * b
      NNThreads.parallelFor(s.n) { n in
        let p = part.data + n * partRun
        let w = whole.data + n * wholeRun + offset
        if toOutput { w.update(from: p, count: partRun) } else { p.update(from: w, count: partRun) }
      }
      return
    }
    for n in 0..<s.n {
      for c in 0..<s.c {
        for h in 0..<s.h {
          for x in 0..<s.w {
            let po = part.offset(n, c, h, x)
            let wo = whole.offset(n, c + channelOffset, h, x)
            if toOutput { whole.data[wo] = part.data[po] } else { part.data[po] = whole.data[wo] }
          }
        }
      }
    }
  }
}
