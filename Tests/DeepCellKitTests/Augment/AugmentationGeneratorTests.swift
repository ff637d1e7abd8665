import XCTest

@testable import DeepCellKit

/// The CroppingDataGenerator behaviour (augment.md §2–§6): the per-sample pipeline against
/// the reference functions, determinism across runs and thread counts, batching, the
/// min-objects filter and redraw, and bad input.
final class AugmentationGeneratorTests: XCTestCase {
  /// A small dataset: `n` frames of 48×40 with a few rectangles each (frame f has f+1 objects).
  func smallDataset(frames n: Int = 3, height: Int = 48, width: Int = 40) -> (NDArray, NDArray) {
    var x = [Float](repeating: 0, count: n * height * width)
    var y = [Int32](repeating: 0, count: n * height * width)
    for f in 0..<n {
      for r in 0..<height {
        for c in 0..<width {
          x[(f * height + r) * width + c] = Float(r * 3 + c * 7 + f * 11 % 17)
        }
      }
      for k in 0..<(f + 1) {
        let r0 = 4 + 9 * k
        let c0 = 5 + 6 * k
        for r in r0..<(r0 + 7) {
          for c in c0..<(c0 + 8) { y[(f * height + r) * width + c] = Int32(k + 1) }
        }
      }
    }
    return (
      NDArray(shape: [n, height, width, 1], values: x),
      NDArray(shape: [n, height, width, 1], values: y)
    )
  }

  func settings(crop: [Int]? = [32, 24]) -> AugmentationSettings {
    var s = AugmentationSettings()
    s.cropSize = crop
    return s
  }

  /// Crop → warp → flips with fixed parameters, against the reference functions
  /// (Tests/Fixtures/augment/make_fixtures.py, the end of it).
  func testPipelineMatchesReferenceFunctions() throws {
    let x0 = try loadFixtureNPY("augment/sample_x0.npy")
    let y0 = try loadFixtureNPY("augment/transforms0_y_u1.npy")
    var p = RandomTransformParameters()
    p.theta = 37.5
    p.zx = 0.8
    p.zy = 1.2
    p.flipHorizontal = true
    p.cropOrigin = [13, 40]
    var s = AugmentationSettings()
    s.cropSize = [128, 96]
    let batch = try AugmentationGenerator.apply(p, image: x0, labels: y0, settings: s)
    for (name, fixture) in [
      ("X", "sample_out_x"), (ArrayName.innerDistance, "sample_out_inner"),
      (ArrayName.outerDistance, "sample_out_outer"),
    ] {
      let ours = name == "X" ? batch.images : batch[name]!
      let want = try loadFixtureNPY("augment/\(fixture).npy")
      XCTAssertEqual(ours.shape, [1] + want.shape)
      let err = maxAbsDifference(ours.floats(), want.floats())
      print("parity sample \(name): max abs error \(err)")
      XCTAssertLessThanOrEqual(err, name == "X" ? 1e-3 : 1e-5, name)
    }
    let fgbg = batch[ArrayName.fgbg]!
    XCTAssertEqual(
      fgbg.values(UInt8.self), try loadFixtureNPY("augment/sample_out_fgbg.npy").values(UInt8.self))
  }

  func testSameSeedSameBytesAcrossRunsAndThreads() throws {
    let (x, y) = smallDataset()
    var a = try AugmentationGenerator(
      images: x, labels: y, settings: settings(), seed: 7, threads: 1)
    var b = try AugmentationGenerator(
      images: x, labels: y, settings: settings(), seed: 7, threads: 2)
    var c = try AugmentationGenerator(
      images: x, labels: y, settings: settings(), seed: 8, threads: 2)
    let ba = try a.nextSamples(7).bundle
    let bb = try b.nextSamples(7).bundle
    let bc = try c.nextSamples(7).bundle
    XCTAssertEqual(ba, bb, "same seed, 1 vs 2 threads")
    XCTAssertNotEqual(ba, bc, "another seed gives other samples")
    // A sample depends only on (seed, position): batching does not change the stream.
    var d = try AugmentationGenerator(
      images: x, labels: y, settings: settings(), seed: 7, threads: 3)
    var parts: [NDArray] = []
    for size in [2, 1, 3, 1] { parts.append(try d.nextSamples(size).images) }
    let joined = parts.flatMap { $0.floats() }
    XCTAssertEqual(joined, ba["X"]!.floats())
  }

