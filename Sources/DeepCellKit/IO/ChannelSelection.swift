/// A stack reader that keeps only some channels of another, in the order given (0-based), as
/// Fiji's "Arrange Channels" or Cellpose's `--chan` do: `[0]` makes a one-channel stack of an
/// RGB(A) image whose channels are equal, as the DSB-2018 PNGs are.
public final class ChannelSelectingReader: StackReader {
  /// The reader whose channels are selected.
  public let base: any StackReader
  /// The kept channel indices of `base`, in output order.
  public let channels: [Int]

  /// Keeps `channels` of `base`. Throws `.usage` naming `subject` when an index is outside
  /// the input's channels or the list is empty.
  public init(_ base: any StackReader, channels: [Int], subject: String) throws {
    let c = base.frameShape[2]
    guard !channels.isEmpty else {
      throw DeepCellError(.usage, subject, "no channel selected")
    }
    if let bad = channels.first(where: { $0 < 0 || $0 >= c }) {
      throw DeepCellError(
        .usage, subject, "has \(c) channel(s) (0…\(c - 1)); channel \(bad) does not exist")
    }
    self.base = base
    self.channels = channels
  }

  public var frameCount: Int { base.frameCount }
  public var frameShape: [Int] { [base.frameShape[0], base.frameShape[1], channels.count] }
  public var dtype: DType { base.dtype }
  public var metadata: StackMetadata { base.metadata }

  /// Frame `index` with only the selected channels (bytes copied element by element).
  public func readFrame(_ index: Int) throws -> NDArray {
    let frame = try base.readFrame(index)
    let c = base.frameShape[2]
    if channels == Array(0..<c) { return frame }
    let size = dtype.size
    let pixels = frameShape[0] * frameShape[1]
    let k = channels.count
    var out = [UInt8](repeating: 0, count: pixels * k * size)
    frame.bytes.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for p in 0..<pixels {
          for (j, ch) in channels.enumerated() {
            let from = (p * c + ch) * size
            let to = (p * k + j) * size
            for b in 0..<size { dst[to + b] = src[from + b] }
          }
        }
      }
    }
    return NDArray(shape: frameShape, dtype: dtype, bytes: out)
  }
}
