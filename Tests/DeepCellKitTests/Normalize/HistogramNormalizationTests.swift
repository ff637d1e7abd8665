import XCTest

@testable import DeepCellKit

/// Parity of CLAHE / `histogram_normalization` with the reference (normalize.md §1; golden
/// files described in Tests/Fixtures/normalize/README.md). Tolerance: 1e-6 absolute.
final class HistogramNormalizationTests: XCTestCase {
  let tolerance: Float = 1e-6

  /// deepcell-toolbox golden: two 256×256 images plus a constant plane (value 123, as in
  /// the golden X), default kernel (32, 32).
  func testDefaultKernelMatchesDeepCellGolden() throws {
    let x = try loadFixtureNPY("normalize/hn_X.npy")
    let expected = try loadFixtureNPY("normalize/hn_out_default.npy")
    let constant = NDArray(
      shape: [1, 256, 256, 1], values: [Float](repeating: 123, count: 256 * 256))
    let input = NDArray.stacking([x.frame(0), x.frame(1), constant.frame(0)])!
    let out = try StackNormalizer(HistogramNormalization()).normalize(stack: input, subject: "X")
    XCTAssertEqual(out.shape, [3, 256, 256, 1])
    XCTAssertEqual(out.dtype, .float32)
    let values = out.floats()
    let n = 2 * 256 * 256
    XCTAssertLessThanOrEqual(maxAbsDifference(Array(values[0..<n]), expected.floats()), tolerance)
    XCTAssertEqual(
      Array(values[n...]), [Float](repeating: 0, count: 256 * 256), "constant plane must be zeros")
    XCTAssertEqual(values.min(), 0)
  }