  func testBatchesFollowPassesAndEveryImageOncePerPass() throws {
    let (x, y) = smallDataset(frames: 3)
    var g = try AugmentationGenerator(images: x, labels: y, settings: settings(), seed: 1)
    let sizes = try (0..<4).map { _ in try g.nextBatch(size: 2) }
    XCTAssertEqual(sizes.map(\.count), [2, 1, 2, 1], "the last batch of a pass is short")
    XCTAssertEqual(Set(sizes[0].sourceIndices + sizes[1].sourceIndices), [0, 1, 2])
    XCTAssertEqual(Set(sizes[2].sourceIndices + sizes[3].sourceIndices), [0, 1, 2])
    let b = sizes[0]
    XCTAssertEqual(b.images.shape, [2, 32, 24, 1])
    XCTAssertEqual(b[ArrayName.innerDistance]!.shape, [2, 32, 24, 1])
    XCTAssertEqual(b[ArrayName.outerDistance]!.dtype, .float32)
    XCTAssertEqual(b[ArrayName.fgbg]!.shape, [2, 32, 24, 2])
    XCTAssertEqual(b.labels.dtype, .int32)
    XCTAssertEqual(b.bundle.names, ["X", "inner_distance", "outer_distance", "fgbg", "y"])
  }

  func testSamplesAreConsistentWithTheirParameters() throws {
    // Replays sample 0's random stream and applies its parameters directly.
    let (x, y) = smallDataset(frames: 1)
    var s = settings()
    s.shuffle = false
    var g = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 42)
    let sample = try g.nextSamples(1)
    var random = AugmentationRandom(seed: 42, stream: 2, index: 0)
    var params = try RandomTransformParameters.draw(
      settings: s, height: 48, width: 40, random: &random)
    // Redraw exactly as the generator does while the crop is empty.
    while try AugmentationGenerator.apply(
      params, image: x.frame(0), labels: y.frame(0), settings: s
    ).labels
      .integerValues().allSatisfy({ $0 == 0 })
    {
      params = try RandomTransformParameters.draw(
        settings: s, height: 48, width: 40, random: &random)
    }
    let direct = try AugmentationGenerator.apply(
      params, image: x.frame(0), labels: y.frame(0), settings: s)
    XCTAssertEqual(sample.bundle, direct.bundle)
    XCTAssertTrue((-180...180).contains(params.theta))
    XCTAssertTrue(
      (0.75...(1 / 0.75)).contains(params.zx) && (0.75...(1 / 0.75)).contains(params.zy))
    let origin = try XCTUnwrap(params.cropOrigin)
    XCTAssertTrue(
      origin[0] < 48 - 32 && origin[1] < 40 - 24, "exclusive upper bound (reference quirk)")
    // Every fgbg pixel is one-hot; distance maps stay in [0, 1].
    let fg = sample[ArrayName.fgbg]!.values(UInt8.self)
    for i in stride(from: 0, to: fg.count, by: 2) { XCTAssertEqual(Int(fg[i]) + Int(fg[i + 1]), 1) }
    XCTAssertTrue(sample[ArrayName.innerDistance]!.floats().allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  /// No transform, no crop, frames in order: each sample is its source frame.
  func wholeFrames() -> AugmentationSettings {
    var s = AugmentationSettings.cropOnly
    s.cropSize = nil
    s.shuffle = false
    return s
  }

  func testNoTransformReproducesImagesAndTargets() throws {
    let (x, y) = smallDataset(frames: 2)
    var g = try AugmentationGenerator(images: x, labels: y, settings: wholeFrames(), seed: 3)
    let b = try g.nextSamples(2)
    XCTAssertEqual(b.images, x)
    XCTAssertEqual(b.labels, y)
    XCTAssertEqual(b[ArrayName.outerDistance], try TargetTransform.notebookOuter.apply(to: y))
  }

  /// Nucleus dimming (``NucleusDimming``): with fraction 1 every object's pixels are scaled by
  /// one factor in [min, 1] per object and background and targets are untouched; with fraction
  /// 0 the samples are those of the reference recipe; the same seed gives the same bytes;
  /// out-of-range settings are refused.
  func testDimmingScalesWholeObjectsAndLeavesTargets() throws {
    let (x, y) = smallDataset(frames: 3)
    var s = wholeFrames()
    var plain = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    let reference = try plain.nextSamples(3)
    s.dimmedObjectFraction = 1
    s.dimmedObjectMinFactor = 0.2
    var dimmed = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    let b = try dimmed.nextSamples(3)
    XCTAssertEqual(b.labels, reference.labels)
    XCTAssertEqual(b[ArrayName.innerDistance], reference[ArrayName.innerDistance])
    let before = reference.images.floats()
    let after = b.images.floats()
    let labels = b.labels.values(Int32.self).map(Int64.init)
    var factors: [Int64: Set<Float>] = [:]
    for i in before.indices {
      if labels[i] == 0 {
        XCTAssertEqual(after[i], before[i], "background at \(i)")
      } else if before[i] != 0 {
        let frame = Int64(i / (48 * 40))
        factors[frame * 1000 + labels[i], default: []].insert(
          (after[i] / before[i] * 1e4).rounded() / 1e4)
      }
    }
    XCTAssertEqual(factors.count, 1 + 2 + 3)
    for (object, f) in factors {
      XCTAssertEqual(f.count, 1, "object \(object) has one factor")
      XCTAssertTrue((0.2...1).contains(f.first!), "object \(object): \(f)")
    }
    var again = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    XCTAssertEqual(try again.nextSamples(3).images, b.images)
    s.dimmedObjectFraction = 0
    var off = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    XCTAssertEqual(try off.nextSamples(3).images, reference.images)
    for (fraction, minimum) in [(1.5, 0.1), (-0.1, 0.1), (0.5, 0.0), (0.5, 1.5), (.nan, 0.1)] {
      s.dimmedObjectFraction = fraction
      s.dimmedObjectMinFactor = minimum
      XCTAssertThrowsError(
        try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3), "\(fraction)")
    }
  }

