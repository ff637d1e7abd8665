import Foundation

/// Memory layout of a 4-D activation tensor (oneDNN names, backend.md §3).
public enum TensorLayout: Sendable, Hashable {
  /// Plain N×C×H×W, C order.
  case nchw
  /// Blocked N×⌈C/b⌉×H×W×b: b channels interleaved per pixel, the layout oneDNN's JIT
  /// convolutions read and write — b = 16 (`nChw16c`) on AVX-512, 8 (`nChw8c`) on AVX2;
  /// see ``TensorLayout/channelBlock``.
  case blocked

  /// Channels per block of the blocked layout on this CPU, as oneDNN's convolution picks it
  /// (16 with AVX-512, 8 with AVX2; 1 when oneDNN wants plain tensors).
  public static let channelBlock: Int = DNNLEngine.preferredChannelBlock

  /// Channels per block: 1 for `nchw`, ``channelBlock`` for `blocked`.
  @inline(__always) public var blockSize: Int { self == .nchw ? 1 : Self.channelBlock }

  /// The layout the engine keeps a tensor of `channels` channels in: blocked when the channel
  /// count is a multiple of the block (no padding lanes to keep at zero), plain otherwise.
  public static func preferred(channels: Int) -> TensorLayout {
    channelBlock > 1 && channels % channelBlock == 0 ? .blocked : .nchw
  }
}

/// The extents of a 4-D activation tensor: batch, channels, height, width.
public struct TensorShape: Sendable, Hashable, CustomStringConvertible {
  /// Batch size.
  public var n: Int
  /// Channels.
  public var c: Int
  /// Height.
  public var h: Int
  /// Width.
  public var w: Int

  /// Creates a shape (N, C, H, W).
  public init(_ n: Int, _ c: Int, _ h: Int, _ w: Int) {
    self.n = n
    self.c = c
    self.h = h
    self.w = w
  }

  /// Number of logical elements N·C·H·W.
  public var count: Int { n * c * h * w }

  /// `N×C×H×W`.
  public var description: String { "\(n)×\(c)×\(h)×\(w)" }
}

/// A float32 activation tensor N×C×H×W in a plain or blocked layout (``TensorLayout``).
///
/// Element (n, c, h, w) lives at `((n·CB + c/b)·H + h)·W + w)·b + c mod b`, b = block size,
/// CB = ⌈C/b⌉; so `nchw` is the b = 1 case of the same formula.
public final class Tensor {
  /// Logical extents.
  public let shape: TensorShape
  /// Memory layout.
  public let layout: TensorLayout
  /// The elements, including zero channel padding in the blocked layout.
  public let storage: FloatBuffer

  /// A zero tensor.
  ///
  /// - Throws: ``DeepCellError``: `badData` (exit 65) when the element count overflows `Int`,
  ///   `io` (exit 74) when the elements cannot be allocated (the extents come from batch size,
  ///   crop, frame size or a model file, so may be impossibly large).
  public init(_ shape: TensorShape, layout: TensorLayout) throws {
    self.shape = shape
    self.layout = layout
    let b = layout.blockSize
    var count = 1
    var overflow = false
    for extent in [shape.n, (shape.c + b - 1) / b * b, shape.h, shape.w] {
      let (product, over) = count.multipliedReportingOverflow(by: extent)
      count = product
      overflow = overflow || over
    }
    guard !overflow else {
      throw DeepCellError(
        .badData, "memory", "a tensor of \(shape) has more elements than Int holds")
    }
    storage = try FloatBuffer(count: count)
  }

  /// A zero tensor in the preferred layout for its channel count.
  ///
  /// - Throws: ``DeepCellError`` (`io`) as ``init(_:layout:)``.
  public convenience init(_ shape: TensorShape) throws {
    try self.init(shape, layout: .preferred(channels: shape.c))
  }

  /// A tensor filled from plain NCHW values.
  ///
  /// - Throws: ``DeepCellError`` (`io`) as ``init(_:layout:)``.
  public convenience init(_ shape: TensorShape, nchw values: [Float], layout: TensorLayout? = nil)
    throws
  {
    precondition(values.count == shape.count, "\(values.count) values do not fill \(shape)")
    try self.init(shape, layout: layout ?? .preferred(channels: shape.c))
    values.withUnsafeBufferPointer { setNCHW($0) }
  }

