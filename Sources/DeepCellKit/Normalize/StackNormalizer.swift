import Foundation

/// Applies a ``PlaneNormalization`` to every (frame, channel) plane of a stack, as DeepCell's
/// pre-processing functions loop `for batch … for channel …` (normalize.md, introduction):
/// input of any numeric dtype is cast to float32 (numpy `astype('float32')`), output is
/// float32 of the same shape.
///
/// Work is spread over planes when there are at least as many planes as workers, else
/// inside each plane; either way each plane's result is independent of the worker count.
public struct StackNormalizer: Sendable {
  /// The per-plane normalization.
  public var method: any PlaneNormalization

  /// A normalizer applying `method`.
  public init(_ method: any PlaneNormalization) { self.method = method }

  /// Normalizes equally shaped frames `(height, width, channels)` (or `(height, width)`)
  /// into float32 frames of the same shape. `firstFrameIndex` numbers the frames in error
  /// messages; `subject` (a file or array name) is the error subject. Throws
  /// ``DeepCellError`` (`badData`) for NaN or infinite values or frames of another shape.
  public func normalize(
    frames: [NDArray], subject: String, firstFrameIndex: Int = 0, threads: Int? = nil
  ) throws -> [NDArray] {
    guard let first = frames.first else { return [] }
    let shape = first.shape
    guard shape.count == 2 || shape.count == 3 else {
      throw DeepCellError(
        .badData, subject, "a frame must be height × width [× channels], not shape \(shape)")
    }
    for (k, frame) in frames.enumerated() where frame.shape != shape {
      throw DeepCellError(
        .badData, subject,
        "frame \(firstFrameIndex + k) has shape \(frame.shape), expected \(shape)")
    }
    let height = shape[0]
    let width = shape[1]
    let channels = shape.count == 3 ? shape[2] : 1
    let planeSize = height * width
    let workers = max(1, threads ?? Parallel.defaultThreads)

    // Cast to float32, then check every value is finite.
    let inputs: [[Float]] = try Parallel.map(frames.count, threads: workers) { f in
      let values = frames[f].floats()
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw DeepCellError(
          .badData, subject,
          "frame \(firstFrameIndex + f), channel \(bad % channels) holds \(values[bad]) (NaN and infinity cannot be normalized)"
        )
      }
      return values
    }

    var outputs = [[Float]](repeating: [], count: frames.count)
    let planes = frames.count * channels
    let planeWorkers = planes >= workers ? workers : 1
    let innerWorkers = planes >= workers ? 1 : workers
    let method = self.method
    let sourceType = first.dtype
    let results = OutputSlots(outputs.count)
    try Parallel.forEach(planes, threads: planeWorkers) { p in
      let f = p / channels
      let c = p % channels
      var plane: [Float]
      if channels == 1 {
        plane = inputs[f]
      } else {
        plane = [Float](repeating: 0, count: planeSize)
        inputs[f].withUnsafeBufferPointer { src in
          for i in 0..<planeSize { plane[i] = src[i * channels + c] }
        }
      }
      var normalized = [Float](repeating: 0, count: planeSize)
      try plane.withUnsafeBufferPointer { src in
        try normalized.withUnsafeMutableBufferPointer { dst in
          try method.normalize(
            src, height: height, width: width, sourceType: sourceType, into: dst,
            threads: innerWorkers)
        }
      }
      results.store(normalized, frame: f, channel: c, channels: channels)
    }
    results.collect(into: &outputs, channels: channels, planeSize: planeSize)
    return outputs.map { NDArray(shape: shape, values: $0) }
  }

  /// Normalizes a whole stack: rank 2 `(H, W)`, 3 `(N, H, W)` or 4 `(N, H, W, C)`, as
  /// ``normalize(frames:subject:firstFrameIndex:threads:)`` does frame by frame. The result
  /// is float32 with the input's shape.
  public func normalize(stack: NDArray, subject: String, threads: Int? = nil) throws -> NDArray {
    guard let stack4 = stack.asStack() else {
      throw DeepCellError(
        .badData, subject, "expected an image stack of rank 2 to 4, not shape \(stack.shape)")
    }
    let frameCount = stack4.shape[0]
    if frameCount == 0 { return NDArray(zeros: stack.shape, dtype: .float32) }
    let frames = (0..<frameCount).map { stack4.frame($0) }
    let normalized = try normalize(frames: frames, subject: subject, threads: threads)
    return NDArray.stacking(normalized)!.reshaped(stack.shape)
  }
}

/// Collects normalized planes from the workers (each (frame, channel) slot written once).
private final class OutputSlots: @unchecked Sendable {
  private var planes: [[[Float]]]
  private let lock = NSLock()

  init(_ frames: Int) { planes = Array(repeating: [], count: frames) }

  func store(_ plane: [Float], frame: Int, channel: Int, channels: Int) {
    lock.withLock {
      if planes[frame].isEmpty { planes[frame] = Array(repeating: [], count: channels) }
      planes[frame][channel] = plane
    }
  }

  /// Interleaves the channels back into `(H, W, C)` frames.
  func collect(into outputs: inout [[Float]], channels: Int, planeSize: Int) {
    for f in outputs.indices {
      if channels == 1 {
        outputs[f] = planes[f][0]
        continue
      }
      outputs[f] = [Float](repeating: 0, count: planeSize * channels)
      outputs[f].withUnsafeMutableBufferPointer { dst in
        for c in 0..<channels {
          planes[f][c].withUnsafeBufferPointer { src in
            for i in 0..<planeSize { dst[i * channels + c] = src[i] }
          }
        }
      }
    }
  }
}