  /// Pixel noise (``PixelNoise``): with fraction 1 every sample's image moves by zero-mean
  /// noise of one standard deviation in [0, max] (measured where the clipping cannot act),
  /// stays within the range it had, and its labels and targets are untouched; with fraction 0
  /// the samples are those of the reference recipe; the same seed gives the same bytes;
  /// out-of-range settings are refused.
  func testPixelNoiseIsBoundedAndLeavesTargets() throws {
    let (x, y) = smallDataset(frames: 3, height: 96, width: 80)
    var s = wholeFrames()
    var plain = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    let reference = try plain.nextSamples(3)
    s.noisySampleFraction = 1
    s.noiseMaxStandardDeviation = 4
    var noisy = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    let b = try noisy.nextSamples(3)
    XCTAssertEqual(b.labels, reference.labels)
    XCTAssertEqual(b[ArrayName.innerDistance], reference[ArrayName.innerDistance])
    XCTAssertEqual(b[ArrayName.outerDistance], reference[ArrayName.outerDistance])
    let before = reference.images.floats()
    let after = b.images.floats()
    let pixels = 96 * 80
    var sigmas: [Double] = []
    for f in 0..<3 {
      let frame = f * pixels..<(f + 1) * pixels
      let (lo, hi) = (before[frame].min()!, before[frame].max()!)
      XCTAssertTrue(after[frame].allSatisfy { (lo...hi).contains($0) }, "frame \(f) in range")
      // Pixels 30 or more from either end of the range: the noise (σ ≤ 4) is never clipped.
      let inner = frame.filter { before[$0] > lo + 30 && before[$0] < hi - 30 }
      let d = inner.map { Double(after[$0] - before[$0]) }
      let mean = d.reduce(0, +) / Double(d.count)
      let sigma = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count))
        .squareRoot()
      XCTAssertGreaterThan(inner.count, 3000)
      XCTAssertEqual(mean, 0, accuracy: 4 * max(sigma, 0.01) / Double(d.count).squareRoot())
      XCTAssertLessThanOrEqual(sigma, 4 * 1.05, "frame \(f)")
      sigmas.append(sigma)
    }
    XCTAssertGreaterThan(sigmas.max()!, 0.1, "\(sigmas)")
    XCTAssertEqual(Set(sigmas.map { ($0 * 100).rounded() }).count, 3, "one σ a sample")
    var again = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    XCTAssertEqual(try again.nextSamples(3).images, b.images)
    s.noisySampleFraction = 0
    var off = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3)
    XCTAssertEqual(try off.nextSamples(3).images, reference.images)
    for (fraction, sigma) in [
      (1.5, 0.1), (-0.1, 0.1), (0.5, 0.0), (0.5, -1), (.nan, 0.1), (0.5, .infinity),
    ] {
      s.noisySampleFraction = fraction
      s.noiseMaxStandardDeviation = sigma
      XCTAssertThrowsError(
        try AugmentationGenerator(images: x, labels: y, settings: s, seed: 3),
        "\(fraction) \(sigma)")
    }
  }

  func testMinObjectsFilterAndRedraw() throws {
    // Frame 0 has no object, frame 1 one object: min_objects 1 keeps frame 1 only.
    var (x, y) = smallDataset(frames: 2)
    var labels = y.values(Int32.self)
    for i in 0..<(48 * 40) { labels[i] = 0 }
    y = NDArray(shape: y.shape, values: labels)
    var g = try AugmentationGenerator(images: x, labels: y, settings: settings(), seed: 5)
    XCTAssertEqual(g.keptIndices, [1])
    for _ in 0..<6 {
      let b = try g.nextSamples(1)
      XCTAssertEqual(b.sourceIndices, [1])
      XCTAssertTrue(
        b.labels.integerValues().contains { $0 != 0 }, "redrawn until the sample shows an object")
    }
    // The reference counts distinct values − 1: one label filling the frame counts 0.
    let full = NDArray(shape: [1, 48, 40, 1], values: [Int32](repeating: 4, count: 48 * 40))
    XCTAssertThrowsError(
      try AugmentationGenerator(
        images: x.frame(0).reshaped([1, 48, 40, 1]), labels: full, settings: settings()))
  }

  func testNoObjectsAnywhereIsAClearError() {
    let (x, _) = smallDataset(frames: 2)
    let empty = NDArray(zeros: [2, 48, 40, 1], dtype: .int32)
    XCTAssertThrowsError(try AugmentationGenerator(images: x, labels: empty, settings: settings()))
    { error in
      let e = error as? DeepCellError
      XCTAssertEqual(e?.kind, .badData)
      XCTAssertTrue(e?.reason.contains("no image has at least 1 object") ?? false, "\(error)")
    }
  }

  func testUnreachableObjectStopsAfterMaxDraws() throws {
    // The only object sits in the last row and column, which a 5×5 crop of 10×10 never
    // reaches (exclusive crop bound) when nothing rotates or zooms: bounded redraws, then the
    // last (empty) draw is kept; without redraws the first is.
    var labels = [Int32](repeating: 0, count: 100)
    labels[99] = 1
    let y = NDArray(shape: [1, 10, 10, 1], values: labels)
    let x = NDArray(zeros: [1, 10, 10, 1], dtype: .float32)
    var s = AugmentationSettings.cropOnly
    s.cropSize = [5, 5]
    s.maxDraws = 25
    var g = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 0)
    XCTAssertEqual(try g.nextSamples(1).labels.integerValues().filter { $0 != 0 }.count, 0)
    s.redrawSparseSamples = false
    var lenient = try AugmentationGenerator(images: x, labels: y, settings: s, seed: 0)
    XCTAssertEqual(try lenient.nextSamples(1).labels.integerValues().filter { $0 != 0 }.count, 0)
  }

  func testBadInput() throws {
    let (x, y) = smallDataset(frames: 2)
    func expect(_ kind: DeepCellError.Kind, _ text: String, _ body: () throws -> Void) {
      XCTAssertThrowsError(try body()) { error in
        XCTAssertEqual((error as? DeepCellError)?.kind, kind, "\(error)")
        XCTAssertTrue("\(error)".contains(text), "\(error) should mention \(text)")
      }
    }
    expect(.badData, "integers") {
      _ = try AugmentationGenerator(
        images: x, labels: y.converted(to: .float32), settings: settings())
    }
    expect(.badData, "frames") {
      _ = try AugmentationGenerator(
        images: x, labels: y.frame(0).reshaped([1, 48, 40, 1]), settings: settings())
    }
    expect(.badData, "must match") {
      let other = NDArray(zeros: [2, 48, 41, 1], dtype: .int32)
      _ = try AugmentationGenerator(images: x, labels: other, settings: settings())
    }
    expect(.usage, "larger than") {
      _ = try AugmentationGenerator(images: x, labels: y, settings: settings(crop: [64, 24]))
    }
    expect(.usage, "both axes") {
      _ = try AugmentationGenerator(images: x, labels: y, settings: settings(crop: [48, 24]))
    }
    var s = settings()
    s.zoomRange = [1.2, 0.9]
    expect(.usage, "zoom") { _ = try AugmentationGenerator(images: x, labels: y, settings: s) }
    s = settings()
    s.targets = [.fgbg, .fgbg]
    expect(.usage, "twice") { _ = try AugmentationGenerator(images: x, labels: y, settings: s) }
  }

  func testRandomStreamIsStable() {
    // The documented sequence of our PRNG: these values must never change between releases.
    var r = AugmentationRandom(seed: 0, stream: 0, index: 0)
    let first = (0..<3).map { _ in r.next() }
    // xoshiro256** seeded through SplitMix64 as documented (checked with an independent
    // Python transcription of the two algorithms).
    XCTAssertEqual(
      first, [10_108_759_220_886_529_493, 17_605_837_440_599_152_310, 7_682_592_763_609_621_243])
    var again = AugmentationRandom(seed: 0, stream: 0, index: 0)
    XCTAssertEqual(first, (0..<3).map { _ in again.next() })
    var u = AugmentationRandom(seed: 1, stream: 2, index: 3)
    let values = (0..<1000).map { _ in u.integer(below: 7) }
    XCTAssertEqual(Set(values), Set(0..<7))
    XCTAssertEqual(
      AugmentationRandom(seed: 9, stream: 1, index: 0).permutationSorted(10), Array(0..<10))
  }
}

