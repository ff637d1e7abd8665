import Foundation

/// DeepCell's `CroppingDataGenerator.flow(...)` as a Swift value (augment.md §2–§6): an
/// endless stream of augmented samples from an image stack and its label stack.
///
/// - Images with fewer than `minObjects` objects (`#distinct label values − 1`, the
///   reference's count) are dropped once, at construction.
/// - The stream runs in passes over the kept images, each pass in a fresh random order
///   (``AugmentationSettings/shuffle``). Sample s of the stream draws its transform from its
///   own random stream `(seed, s)`, so a sample does not depend on batch sizes or on the
///   thread count, and `--seed` reproduces every bit.
/// - Per sample: targets of the full label image, then crop → warp → flips of the image
///   (``AugmentationSettings/interpolationOrder``), of the 1-channel targets (same order) and
///   of the one-hot targets and labels (nearest). A sample showing fewer than `minObjects`
///   objects is redrawn, at most ``AugmentationSettings/maxDraws`` times, then an error.
public struct AugmentationGenerator {
  /// The augmentation settings.
  public let settings: AugmentationSettings
  /// The seed of every random draw.
  public let seed: UInt64
  /// Workers for a batch (0: `Parallel.defaultThreads`); the output does not depend on it.
  public var threads: Int
  /// Input frame index of each kept image (after the min-objects filter).
  public let keptIndices: [Int]
  /// Samples produced so far: the position in the sample stream.
  public private(set) var position = 0

  let height: Int, width: Int, channels: Int
  let images: [Float]
  let labels: LabelStack
  /// Per target, the targets of all kept images when they fit the memory budget.
  let precomputedTargets: [NDArray]?
  /// The budget the stack, the precomputed targets and every batch are taken from.
  let budget: MemoryBudget
  /// The kept stack's and the precomputed targets' share of ``budget``.
  let reservations: [MemoryBudget.Reservation]
  var permutation: (pass: Int, order: [Int]) = (-1, [])

  /// Memory allowed for precomputed targets; above it (or above what `budget` has left)
  /// targets are computed per sample.
  static let precomputeBudget = 1 << 30

  /// A generator over `images` (N, H, W, C) — any numeric dtype, used as float32 — and
  /// `labels` (N, H, W, 1) integers. Throws `badData` for labels that are not integers,
  /// stacks whose frame count or size differ, or when no image has `minObjects` objects;
  /// `usage` for invalid settings or a crop that does not fit; `io` when the kept images and
  /// labels (float32 and int32 copies) do not fit `budget`, which every batch then draws on.
  public init(
    images: NDArray, labels: NDArray, settings: AugmentationSettings = AugmentationSettings(),
    seed: UInt64 = 0,
    threads: Int = 0, budget: MemoryBudget = .process
  ) throws {
    try settings.validate()
    guard let x = images.asStack(), images.dtype != .bool else {
      throw DeepCellError(
        .badData, ArrayName.image,
        "expected an image stack (N, H, W, C) of numbers, got \(images.dtype) \(images.shape)")
    }
    let y = try LabelStack(labels)
    guard x.shape[0] == y.frames else {
      throw DeepCellError(
        .badData, ArrayName.labels,
        "X has \(x.shape[0]) frames but y has \(y.frames); they must match")
    }
    guard x.shape[1] == y.height && x.shape[2] == y.width else {
      throw DeepCellError(
        .badData, ArrayName.labels,
        "X frames are \(x.shape[1])x\(x.shape[2]) but y frames are \(y.height)x\(y.width); they must match"
      )
    }
    guard x.shape[3] > 0 else {
      throw DeepCellError(.badData, ArrayName.image, "X has no channels")
    }
    if let crop = settings.cropSize {
      try RandomTransformParameters.checkCrop(crop, height: y.height, width: y.width)
    }
    // augment.md §2: drop images with (#distinct values − 1) < min_objects.
    var kept: [Int] = []
    for f in 0..<y.frames {
      let frame = y.values[(f * y.frameSize)..<((f + 1) * y.frameSize)]
      if Set(frame).count - 1 >= settings.minObjects { kept.append(f) }
    }
    guard !kept.isEmpty else {
      throw DeepCellError(
        .badData, ArrayName.labels,
        "no image has at least \(settings.minObjects) object\(settings.minObjects == 1 ? "" : "s") (min objects); nothing to augment"
      )
    }
    let stackBytes = byteCount([kept.count, y.height, y.width, x.shape[3] + 1, 4]) ?? .max
    var reservations = [try budget.reserve(stackBytes, for: "augmentation images and labels")]
    self.settings = settings
    self.seed = seed
    self.threads = threads
    self.budget = budget
    keptIndices = kept
    height = y.height
    width = y.width
    channels = x.shape[3]
    let allImages = x.floats()
    let frameImage = height * width * channels
    if kept.count == y.frames {
      self.images = allImages
      self.labels = y
    } else {
      var imgs: [Float] = []
      var labs: [Int32] = []
      imgs.reserveCapacity(kept.count * frameImage)
      labs.reserveCapacity(kept.count * y.frameSize)
      for f in kept {
        imgs += allImages[(f * frameImage)..<((f + 1) * frameImage)]
        labs += y.values[(f * y.frameSize)..<((f + 1) * y.frameSize)]
      }
      self.images = imgs
      self.labels = LabelStack(frames: kept.count, height: height, width: width, values: labs)
    }
    let targetBytes =
      settings.targets.reduce(0) { $0 + $1.channelCount * $1.dtype.size } * height * width
      * kept.count
    if targetBytes <= AugmentationGenerator.precomputeBudget,
      let reservation = try? budget.reserve(targetBytes, for: "precomputed targets")
    {
      reservations.append(reservation)
      let stack = self.labels
      precomputedTargets = settings.targets.map { $0.compute(on: stack, threads: threads) }
    } else {
      precomputedTargets = nil
    }
    self.reservations = reservations
  }

