import CDNNL
import Foundation
import XCTest

@testable import DeepCellKit

/// Inference precision (issue 15, ``NNPrecision``): bf16 maps of the shipped model stay close
/// to its fp32 maps on real images, fp32 is not disturbed by bf16 runs, and the inference
/// weight cache follows changed weights.
final class PrecisionTests: XCTestCase {
  /// A DSB sample (one 256² tile; more frames would only slow the debug-build test).
  static let samples = ["358e47eaa1e9222252793fe0fb8c77028d4e0d4360b95a07c9fe6df6a2066556"]

  /// The shipped model's inner and outer distance maps of the DSB samples (256², one tile
  /// each, normalized as dc-predict does), all frames in one batch.
  func shippedMaps(_ precision: NNPrecision) throws -> [[[Float]]] {
    let root = TestPaths.packageRoot
    let (net, _) = try ModelFile.load(root.appendingPathComponent("models/nuclear.npz").path)
    var settings = MapPredictionSettings()
    settings.precision = precision
    let predictor = MapPredictor(network: net, settings: settings)
    let frames = try Self.samples.map {
      try PNGCodec.read(path: root.appendingPathComponent("samples/dsb2018/images/\($0).png").path)
    }
    let prepared = try predictor.prepared(
      frames.map { NDArray(shape: [256, 256, 1], values: $0.floats()) }, subject: "sample",
      firstFrameIndex: 0)
    return try predictor.predictor.predict(prepared, height: 256, width: 256, channels: 1)
  }

  /// bf16 (inputs and weights rounded to 8-bit mantissas, BN folded, fp32 sums) against fp32:
  /// per map, the largest difference is at most 4 % of the map's range and the mean
  /// difference at most 0.5 % of it; the pixels above half the maximum agree on at least 99 %.
  /// (Measured on this frame: max 2.0–2.7 %, mean 0.1 % of the range.)
  /// `--precision auto` picks bf16 by feature bits, not by the enum's order: AVX2-VNNI's
  /// value lies above every AVX-512 level and has none of their features.
  func testNativeBF16IsReadFromFeatureBits() {
    XCTAssertTrue(
      DNNLEngine.includes(dnnl_cpu_isa_avx512_core_bf16, in: dnnl_cpu_isa_avx512_core_bf16))
    XCTAssertTrue(
      DNNLEngine.includes(dnnl_cpu_isa_avx512_core_bf16, in: dnnl_cpu_isa_avx512_core_amx))
    XCTAssertFalse(
      DNNLEngine.includes(dnnl_cpu_isa_avx512_core_bf16, in: dnnl_cpu_isa_avx512_core_vnni))
    XCTAssertFalse(DNNLEngine.includes(dnnl_cpu_isa_avx512_core_bf16, in: dnnl_cpu_isa_avx2_vnni))
    XCTAssertFalse(DNNLEngine.includes(dnnl_cpu_isa_avx512_core, in: dnnl_cpu_isa_avx2_vnni))
    XCTAssertTrue(DNNLEngine.includes(dnnl_cpu_isa_avx2, in: dnnl_cpu_isa_avx2_vnni))
    XCTAssertEqual(
      NNPrecision.native, DNNLEngine.dispatches(dnnl_cpu_isa_avx512_core_bf16) ? .bf16 : .fp32)
  }

  func testBF16MapsAreCloseToFP32() throws {
    try TestEnvironment.requireBF16Convolution()
    let exact = try shippedMaps(.fp32)
    let low = try shippedMaps(.bf16)
    for (f, (a, b)) in zip(exact, low).enumerated() {
      for (k, (x, y)) in zip(a, b).enumerated() {
        let range = (x.max() ?? 0) - (x.min() ?? 0)
        XCTAssertGreaterThan(range, 0.1, "frame \(f) map \(k) finds nuclei")
        let d = zip(x, y).map { abs($0 - $1) }
        let maxD = d.max() ?? 0
        let meanD = d.reduce(0, +) / Float(d.count)
        print(
          String(
            format: "frame %d map %d: range %.4f, max |bf16 - fp32| %.5f, mean %.6f", f, k, range,
            maxD, meanD))
        XCTAssertLessThanOrEqual(maxD, 0.04 * range, "frame \(f) map \(k)")
        XCTAssertLessThanOrEqual(meanD, 0.005 * range, "frame \(f) map \(k)")
        let half = (x.max() ?? 0) / 2
        let agree = zip(x, y).filter { ($0 > half) == ($1 > half) }.count
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(x.count), 0.99)
        XCTAssertNotEqual(x, y, "bf16 really ran in reduced precision")
      }
    }
  }

  /// fp32 inference gives the same bits before and after bf16 passes on the same network
  /// (bf16 keeps its own primitives and folded weights).
  func testFP32IsBitIdenticalAroundBF16Passes() throws {
    try TestEnvironment.requireBF16Convolution()
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 4)
    randomizeStatistics(net)
    var rng = RandomGenerator(seed: 9)
    let x = try Tensor(TensorShape(2, 1, 32, 32), nchw: (0..<2048).map { _ in rng.uniform(0, 1) })
    let before = try net.forward(x, training: false).map { $0.nchwValues() }
    net.precision = .bf16
    let low = try net.forward(x, training: false).map { $0.nchwValues() }
    net.precision = .fp32
    let after = try net.forward(x, training: false).map { $0.nchwValues() }
    XCTAssertEqual(before, after)
    XCTAssertNotEqual(before, low)
  }

  /// Inference reuses the reordered weights only while they are unchanged: after a kernel
  /// changes, the output equals that of a network built with the changed kernel (fp32, then
  /// bf16 where the CPU has it).
  func testInferenceFollowsChangedWeights() throws {
    try checkInferenceFollowsChangedWeights(.fp32)
    try TestEnvironment.requireBF16Convolution()
    try checkInferenceFollowsChangedWeights(.bf16)
  }

  func checkInferenceFollowsChangedWeights(_ precision: NNPrecision) throws {
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 4)
    let fresh = try PanopticNet(PanopticNetTests.tinyConfiguration(size: 32), seed: 4)
    net.precision = precision
    fresh.precision = precision
    var rng = RandomGenerator(seed: 9)
    let x = try Tensor(
      TensorShape(1, 1, 32, 32), nchw: (0..<1024).map { _ in rng.uniform(0, 1) })
    let first = try net.forward(x, training: false).map { $0.nchwValues() }
    for name in ["conv2d_1/kernel", "P1/kernel", "batch_normalization/gamma"] {
      for p in [net, fresh].map({ $0.registry[name]! }) {
        for i in 0..<p.count { p.value.pointer[i] *= 1.5 }
      }
    }
    let changed = try net.forward(x, training: false).map { $0.nchwValues() }
    let expected = try fresh.forward(x, training: false).map { $0.nchwValues() }
    XCTAssertEqual(changed, expected, "\(precision)")
    XCTAssertNotEqual(changed, first, "\(precision)")
  }

  /// Non-trivial BN statistics, so folding them into the convolutions is exercised.
  func randomizeStatistics(_ net: PanopticNet) {
    var rng = RandomGenerator(seed: 21)
    for p in net.registry.parameters where !p.name.hasSuffix("/kernel") {
      let positive = p.name.hasSuffix("/moving_variance") || p.name.hasSuffix("/gamma")
      for i in 0..<p.count {
        p.value.pointer[i] = positive ? rng.uniform(0.5, 1.5) : rng.uniform(-0.2, 0.2)
      }
    }
  }
}