extension AugmentationRandom {
  /// A permutation, sorted back (checks it is one).
  func permutationSorted(_ n: Int) -> [Int] {
    var copy = self
    return copy.permutation(n).sorted()
  }
}

/// The QC montage: layout and colour map.
final class AugmentationPreviewTests: XCTestCase {
  func testMontageLayoutAndColours() throws {
    var labels = [Int32](repeating: 0, count: 2 * 16 * 12)
    for i in 40..<80 { labels[i] = 1 }
    for i in (192 + 50)..<(192 + 90) { labels[i] = 2 }
    let y = NDArray(shape: [2, 16, 12, 1], values: labels)
    let x = NDArray(shape: [2, 16, 12, 1], values: (0..<(2 * 16 * 12)).map { Float($0) })
    var s = AugmentationSettings.cropOnly
    s.cropSize = nil
    s.shuffle = false
    var g = try AugmentationGenerator(images: x, labels: y, settings: s)
    let montage = AugmentationPreview.montage(try g.nextSamples(2), maxSamples: 4)
    // 2 rows × 4 panels (X, inner, outer, fgbg) of 16×12 with 2-pixel gaps.
    XCTAssertEqual(montage.shape, [16 * 2 + 2, 12 * 4 + 3 * 2, 3])
    XCTAssertEqual(montage.dtype, .uint8)
    let rgb = montage.values(UInt8.self)
    let width = 12 * 4 + 6
    func pixel(_ r: Int, _ c: Int) -> [UInt8] {
      Array(rgb[((r * width + c) * 3)..<((r * width + c) * 3 + 3)])
    }
    XCTAssertEqual(pixel(0, 0), [68, 1, 84], "image minimum is viridis' first colour")
    XCTAssertEqual(pixel(15, 11), [253, 231, 37], "image maximum is viridis' last colour")
    XCTAssertEqual(pixel(0, 12), [255, 255, 255], "white gap between panels")
    XCTAssertEqual(pixel(0, 3 * 14), [68, 1, 84], "fgbg background is class 0")
    XCTAssertEqual(pixel(4, 3 * 14 + 2), [253, 231, 37], "fgbg foreground is class 1")
    XCTAssertEqual(AugmentationPreview.viridis(0.5).0, 33)
  }
}
