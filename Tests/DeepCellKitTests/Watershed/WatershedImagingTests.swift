import XCTest

@testable import DeepCellKit

/// Each imaging operation of the watershed room against skimage 0.21 / scipy 1.11 /
/// deepcell-toolbox outputs (`Tests/Fixtures/watershed/op_*.npy`, made by
/// `make_fixtures.py` there). Integer results must be identical; float results too (the
/// operations reproduce the reference's arithmetic order).
final class WatershedImagingTests: XCTestCase {
  private func floats(_ name: String) throws -> [Float] {
    try loadFixtureNPY("watershed/op_\(name).npy").floats()
  }
  private func ints(_ name: String) throws -> [Int32] {
    try loadFixtureNPY("watershed/op_\(name).npy").values(Int32.self)
  }
  private let h = 37
  private let w = 41

  func testGaussianMatchesScipyBitForBit() throws {
    let map = try floats("map")
    for (sigma, name) in [(1.0, "gauss_s1"), (2.3, "gauss_s2.3")] {
      let got = try GaussianFilter.apply(map, height: h, width: w, sigma: sigma)
      XCTAssertEqual(got, try floats(name), "sigma \(sigma)")
    }
    // Kernel longer than the plane: repeated reflection.
    let tiny = try GaussianFilter.apply(try floats("tiny"), height: 3, width: 5, sigma: 2)
    XCTAssertEqual(tiny, try floats("tiny_gauss_s2"))
    XCTAssertEqual(try GaussianFilter.apply(map, height: h, width: w, sigma: 0), map)
    XCTAssertThrowsError(try GaussianFilter.apply(map, height: h, width: w, sigma: -1))
    XCTAssertEqual(GaussianFilter.kernel(sigma: 1).count, 9)
  }

  func testReconstructionMatchesSkimage() throws {
    let noise = try floats("noise")
    let seed2 = noise.map { $0 - 0.3 }
    let got2 = try GreyReconstruction.byDilation(
      seed: seed2, mask: noise, height: h, width: w, footprint: .disk(radius: 2))
    XCTAssertEqual(got2, try floats("recon_disk2"))
    let seed5 = noise.map { $0 * 0.5 }
    let got5 = try GreyReconstruction.byDilation(
      seed: seed5, mask: noise, height: h, width: w, footprint: .disk(radius: 5))
    XCTAssertEqual(got5, try floats("recon_disk5"))
    XCTAssertThrowsError(
      try GreyReconstruction.byDilation(
        seed: noise.map { $0 + 1 }, mask: noise, height: h, width: w, footprint: .disk(radius: 1)))
  }

  /// The hybrid algorithm equals the definition (iterate min(dilate(seed), mask) to a fixed
  /// point) on random planes, footprints and shapes.
  func testReconstructionEqualsIteratedDefinition() throws {
    var rng = SystemRandomNumberGenerator()
    for trial in 0..<30 {
      let hh = Int.random(in: 1...23, using: &rng)
      let ww = Int.random(in: 1...29, using: &rng)
      let fp: Footprint =
        trial % 3 == 0 ? .square(halfWidth: 1 + trial % 2) : .disk(radius: trial % 7)
      let mask = (0..<(hh * ww)).map { _ in Float(Int.random(in: 0...20, using: &rng)) / 20 }
      let seed = mask.map { $0 - Float(Int.random(in: 0...8, using: &rng)) / 10 }
      let got = try GreyReconstruction.byDilation(
        seed: seed, mask: mask, height: hh, width: ww, footprint: fp)
      var ref = seed
      let offsets = fp.offsetsWithoutCentre
      while true {
        var next = ref
        for y in 0..<hh {
          for x in 0..<ww {
            var m = ref[y * ww + x]
            for o in offsets {
              let yy = y + o.dy
              let xx = x + o.dx
              if yy >= 0 && yy < hh && xx >= 0 && xx < ww { m = max(m, ref[yy * ww + xx]) }
            }
            next[y * ww + x] = min(m, mask[y * ww + x])
          }
        }
        if next == ref { break }
        ref = next
      }
      XCTAssertEqual(got, ref, "trial \(trial) \(hh)×\(ww)")
    }
  }