  func testKernel16MatchesDeepCellGolden() throws {
    let x = try loadFixtureNPY("normalize/hn_X.npy")
    let expected = try loadFixtureNPY("normalize/hn_out_kernel16.npy")
    let out = try StackNormalizer(HistogramNormalization(kernelSize: KernelSize(16))).normalize(
      stack: x, subject: "X")
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), expected.floats()), tolerance)
  }

  /// spec-synthetic (skimage 0.19.3): 64×48 with the default kernel (8, 6).
  func testSyntheticDefaultKernel() throws {
    let x = try loadFixtureNPY("normalize/clahe_in_64x48.npy")
    let expected = try loadFixtureNPY("normalize/clahe_out_64x48.npy")
    let out = try StackNormalizer(HistogramNormalization()).normalize(stack: x, subject: "x")
    XCTAssertEqual(out.shape, [64, 48])
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), expected.floats()), tolerance)
  }

  /// spec-synthetic: 100×37 with kernel (9, 5) (odd, non-square, not dividing the size).
  func testSyntheticKernel9x5() throws {
    let x = try loadFixtureNPY("normalize/clahe_in_100x37.npy")
    let expected = try loadFixtureNPY("normalize/clahe_out_100x37_k9x5.npy")
    let out = try StackNormalizer(
      HistogramNormalization(kernelSize: KernelSize(height: 9, width: 5))
    )
    .normalize(stack: x, subject: "x")
    XCTAssertLessThanOrEqual(maxAbsDifference(out.floats(), expected.floats()), tolerance)
  }

  /// Any worker count gives the same bits, both across planes and inside one plane.
  func testThreadCountDoesNotChangeResult() throws {
    let x = try loadFixtureNPY("normalize/hn_X.npy")
    let normalizer = StackNormalizer(HistogramNormalization())
    let one = try normalizer.normalize(stack: x, subject: "X", threads: 1)
    for threads in [2, 3, 8] {
      XCTAssertEqual(try normalizer.normalize(stack: x, subject: "X", threads: threads), one)
    }
    let plane = Array(x.floats()[0..<(256 * 256)]).map { $0 / 2000 }
    let clahe = CLAHE()
    let serial = try clahe.equalize(plane, height: 256, width: 256, threads: 1)
    XCTAssertEqual(try clahe.equalize(plane, height: 256, width: 256, threads: 5), serial)
  }

  /// Channels are normalized independently: a 2-channel frame equals its channels alone.
  func testChannelsAreIndependent() throws {
    let a = try loadFixtureNPY("normalize/clahe_in_64x48.npy").floats()
    let b = a.map { 3000 - $0 * 0.5 }
    var interleaved = [Float](repeating: 0, count: a.count * 2)
    for i in a.indices {
      interleaved[2 * i] = a[i]
      interleaved[2 * i + 1] = b[i]
    }
    let normalizer = StackNormalizer(HistogramNormalization())
    let both = try normalizer.normalize(
      stack: NDArray(shape: [1, 64, 48, 2], values: interleaved), subject: "x"
    )
    .floats()
    let onlyA = try normalizer.normalize(stack: NDArray(shape: [64, 48], values: a), subject: "x")
      .floats()
    let onlyB = try normalizer.normalize(stack: NDArray(shape: [64, 48], values: b), subject: "x")
      .floats()
    XCTAssertEqual(stride(from: 0, to: both.count, by: 2).map { both[$0] }, onlyA)
    XCTAssertEqual(stride(from: 1, to: both.count, by: 2).map { both[$0] }, onlyB)
  }

  /// Integer input is cast to float32 first, so uint16 and float32 copies agree.
  func testIntegerInputIsCastToFloat() throws {
    let a = try loadFixtureNPY("normalize/clahe_in_64x48.npy")
    let normalizer = StackNormalizer(HistogramNormalization())
    let fromInt = try normalizer.normalize(stack: a.converted(to: .uint16), subject: "x")
    let fromFloat = try normalizer.normalize(
      stack: a.converted(to: .uint16).converted(to: .float32), subject: "x")
    XCTAssertEqual(fromInt, fromFloat)
  }

  func testNaNAndInfinityAreRejected() throws {
    for bad in [Float.nan, .infinity, -.infinity] {
      var values = [Float](repeating: 1, count: 2 * 8 * 8)
      values[70] = bad
      values[3] = 2
      let stack = NDArray(shape: [2, 8, 8, 1], values: values)
      XCTAssertThrowsError(
        try StackNormalizer(HistogramNormalization()).normalize(stack: stack, subject: "in.tif")
      ) {
        let error = $0 as? DeepCellError
        XCTAssertEqual(error?.kind, .badData)
        XCTAssertEqual(error?.subject, "in.tif")
        XCTAssertTrue(error?.reason.contains("frame 1") ?? false, "\(String(describing: error))")
      }
    }
  }

  /// Kernels larger than the plane and one-pixel-wide planes use numpy's repeated reflection.
  func testTinyPlanesAndLargeKernels() throws {
    let values: [Float] = (0..<(5 * 3)).map { Float(($0 * 7) % 11) }
    let normalizer = StackNormalizer(HistogramNormalization(kernelSize: KernelSize(16)))
    let out = try normalizer.normalize(stack: NDArray(shape: [5, 3], values: values), subject: "x")
      .floats()
    XCTAssertEqual(out.min(), 0)
    XCTAssertEqual(out.max(), 1)
    let column = try StackNormalizer(HistogramNormalization()).normalize(
      stack: NDArray(shape: [7, 1], values: [Float]([1, 5, 2, 9, 3, 3, 0])), subject: "x")
    XCTAssertEqual(column.floats().count, 7)
  }

  /// Exact .5 ties in the 14-bit quantization (skimage rounds half to even): the uint16
  /// range 20000…20762 puts every odd offset on a tie, and offsets 3, 263 and 523 (64.5,
  /// 5654.5, 11244.5) change bin if rounded half away. 40 % of the 48×40 plane sits on those
  /// three values; output of skimage 0.21 `equalize_adapthist` (default kernel, 256 bins).
  func testQuantizationTiesRoundHalfToEven() throws {
    let x = try loadFixtureNPY("normalize/clahe_ties_in_48x40.npy")
    let expected = try loadFixtureNPY("normalize/clahe_ties_out_48x40.npy")
    let out = try CLAHE().equalize(x.floats(), height: 48, width: 40)
    XCTAssertLessThanOrEqual(maxAbsDifference(out, expected.floats()), tolerance)
    // The reference's 14-bit values of 20000…20762, divided into 65-wide bins.
    let quantized = try loadFixtureNPY("normalize/clahe_ties_quantized.npy").integerValues()
    XCTAssertEqual(quantized.count, 763)
    XCTAssertEqual(quantized[3], 64, "64.5 rounds to even")
    let bins = CLAHE.binLookup(min: 20000, max: 20762, binSize: 65).map(Int64.init)
    XCTAssertEqual(bins, quantized.map { $0 / 65 })
  }

  /// Exact .5 ties in the uint16 conversion before it (skimage `img_as_uint`: rint of
  /// x · 65535 in float32, half to even): 40 % of the pixels are float32((k + 0.5) / 65535)
  /// for even k whose 14-bit bin differs from k + 1's (range 20000…20762).
  func testUInt16ConversionTiesRoundHalfToEven() throws {
    let x = try loadFixtureNPY("normalize/clahe_uint_ties_in_48x40.npy")
    let expected = try loadFixtureNPY("normalize/clahe_uint_ties_out_48x40.npy")
    let out = try CLAHE().equalize(x.floats(), height: 48, width: 40)
    XCTAssertLessThanOrEqual(maxAbsDifference(out, expected.floats()), tolerance)
  }

  func testReflectIndexMatchesNumpy() {
    // np.pad(np.arange(4), (7, 9), mode='reflect')
    let expected = [1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0]
    XCTAssertEqual((-7..<(4 + 9)).map { CLAHE.reflect($0, 4) }, expected)
    XCTAssertEqual((-3..<4).map { CLAHE.reflect($0, 1) }, [Int](repeating: 0, count: 7))
  }

  /// skimage's `clip_histogram` on 200 random histograms (limits 1…40), exactly.
  func testClipHistogramMatchesSkimage() throws {
    let input = try loadFixtureNPY("normalize/clip_histogram_in.npy")
    let expected = try loadFixtureNPY("normalize/clip_histogram_out.npy").values(Int32.self)
    let rows = input.values(Int32.self)
    XCTAssertEqual(input.shape, [200, 257])
    for k in 0..<200 {
      let limit = rows[k * 257]
      var hist = Array(rows[(k * 257 + 1)..<((k + 1) * 257)])
      hist.withUnsafeMutableBufferPointer {
        CLAHE.clipHistogram($0.baseAddress!, count: 256, limit: limit)
      }
      XCTAssertEqual(
        hist, Array(expected[(k * 256)..<((k + 1) * 256)]), "histogram \(k), limit \(limit)")
    }
  }

  func testPlaneExtremesFindsNonFiniteValuesAnywhere() {
    let values: [Float] = (0..<37).map { Float($0 % 11) - 3.5 }
    values.withUnsafeBufferPointer {
      let e = PlaneExtremes($0)
      XCTAssertEqual(e.min, -3.5)
      XCTAssertEqual(e.max, 6.5)
      XCTAssertTrue(PlaneExtremes.allFinite($0))
    }
    for position in [0, 5, 31, 32, 36] {
      for bad in [Float.nan, .infinity, -.infinity, -Float.nan] {
        var copy = values
        copy[position] = bad
        copy.withUnsafeBufferPointer {
          XCTAssertFalse(PlaneExtremes.allFinite($0), "\(bad) at \(position)")
        }
      }
    }
    [Float.greatestFiniteMagnitude, -1].withUnsafeBufferPointer {
      XCTAssertTrue(PlaneExtremes.allFinite($0))
    }
  }

  func testKernelSizeParsing() {
    XCTAssertEqual(KernelSize(parsing: "16"), KernelSize(16))
    XCTAssertEqual(KernelSize(parsing: "9,5"), KernelSize(height: 9, width: 5))
    XCTAssertEqual(KernelSize(parsing: "9x5"), KernelSize(height: 9, width: 5))
    XCTAssertNil(KernelSize(parsing: "0"))
    XCTAssertNil(KernelSize(parsing: "3,"))
    XCTAssertNil(KernelSize(parsing: "a"))
    XCTAssertNil(KernelSize(parsing: "1,2,3"))
    XCTAssertEqual(
      KernelSize.defaultSize(height: 1024, width: 1344), KernelSize(height: 128, width: 168))
    XCTAssertEqual(KernelSize.defaultSize(height: 5, width: 3), KernelSize(1))
  }
}