  /// Images the stream cycles through (kept after the min-objects filter).
  public var sampleCount: Int { keptIndices.count }

  /// Output size (rows, columns) of every sample.
  public var outputSize: (height: Int, width: Int) {
    guard let crop = settings.cropSize else { return (height, width) }
    return (crop[0], crop[1])
  }

  /// Moves the stream to `position` (0 restarts it).
  public mutating func seek(to position: Int) {
    precondition(position >= 0, "negative stream position")
    self.position = position
  }

  /// The next batch as Keras' iterator makes it: up to `size` samples, never crossing the
  /// end of a pass, so the last batch of a pass may be shorter (augment.md §6).
  public mutating func nextBatch(size: Int) throws -> AugmentedBatch {
    try nextSamples(nextBatchCount(size: size))
  }

  /// The next `count` samples of the stream, continuing across passes.
  public mutating func nextSamples(_ count: Int) throws -> AugmentedBatch {
    guard count >= 0 else {
      throw DeepCellError(.usage, "sample count", "must be ≥ 0, got \(count)")
    }
    var sources: [Int] = []
    sources.reserveCapacity(count)
    for s in position..<(position + count) { sources.append(source(ofPosition: s)) }
    let batch = try render(positions: position, sources: sources)
    position += count
    return batch
  }

  /// The kept-image index of stream position `s` (serial: permutations are drawn per pass).
  mutating func source(ofPosition s: Int) -> Int {
    let n = sampleCount
    let pass = s / n
    guard settings.shuffle else { return s % n }
    if permutation.pass != pass {
      var random = AugmentationRandom(seed: seed, stream: 1, index: UInt64(pass))
      permutation = (pass, random.permutation(n))
    }
    return permutation.order[s % n]
  }