  func testDiskFootprintMatchesSkimage() {
    XCTAssertEqual(Footprint.disk(radius: 10).pixelCount, 317)
    XCTAssertEqual(Footprint.disk(radius: 3).pixelCount, 29)
    XCTAssertEqual(Footprint.disk(radius: 0).pixelCount, 1)
    XCTAssertEqual(Footprint.square(halfWidth: 2).pixelCount, 25)
  }

  func testHMaximaMatchesSkimage() throws {
    let map = try floats("map")
    let r3 = try HMaxima.mask(map, height: h, width: w, h: 0.1, footprint: .disk(radius: 3))
    XCTAssertEqual(
      r3.map { Int32($0) }, try loadFixtureNPY("watershed/op_hmax_r3_h0.1.npy").values(Int32.self))
    let r1 = try HMaxima.mask(map, height: h, width: w, h: 0.05, footprint: .disk(radius: 1))
    XCTAssertEqual(
      r1.map { Int32($0) }, try loadFixtureNPY("watershed/op_hmax_r1_h0.05.npy").values(Int32.self))
  }

  func testHMaximaEdgeCases() throws {
    // h above the range → no maxima; a constant plane → none.
    let ramp: [Float] = (0..<20).map { Float($0) / 100 }
    XCTAssertEqual(
      try HMaxima.mask(ramp, height: 4, width: 5, h: 0.5, footprint: .disk(radius: 1)),
      [UInt8](repeating: 0, count: 20))
    XCTAssertEqual(
      try HMaxima.mask(
        [Float](repeating: 3, count: 12), height: 3, width: 4, h: 0.1, footprint: .disk(radius: 1)),
      [UInt8](repeating: 0, count: 12))
    XCTAssertThrowsError(
      try HMaxima.mask(ramp, height: 4, width: 5, h: 0, footprint: .disk(radius: 1)))
    XCTAssertThrowsError(
      try HMaxima.mask(ramp, height: 4, width: 5, h: -0.1, footprint: .disk(radius: 1)))
    var nan = ramp
    nan[3] = .nan
    XCTAssertThrowsError(
      try HMaxima.mask(nan, height: 4, width: 5, h: 0.1, footprint: .disk(radius: 1)))
    // Spec §3 (b): peaks 0.5 and 0.45 three pixels apart → one marker with disk(3), two with disk(2).
    var twin = [Float](repeating: 0, count: 9 * 11)
    twin[4 * 11 + 3] = 0.5
    twin[4 * 11 + 6] = 0.45
    XCTAssertEqual(
      try HMaxima.mask(twin, height: 9, width: 11, h: 0.1, footprint: .disk(radius: 3)).reduce(
        0, +), 1)
    XCTAssertEqual(
      try HMaxima.mask(twin, height: 9, width: 11, h: 0.1, footprint: .disk(radius: 2)).reduce(
        0, +), 2)
  }

  func testPeakLocalMaxMatchesSkimage() throws {
    let map = try floats("map")
    for (name, r, t, border) in [("plm_r2", 2, 0.2, 0), ("plm_r3_border", 3, 0.1, 3)] {
      let want = try loadFixtureNPY("watershed/op_\(name).npy").integerValues()
      let got = PeakLocalMax.peaks(
        map, height: h, width: w, minDistance: r, threshold: t, borderWidth: border)
      XCTAssertEqual(got.flatMap { [Int64($0.y), Int64($0.x)] }, want, name)
    }
    // A flat plane has no peaks.
    XCTAssertTrue(
      PeakLocalMax.peaks(
        [Float](repeating: 1, count: 30), height: 5, width: 6, minDistance: 2, threshold: 0
      ).isEmpty)
  }

