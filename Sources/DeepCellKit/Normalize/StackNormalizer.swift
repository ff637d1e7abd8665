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
    for (k, frame) in frames.enumerated() where frame.shape != shape || frame.dtype != first.dtype {
      throw DeepCellError(
        .badData, subject,
        "frame \(firstFrameIndex + k) is \(frame.dtype) \(frame.shape), expected \(first.dtype) \(shape)"
      )
    }
    let frameSize = first.count
    var input = [Float]()
    input.reserveCapacity(frameSize * frames.count)
    for frame in frames {
      // float32 frames are appended from their bytes, without an intermediate [Float] copy.
      if frame.dtype == .float32 {
        frame.withUnsafeBufferPointer(Float.self) { input.append(contentsOf: $0) }
      } else {
        input.append(contentsOf: frame.floats())
      }
    }
    var output = [Float](repeating: 0, count: input.count)
    try input.withUnsafeBufferPointer { src in
      try output.withUnsafeMutableBufferPointer { dst in
        try normalizePlanes(
          src, frames: frames.count, height: shape[0], width: shape[1],
          channels: shape.count == 3 ? shape[2] : 1, sourceType: first.dtype, into: dst,
          subject: subject, firstFrameIndex: firstFrameIndex, threads: threads)
      }
    }
    // Each frame's bytes copied once from the batch output (not via an intermediate [Float]).
    return output.withUnsafeBytes { raw in
      (0..<frames.count).map {
        let bytes = frameSize * MemoryLayout<Float>.size
        return NDArray(
          shape: shape, dtype: .float32,
          bytes: [UInt8](UnsafeRawBufferPointer(rebasing: raw[($0 * bytes)..<(($0 + 1) * bytes)])))
      }
    }
  }

  /// Normalizes a whole stack: rank 2 `(H, W)`, 3 `(N, H, W)` or 4 `(N, H, W, C)`, as
  /// ``normalize(frames:subject:firstFrameIndex:threads:)`` does frame by frame. The result
  /// is float32 with the input's shape.
  public func normalize(stack: NDArray, subject: String, threads: Int? = nil) throws -> NDArray {
    guard let stack4 = stack.asStack() else {
      throw DeepCellError(
        .badData, subject, "expected an image stack of rank 2 to 4, not shape \(stack.shape)")
    }
    let dims = stack4.shape
    var output = NDArray(zeros: stack.shape, dtype: .float32)
    let body = { (src: UnsafeBufferPointer<Float>) throws in
      try output.withUnsafeMutableBufferPointer(Float.self) { dst in
        try normalizePlanes(
          src, frames: dims[0], height: dims[1], width: dims[2], channels: dims[3],
          sourceType: stack.dtype, into: dst, subject: subject, firstFrameIndex: 0, threads: threads
        )
      }
    }
    if stack.dtype == .float32 {
      try stack.withUnsafeBufferPointer(Float.self, body)
    } else {
      try stack.floats().withUnsafeBufferPointer(body)
    }
    return output
  }

  /// The core: `frames` contiguous `(height, width, channels)` float32 frames in `input`,
  /// normalized plane by plane into `output`.
  func normalizePlanes(
    _ input: UnsafeBufferPointer<Float>, frames: Int, height: Int, width: Int, channels: Int,
    sourceType: DType, into output: UnsafeMutableBufferPointer<Float>, subject: String,
    firstFrameIndex: Int, threads: Int?
  ) throws {
    let planeSize = height * width
    let planes = frames * channels
    guard planes > 0, planeSize > 0 else { return }
    let workers = max(1, threads ?? Parallel.defaultThreads)
    let planeWorkers = planes >= workers ? workers : 1
    let innerWorkers = planes >= workers ? 1 : workers
    let method = self.method
    try Parallel.forEach(planes, threads: planeWorkers) { p in
      let f = p / channels
      let c = p % channels
      let frameStart = f * planeSize * channels
      // A plane: the frame itself for one channel, else a gathered copy.
      let gathered: UnsafeMutableBufferPointer<Float>? =
        channels == 1 ? nil : .allocate(capacity: planeSize)
      let result: UnsafeMutableBufferPointer<Float> =
        channels == 1
        ? UnsafeMutableBufferPointer(rebasing: output[frameStart..<(frameStart + planeSize)])
        : .allocate(capacity: planeSize)
      defer {
        if channels != 1 {
          gathered?.deallocate()
          result.deallocate()
        }
      }
      let plane: UnsafeBufferPointer<Float>
      if let gathered {
        for i in 0..<planeSize { gathered[i] = input[frameStart + i * channels + c] }
        plane = UnsafeBufferPointer(gathered)
      } else {
        plane = UnsafeBufferPointer(rebasing: input[frameStart..<(frameStart + planeSize)])
      }
      if !PlaneExtremes.allFinite(plane), let i = plane.firstIndex(where: { !$0.isFinite }) {
        throw DeepCellError(
          .badData, subject,
          "frame \(firstFrameIndex + f), channel \(c) holds \(plane[i]) (NaN and infinity cannot be normalized)"
        )
      }
      try method.normalize(
        plane, height: height, width: width, sourceType: sourceType, into: result,
        threads: innerWorkers)
      if channels != 1 {
        for i in 0..<planeSize { output[frameStart + i * channels + c] = result[i] }
      }
    }
  }
}
