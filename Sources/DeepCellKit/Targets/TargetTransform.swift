import Foundation

/// One training target computed from an instance-label image (augment.md §5): the names
/// and parameters of DeepCell's `_transform_masks` transforms.
public enum TargetTransform: Sendable, Equatable {
  /// `inner-distance`: ``InnerDistanceTransform``; `bins` one-hot encodes it (``DistanceBins``).
  case innerDistance(alpha: InnerDistanceAlpha, beta: Double, erosionWidth: Int, bins: Int?)
  /// `outer-distance`: ``OuterDistanceTransform``; `bins` one-hot encodes it.
  case outerDistance(erosionWidth: Int, bins: Int?)
  /// `fgbg`: ``ForegroundBackgroundTransform``.
  case fgbg
  /// `pixelwise`: ``PixelwiseTransform``.
  case pixelwise(dilationRadius: Int?, separateEdgeClasses: Bool)

  /// The seed notebook's inner-distance (α auto, β 1, no erosion).
  public static let notebookInner = TargetTransform.innerDistance(
    alpha: .auto, beta: 1, erosionWidth: 0, bins: nil)
  /// The seed notebook's outer-distance (erosion 1).
  public static let notebookOuter = TargetTransform.outerDistance(erosionWidth: 1, bins: nil)
  /// The seed notebook's transform list: inner-distance, outer-distance, fgbg (augment.md §1).
  public static let notebookDefaults: [TargetTransform] = [notebookInner, notebookOuter, .fgbg]

  /// The array name of this target in a bundle (design.md "Named arrays").
  public var arrayName: String {
    switch self {
    case .innerDistance: return ArrayName.innerDistance
    case .outerDistance: return ArrayName.outerDistance
    case .fgbg: return ArrayName.fgbg
    case .pixelwise: return "pixelwise"
    }
  }

  /// Channels of the target per pixel.
  public var channelCount: Int {
    switch self {
    case .innerDistance(_, _, _, let bins), .outerDistance(_, let bins): return bins ?? 1
    case .fgbg: return 2
    case .pixelwise(_, let separate):
      return PixelwiseTransform.channelCount(separateEdgeClasses: separate)
    }
  }

  /// float32 for the continuous distance maps, uint8 for one-hot maps.
  public var dtype: DType {
    switch self {
    case .innerDistance(_, _, _, let bins), .outerDistance(_, let bins):
      return bins == nil ? .float32 : .uint8
    case .fgbg, .pixelwise: return .uint8
    }
  }

  /// Checks the parameters; throws a usage error naming the bad one.
  public func validate() throws {
    switch self {
    case .innerDistance(let alpha, let beta, let erosion, let bins):
      if case .fixed(let a) = alpha, !(a.isFinite && a >= 0) {
        throw DeepCellError(
          .usage, "inner-distance alpha", "must be 'auto' or a finite number ≥ 0, got \(a)")
      }
      guard beta.isFinite && beta >= 0 else {
        throw DeepCellError(
          .usage, "inner-distance beta", "must be a finite number ≥ 0, got \(beta)")
      }
      try Self.check(erosion: erosion, bins: bins, name: "inner-distance")
    case .outerDistance(let erosion, let bins):
      try Self.check(erosion: erosion, bins: bins, name: "outer-distance")
    case .fgbg:
      break
    case .pixelwise(let radius, _):
      if let radius, radius < 0 {
        throw DeepCellError(.usage, "pixelwise dilation radius", "must be ≥ 0, got \(radius)")
      }
    }
  }

  private static func check(erosion: Int, bins: Int?, name: String) throws {
    guard erosion >= 0 else {
      throw DeepCellError(.usage, "\(name) erosion width", "must be ≥ 0, got \(erosion)")
    }
    if let bins, bins < 2 || bins > 255 {
      throw DeepCellError(.usage, "\(name) distance bins", "must be between 2 and 255, got \(bins)")
    }
  }

  /// Computes the target of one row-major `height`×`width` label frame into `out`, which
  /// holds `height·width·channelCount` elements of ``dtype``.
  public func compute(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int,
    into out: UnsafeMutableRawBufferPointer
  ) {
    let n = height * width
    switch self {
    case .innerDistance(let alpha, let beta, let erosion, let bins):
      withDistanceOutput(n: n, bins: bins, out: out) { d in
        InnerDistanceTransform.compute(
          labels: labels, height: height, width: width, alpha: alpha, beta: beta,
          erosionWidth: erosion,
          into: d)
      }
    case .outerDistance(let erosion, let bins):
      withDistanceOutput(n: n, bins: bins, out: out) { d in
        OuterDistanceTransform.compute(
          labels: labels, height: height, width: width, erosionWidth: erosion, into: d)
      }
    case .fgbg:
      ForegroundBackgroundTransform.compute(
        labels: labels, height: height, width: width, into: out.bindMemory(to: UInt8.self))
    case .pixelwise(let radius, let separate):
      PixelwiseTransform.compute(
        labels: labels, height: height, width: width, dilationRadius: radius,
        separateEdgeClasses: separate,
        into: out.bindMemory(to: UInt8.self))
    }
  }

  private func withDistanceOutput(
    n: Int, bins: Int?, out: UnsafeMutableRawBufferPointer,
    _ body: (UnsafeMutableBufferPointer<Float>) -> Void
  ) {
    guard let bins else {
      body(out.bindMemory(to: Float.self))
      return
    }
    let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
    defer { values.deallocate() }
    body(UnsafeMutableBufferPointer(rebasing: values[0..<n]))
    DistanceBins.oneHot(
      UnsafeBufferPointer(rebasing: values[0..<n]), bins: bins, into: out.bindMemory(to: UInt8.self)
    )
  }

  /// The target of every frame of a label stack — `(N, H, W, 1)`, `(N, H, W)` or a single
  /// `(H, W)` image — as an `(N, H, W, channelCount)` array; frames run in parallel on
  /// `threads` workers (0: `Parallel.defaultThreads`; the result does not depend on it).
  /// Throws `badData` for labels
  /// that are not integers, negative, above the int32 range, or have more than one channel.
  public func apply(to labels: NDArray, subject: String = ArrayName.labels, threads: Int = 0) throws
    -> NDArray
  {
    try validate()
    let stack = try LabelStack(labels, subject: subject)
    return compute(on: stack, threads: threads)
  }

  /// The target of every frame of a validated label stack.
  public func compute(on stack: LabelStack, threads: Int = 0) -> NDArray {
    let ch = channelCount
    var out = NDArray(zeros: [stack.frames, stack.height, stack.width, ch], dtype: dtype)
    let frameBytes = stack.height * stack.width * ch * dtype.size
    let frameCount = stack.frames
    out.bytes.withUnsafeMutableBytes { raw in
      let base = UnsafeMutableRawBufferPointer(raw)
      stack.values.withUnsafeBufferPointer { all in
        Parallel.forEach(frameCount, threads: threads > 0 ? threads : nil) { f in
          let frame = UnsafeBufferPointer(
            rebasing: all[(f * stack.frameSize)..<((f + 1) * stack.frameSize)])
          let dst = UnsafeMutableRawBufferPointer(
            rebasing: base[(f * frameBytes)..<((f + 1) * frameBytes)])
          compute(labels: frame, height: stack.height, width: stack.width, into: dst)
        }
      }
    }
    return out
  }
}