  func testArgsortMatchesNumpyIncludingTies() throws {
    let keys = try floats("argsort_keys")
    XCTAssertEqual(
      NumpyArgsort.argsort(keys).map { Int64($0) },
      try loadFixtureNPY("watershed/op_argsort.npy").integerValues())
    let neg = try floats("map").map { -$0 }
    XCTAssertEqual(
      NumpyArgsort.argsort(neg).map { Int64($0) },
      try loadFixtureNPY("watershed/op_argsort_neg.npy").integerValues())
  }

  func testConnectedComponentsMatchSkimage() throws {
    let binary = try loadFixtureNPY("watershed/op_binary.npy").values(UInt8.self).map { $0 != 0 }
    let l8 = ConnectedComponents.label(binary, height: h, width: w, connectivity: .eight)
    XCTAssertEqual(l8.labels, try ints("label8"))
    XCTAssertEqual(l8.count, Int(try ints("label8").max()!))
    XCTAssertEqual(
      ConnectedComponents.label(binary, height: h, width: w, connectivity: .four).labels,
      try ints("label4"))
    let multi = try ints("multi")
    XCTAssertEqual(
      ConnectedComponents.label(multi, height: h, width: w, connectivity: .four, background: 0)
        .labels,
      try ints("multi_label4"))
  }

  func testWatershedMatchesSkimage() throws {
    let map = try floats("map")
    let got = Watershed.flood(
      image: map.map { -$0 }, markers: try ints("ws_markers"), mask: map.map { $0 > 0.1 },
      height: h, width: w)
    XCTAssertEqual(got, try ints("ws"))
    // Equal values everywhere: only the heap's tie-breaking decides the split.
    let flat = Watershed.flood(
      image: [Float](repeating: 0, count: 99), markers: try ints("ws_flat_markers"),
      mask: [Bool](repeating: true, count: 99), height: 9, width: 11)
    XCTAssertEqual(flat, try ints("ws_flat"))
  }

  func testLabelCleanupsMatchDeepcell() throws {
    let lab = try ints("labels")
    XCTAssertEqual(FillHoles.apply(lab, height: 40, width: 40, size: 10), try ints("fill_holes_10"))
    XCTAssertEqual(FillHoles.apply(lab, height: 40, width: 40, size: 30), try ints("fill_holes_30"))
    XCTAssertEqual(
      ErodeEdges.apply(lab, height: 40, width: 40, erosionWidth: 1), try ints("erode_1"))
    XCTAssertEqual(
      ErodeEdges.apply(lab, height: 40, width: 40, erosionWidth: 2), try ints("erode_2"))
    XCTAssertEqual(try RemoveSmallObjects.apply(lab, minSize: 20), try ints("small_20"))
    XCTAssertEqual(Relabel.sequential(lab).labels, try ints("relabel"))
    XCTAssertEqual(Relabel.sequential(lab).inverse, [1, 2, 3, 4, 5, 7])
    XCTAssertThrowsError(try RemoveSmallObjects.apply([Int32(-1), 2], minSize: 2))
  }

  func testEulerNumber() {
    // A ring (one object, one hole) → 0; two dots → 2; a diagonal pair is one 8-connected object.
    let ring: [Bool] = [true, true, true, true, false, true, true, true, true]
    XCTAssertEqual(FillHoles.eulerNumber(ring, height: 3, width: 3), 0)
    XCTAssertEqual(FillHoles.eulerNumber([true, false, true], height: 1, width: 3), 2)
    XCTAssertEqual(FillHoles.eulerNumber([true, false, false, true], height: 2, width: 2), 1)
  }