  /// Block size of the layout.
  @inline(__always) public var blockSize: Int { layout.blockSize }
  /// Number of channel blocks ⌈C/b⌉.
  @inline(__always) public var channelBlocks: Int { (shape.c + blockSize - 1) / blockSize }
  /// Raw pointer to the first element.
  @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.pointer }

  /// Storage offset of element (n, c, h, w).
  @inline(__always) public func offset(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Int {
    let b = blockSize
    return (((n * channelBlocks + c / b) * shape.h + h) * shape.w + w) * b + c % b
  }

  /// Copies plain NCHW values in.
  public func setNCHW(_ values: UnsafeBufferPointer<Float>) {
    let s = shape
    if layout == .nchw {
      data.update(from: values.baseAddress!, count: s.count)
      return
    }
    forEachNCHW { i, o in data[o] = values[i] }
  }

  /// The elements in plain NCHW order.
  public func nchwValues() -> [Float] {
    let s = shape
    if layout == .nchw { return Array(UnsafeBufferPointer(start: data, count: s.count)) }
    var out = [Float](repeating: 0, count: s.count)
    forEachNCHW { i, o in out[i] = data[o] }
    return out
  }

  /// Calls `body(i, o)` for every element in plain NCHW order: `i` its NCHW index, `o` its
  /// offset in `data` under this tensor's layout.
  @inline(__always)
  private func forEachNCHW(_ body: (_ i: Int, _ o: Int) -> Void) {
    let s = shape
    var i = 0
    for n in 0..<s.n {
      for c in 0..<s.c {
        for h in 0..<s.h {
          var o = offset(n, c, h, 0)
          for _ in 0..<s.w {
            body(i, o)
            i += 1
            o += blockSize
          }
        }
      }
    }
  }

  /// A copy in another layout.
  ///
  /// - Throws: ``DeepCellError`` (`io`) when the copy cannot be allocated.
  public func converted(to newLayout: TensorLayout) throws -> Tensor {
    if newLayout == layout { return try copy() }
    let values = nchwValues()
    return try Tensor(shape, nchw: values, layout: newLayout)
  }

  /// An independent copy.
  ///
  /// - Throws: ``DeepCellError`` (`io`) when the copy cannot be allocated.
  public func copy() throws -> Tensor {
    let t = try Tensor(shape, layout: layout)
    t.storage.copy(from: storage)
    return t
  }

  /// The tensor as a channels-last NDArray (N, H, W, C) float32, design.md's axis contract.
  public func toNHWC() -> NDArray {
    let s = shape
    let plain = nchwValues()
    var out = [Float](repeating: 0, count: s.count)
    for n in 0..<s.n {
      for c in 0..<s.c {
        for h in 0..<s.h {
          for w in 0..<s.w {
            out[((n * s.h + h) * s.w + w) * s.c + c] = plain[((n * s.c + c) * s.h + h) * s.w + w]
          }
        }
      }
    }
    return NDArray(shape: [s.n, s.h, s.w, s.c], values: out)
  }

  /// A tensor from a channels-last stack (N, H, W, C) of any numeric dtype (converted to
  /// float32); a rank-2 or rank-3 array is read as one channel.
  public static func fromNHWC(_ array: NDArray, subject: String = "input") throws -> Tensor {
    guard let stack = array.asStack() else {
      throw DeepCellError(
        .badData, subject, "expected an image stack (N, H, W, C), got shape \(array.shape)")
    }
    let (n, h, w, c) = (stack.shape[0], stack.shape[1], stack.shape[2], stack.shape[3])
    guard n > 0, h > 0, w > 0, c > 0 else {
      throw DeepCellError(.badData, subject, "empty image stack of shape \(array.shape)")
    }
    let values = stack.floats()
    var plain = [Float](repeating: 0, count: values.count)
    for i in 0..<n {
      for y in 0..<h {
        for x in 0..<w {
          for ch in 0..<c {
            plain[((i * c + ch) * h + y) * w + x] = values[((i * h + y) * w + x) * c + ch]
          }
        }
      }
    }
    return try Tensor(TensorShape(n, c, h, w), nchw: plain)
  }
}