  /// Renders samples `first ..< first + sources.count` in parallel.
  func render(positions first: Int, sources: [Int]) throws -> AugmentedBatch {
    let b = sources.count
    let (oh, ow) = outputSize
    let outPixels = oh * ow
    // The batch's arrays, held by the batch, and the raw buffers they are copied from.
    let sampleBytes =
      channels * 4 + 4 + settings.targets.reduce(0) { $0 + $1.channelCount * $1.dtype.size }
    let batchBytes = byteCount([b, outPixels, sampleBytes]) ?? .max
    let reservation = try budget.reserve(batchBytes, for: "\(b) augmented samples")
    try budget.check(batchBytes, for: "\(b) augmented samples")
    // Raw output buffers, one slot per sample, written by the parallel workers.
    func buffer(_ bytes: Int) -> UnsafeMutableRawBufferPointer {
      let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 1), alignment: 16)
      p.initializeMemory(as: UInt8.self, repeating: 0)
      return p
    }
    let xBuffer = buffer(b * outPixels * channels * 4)
    let yBuffer = buffer(b * outPixels * 4)
    let tBuffers = settings.targets.map { buffer(b * outPixels * $0.channelCount * $0.dtype.size) }
    let failures = UnsafeMutableBufferPointer<DeepCellError?>.allocate(capacity: max(b, 1))
    failures.initialize(repeating: nil)
    defer {
      xBuffer.deallocate()
      yBuffer.deallocate()
      tBuffers.forEach { $0.deallocate() }
      failures.deallocate()
    }
    let targetStrides = settings.targets.map { outPixels * $0.channelCount * $0.dtype.size }
    Parallel.forEach(b, threads: threads > 0 ? threads : nil) { k in
      do {
        try renderSample(
          position: first + k, source: sources[k],
          image: xBuffer.baseAddress!.assumingMemoryBound(to: Float.self) + k * outPixels
            * channels,
          labels: yBuffer.baseAddress!.assumingMemoryBound(to: Int32.self) + k * outPixels,
          targets: tBuffers.indices.map { tBuffers[$0].baseAddress! + k * targetStrides[$0] })
      } catch let error as DeepCellError {
        failures[k] = error
      } catch {
        failures[k] = DeepCellError(.badData, ArrayName.image, "\(error)")
      }
    }
    if let error = failures.first(where: { $0 != nil }) { throw error! }
    func array(_ raw: UnsafeMutableRawBufferPointer, _ shape: [Int], _ dtype: DType) -> NDArray {
      NDArray(shape: shape, dtype: dtype, bytes: Array(raw[0..<(shape.reduce(1, *) * dtype.size)]))
    }
    return AugmentedBatch(
      images: array(xBuffer, [b, oh, ow, channels], .float32),
      targets: settings.targets.indices.map {
        let t = settings.targets[$0]
        return (t.arrayName, array(tBuffers[$0], [b, oh, ow, t.channelCount], t.dtype))
      },
      labels: array(yBuffer, [b, oh, ow, 1], .int32),
      sourceIndices: sources.map { keptIndices[$0] }, reservations: [reservation])
  }

  /// One sample: draw (and redraw while too sparse), then render every plane.
  func renderSample(
    position s: Int, source j: Int, image: UnsafeMutablePointer<Float>,
    labels out: UnsafeMutablePointer<Int32>,
    targets: [UnsafeMutableRawPointer]
  ) throws {
    var random = AugmentationRandom(seed: seed, stream: 2, index: UInt64(s))
    let (oh, ow) = outputSize
    let outPixels = oh * ow
    let crop = settings.cropSize
    let labelOut = UnsafeMutableBufferPointer(start: out, count: outPixels)
    var params = RandomTransformParameters()
    try labels.values.withUnsafeBufferPointer { all in
      let frame = UnsafeBufferPointer(
        rebasing: all[(j * labels.frameSize)..<((j + 1) * labels.frameSize)])
      var draws = 0
      while true {
        params = try RandomTransformParameters.draw(
          settings: settings, height: height, width: width, random: &random)
        draws += 1
        SampleRendering.renderNearest(
          frame, height: height, width: width, channels: 1, params: params, crop: crop,
          fillMode: settings.fillMode, fill: 0, into: labelOut)
        if !settings.redrawSparseSamples || settings.minObjects == 0 { break }
        if AugmentationGenerator.objectCount(UnsafeBufferPointer(labelOut)) >= settings.minObjects {
          break
        }
        // After maxDraws the last draw is kept, sparse as it is (what the reference, which
        // never redraws, does with every draw): a rare sparse crop must not end a long run.
        if draws >= settings.maxDraws { break }
      }
    }
    renderPlanes(params: params, source: j, image: image, targets: targets)
    if settings.dimmedObjectFraction > 0 {
      // Its own stream (kind 3), so samples without dimming are drawn as before.
      var dimming = AugmentationRandom(seed: seed, stream: 3, index: UInt64(s))
      NucleusDimming.apply(
        image: image, labels: UnsafeBufferPointer(labelOut), channels: channels,
        fraction: settings.dimmedObjectFraction, minFactor: settings.dimmedObjectMinFactor,
        random: &dimming)
    }
    if settings.noisySampleFraction > 0 {
      // Its own stream (kind 4), after the dimming, so the dim nuclei are noisy too.
      var noise = AugmentationRandom(seed: seed, stream: 4, index: UInt64(s))
      PixelNoise.apply(
        image: image, count: outPixels * channels, fraction: settings.noisySampleFraction,
        maxStandardDeviation: settings.noiseMaxStandardDeviation, random: &noise)
    }
  }

  /// Renders the image and every target of kept image `j` under `params` (the labels are
  /// rendered by the caller).
  func renderPlanes(
    params: RandomTransformParameters, source j: Int, image: UnsafeMutablePointer<Float>,
    targets: [UnsafeMutableRawPointer]
  ) {
    let (oh, ow) = outputSize
    let outPixels = oh * ow
    let crop = settings.cropSize
    let frameImage = height * width * channels
    images.withUnsafeBufferPointer { all in
      SampleRendering.renderFloat(
        UnsafeBufferPointer(rebasing: all[(j * frameImage)..<((j + 1) * frameImage)]),
        height: height, width: width,
        channels: channels, params: params, crop: crop, order: settings.interpolationOrder,
        fillMode: settings.fillMode, cval: settings.cval,
        into: UnsafeMutableBufferPointer(start: image, count: outPixels * channels))
    }
    for (t, target) in settings.targets.enumerated() {
      let ch = target.channelCount
      let frameBytes = height * width * ch * target.dtype.size
      let renderPlane = { (src: UnsafeRawBufferPointer) in
        if target.dtype == .float32 {
          SampleRendering.renderFloat(
            src.bindMemory(to: Float.self), height: height, width: width, channels: ch,
            params: params,
            crop: crop, order: ch > 1 ? 0 : settings.interpolationOrder,
            fillMode: settings.fillMode,
            cval: settings.cval,
            into: UnsafeMutableBufferPointer(
              start: targets[t].assumingMemoryBound(to: Float.self), count: outPixels * ch))
        } else {
          SampleRendering.renderNearest(
            src.bindMemory(to: UInt8.self), height: height, width: width, channels: ch,
            params: params,
            crop: crop, fillMode: settings.fillMode,
            fill: AugmentationGenerator.uint8Fill(settings.cval),
            into: UnsafeMutableBufferPointer(
              start: targets[t].assumingMemoryBound(to: UInt8.self), count: outPixels * ch))
        }
      }
      if let pre = precomputedTargets {
        pre[t].bytes.withUnsafeBytes { raw in
          renderPlane(
            UnsafeRawBufferPointer(rebasing: raw[(j * frameBytes)..<((j + 1) * frameBytes)]))
        }
      } else {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: frameBytes, alignment: 16)
        defer { scratch.deallocate() }
        labels.values.withUnsafeBufferPointer { all in
          target.compute(
            labels: UnsafeBufferPointer(
              rebasing: all[(j * labels.frameSize)..<((j + 1) * labels.frameSize)]),
            height: height, width: width, into: scratch)
        }
        renderPlane(UnsafeRawBufferPointer(scratch))
      }
    }
  }

  /// Applies fixed transform parameters to one image (H, W, C) and its labels (H, W) — the
  /// per-sample pipeline of the generator without the random draw (for tests, previews and
  /// callers that choose their own transforms). `params.cropOrigin` must fit
  /// `settings.cropSize` (or be nil for the whole image).
  public static func apply(
    _ params: RandomTransformParameters, image: NDArray, labels: NDArray,
    settings: AugmentationSettings
  ) throws -> AugmentedBatch {
    var s = settings
    s.minObjects = 0
    s.redrawSparseSamples = false
    if params.cropOrigin == nil { s.cropSize = nil }
    let x =
      image.rank == 2 ? image.reshaped([1] + image.shape + [1]) : image.reshaped([1] + image.shape)
    let generator = try AugmentationGenerator(
      images: x, labels: labels.reshaped([1] + labels.shape.prefix(2) + [1]), settings: s,
      threads: 1)
    if let origin = params.cropOrigin, let crop = s.cropSize {
      guard origin.count == 2, origin[0] >= 0, origin[1] >= 0,
        origin[0] + crop[0] <= generator.height,
        origin[1] + crop[1] <= generator.width
      else {
        throw DeepCellError(
          .usage, "crop origin", "\(origin) does not fit a \(crop) crop of the image")
      }
    }
    let (oh, ow) = generator.outputSize
    var xs = [Float](repeating: 0, count: oh * ow * generator.channels)
    var ys = [Int32](repeating: 0, count: oh * ow)
    let tBuffers = s.targets.map {
      UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(oh * ow * $0.channelCount * $0.dtype.size, 1), alignment: 16)
    }
    defer { tBuffers.forEach { $0.deallocate() } }
    generator.labels.values.withUnsafeBufferPointer { frame in
      ys.withUnsafeMutableBufferPointer { out in
        SampleRendering.renderNearest(
          frame, height: generator.height, width: generator.width, channels: 1, params: params,
          crop: s.cropSize,
          fillMode: s.fillMode, fill: 0, into: out)
      }
    }
    xs.withUnsafeMutableBufferPointer { xp in
      generator.renderPlanes(
        params: params, source: 0, image: xp.baseAddress!, targets: tBuffers.map { $0.baseAddress! }
      )
    }
    return AugmentedBatch(
      images: NDArray(shape: [1, oh, ow, generator.channels], values: xs),
      targets: s.targets.indices.map {
        let t = s.targets[$0]
        let bytes = Array(tBuffers[$0][0..<(oh * ow * t.channelCount * t.dtype.size)])
        return (
          t.arrayName, NDArray(shape: [1, oh, ow, t.channelCount], dtype: t.dtype, bytes: bytes)
        )
      },
      labels: NDArray(shape: [1, oh, ow, 1], values: ys), sourceIndices: [0])
  }

  /// Distinct nonzero label values.
  static func objectCount(_ labels: UnsafeBufferPointer<Int32>) -> Int {
    var seen = Set<Int32>()
    for v in labels where v != 0 { seen.insert(v) }
    return seen.count
  }

  /// scipy's conversion of `cval` for a uint8 output (round half up, clamp to 0…255).
  static func uint8Fill(_ cval: Double) -> UInt8 {
    let t = cval > 0 ? cval + 0.5 : 0
    return UInt8(min(t, 255))
  }
}