  func testMaximumFilterIgnoresOutside() {
    let img: [Float] = [1, 5, 2, 0, 3, 4]
    XCTAssertEqual(
      MaximumFilter.apply(img, height: 2, width: 3, footprint: .square(halfWidth: 1)),
      [5, 5, 5, 5, 5, 5])
    XCTAssertEqual(
      MaximumFilter.apply(img, height: 2, width: 3, footprint: .square(halfWidth: 0)), img)
    let row: [Float] = [3, -1, 7, 2, 9, 0, -4, 1]
    let got = MaximumFilter.apply(row, height: 1, width: 8, footprint: .square(halfWidth: 2))
    XCTAssertEqual(got, [7, 7, 9, 9, 9, 9, 9, 1])
  }
}

/// The flood (skimage's binary heap while markers of equal value are queued, then a 4-ary
/// heap) labels exactly as skimage's binary heap used throughout, ties included.
final class WatershedHeapTests: XCTestCase {
  /// skimage's algorithm with its own heap from start to end (the reference).
  private func binaryHeapFlood(
    image: [Float], markers: [Int32], mask: [Bool], height h: Int, width w: Int
  ) -> [Int32] {
    let pw = w + 2
    var state = [Int32](repeating: -1, count: pw * (h + 2))
    var bits = [UInt32](repeating: 0, count: pw * (h + 2))
    for y in 0..<h {
      for x in 0..<w where mask[y * w + x] {
        state[(y + 1) * pw + x + 1] = max(markers[y * w + x], 0)
        bits[(y + 1) * pw + x + 1] = Watershed.orderedBits(image[y * w + x])
      }
    }
    var heap = WatershedHeap(capacity: state.count + 1)
    defer { heap.deallocate() }
    for p in state.indices where state[p] > 0 {
      heap.push(key: UInt64(bits[p]) << 32, index: Int32(p), label: state[p])
    }
    var age: UInt64 = 1
    while let (_, p, label) = heap.pop() {
      for q in [p - pw, p - 1, p + 1, p + pw] where state[q] == 0 {
        age += 1
        state[q] = label
        heap.push(key: UInt64(bits[q]) << 32 | age, index: Int32(q), label: label)
      }
    }
    var out = [Int32](repeating: 0, count: h * w)
    for y in 0..<h {
      for x in 0..<w { out[y * w + x] = max(state[(y + 1) * pw + x + 1], 0) }
    }
    return out
  }

  func testFloodMatchesSkimagesBinaryHeapWithTiedMarkers() {
    var rng = SystemRandomNumberGenerator()
    for trial in 0..<60 {
      let h = Int.random(in: 5...40, using: &rng)
      let w = Int.random(in: 5...40, using: &rng)
      // Quantised values: many equal keys, and markers that tie (or, every third trial,
      // marker values that are all distinct).
      let levels = Int.random(in: 2...6, using: &rng)
      var image = (0..<(h * w)).map { _ in Float(Int.random(in: 0..<levels, using: &rng)) }
      let mask = (0..<(h * w)).map { _ in Int.random(in: 0..<10, using: &rng) < 8 }
      var markers = [Int32](repeating: 0, count: h * w)
      var label: Int32 = 0
      for p in 0..<(h * w) where Int.random(in: 0..<25, using: &rng) == 0 {
        label += Int.random(in: 0..<4, using: &rng) == 0 && label > 0 ? 0 : 1
        markers[p] = label
        if trial % 3 == 0 { image[p] = -Float(p) }
      }
      let got = Watershed.flood(image: image, markers: markers, mask: mask, height: h, width: w)
      let want = binaryHeapFlood(image: image, markers: markers, mask: mask, height: h, width: w)
      XCTAssertEqual(got, want, "trial \(trial) \(h)×\(w)")
      let interior = image.map { -$0 }
      let fused = Watershed.flood(
        negativeOf: interior, above: -Float(levels) / 2, markers: markers, height: h, width: w)
      XCTAssertEqual(
        fused,
        Watershed.flood(
          image: interior.map { -$0 }, markers: markers,
          mask: interior.map { $0 > -Float(levels) / 2 },
          height: h, width: w), "trial \(trial)")
    }
  }
}
