import XCTest

@testable import DeepCellKit

/// PanopticNet graph: parameter counts against model.md §7, names, shapes, and gradients
/// against central finite differences.
final class PanopticNetTests: XCTestCase {
  /// A small architecture for fast tests.
  static func tinyConfiguration(size: Int = 16, channels: Int = 1) -> PanopticNetConfiguration {
    var c = PanopticNetConfiguration()
    c.inputSize = size
    c.inputChannels = channels
    c.backboneLevels = [1, 2, 3]
    c.backboneFilters = 4
    c.featureSize = 8
    c.headUpsampleFilters = 4
    c.headFilters = 4
    return c
  }

  func testDefaultParameterCountMatchesReference() throws {
    let net = try PanopticNet(PanopticNetConfiguration(), seed: 0)
    XCTAssertEqual(net.registry.elementCount, 1_187_312)
    let nonTrainable = net.registry.parameters.filter { !$0.trainable }.reduce(0) { $0 + $1.count }
    XCTAssertEqual(nonTrainable, 1_408)
    XCTAssertEqual(net.registry["conv_channels/kernel"]?.exportShape, [1, 1, 3, 3])
    XCTAssertEqual(net.registry["conv2d/kernel"]?.exportShape, [3, 3, 3, 32])
    XCTAssertEqual(net.registry["conv2d_9/kernel"]?.exportShape, [3, 3, 32, 32])
    XCTAssertEqual(net.registry["batch_normalization_9/moving_variance"]?.count, 32)
    XCTAssertEqual(net.registry["C5_reduced/kernel"]?.exportShape, [1, 1, 32, 256])
    XCTAssertEqual(net.registry["P1/kernel"]?.exportShape, [3, 3, 256, 256])
    XCTAssertEqual(net.registry["conv_0_semantic_upsample_2/kernel"]?.exportShape, [3, 3, 256, 64])
    XCTAssertEqual(net.registry["conv_1_semantic_2/kernel"]?.exportShape, [1, 1, 128, 2])
    XCTAssertNil(net.registry["P2/kernel"])
  }

  func testLibraryDefaultLevelsParameterCount() throws {
    var c = PanopticNetConfiguration()
    c.backboneLevels = [3, 4, 5]
    let net = try PanopticNet(c, seed: 0)
    XCTAssertEqual(net.registry.elementCount, 1_391_984)
  }

  func testRejectsBadArchitectureAndInput() throws {
    var c = PanopticNetConfiguration()
    c.inputSize = 100
    XCTAssertThrowsError(try PanopticNet(c, seed: 0))
    c = Self.tinyConfiguration()
    c.backboneLevels = [1, 3]
    XCTAssertThrowsError(try PanopticNet(c, seed: 0))
    let net = try PanopticNet(Self.tinyConfiguration(), seed: 0)
    XCTAssertThrowsError(
      try net.forward(Tensor(TensorShape(1, 2, 16, 16)), training: false)
    ) { error in XCTAssertEqual((error as? DeepCellError)?.kind, .badData) }
  }

  func testForwardShapesAndHeadActivations() throws {
    let net = try PanopticNet(Self.tinyConfiguration(), seed: 1)
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor(TensorShape(2, 1, 16, 16), nchw: (0..<512).map { _ in rng.uniform(-1, 1) })
    let out = try net.forward(x, training: false)
    XCTAssertEqual(
      out.map(\.shape),
      [
        TensorShape(2, 1, 16, 16), TensorShape(2, 1, 16, 16), TensorShape(2, 2, 16, 16),
      ])
    XCTAssertTrue(out[0].nchwValues().allSatisfy { $0 >= 0 })
    let p = out[2].nchwValues()
    for i in 0..<256 { XCTAssertEqual(p[i] + p[256 + i], 1, accuracy: 1e-5) }
    // A subset of heads gives the same maps as the full run.
    let inner = try net.forward(x, training: false, heads: [0]).map { $0.nchwValues() }
    XCTAssertEqual(inner[0], out[0].nchwValues())
  }

  /// ∂L/∂θ for L = Σ r·y over every head against central differences on a sample of
  /// parameters from every part of the graph (training mode: BN uses batch statistics).
  func testGradientsMatchFiniteDifferences() throws {
    var c = Self.tinyConfiguration()
    c.semanticClasses = [1, 2]
    let net = try PanopticNet(c, seed: 3)
    var rng = RandomGenerator(seed: 9)
    let x = try Tensor(TensorShape(2, 1, 16, 16), nchw: (0..<512).map { _ in rng.uniform(0, 1) })
    let weights = [
      (0..<512).map { _ in rng.uniform(-1, 1) }, (0..<1024).map { _ in rng.uniform(-1, 1) },
    ]
    func loss() throws -> Double {
      let out = try net.forward(x, training: true)
      var total: Double = 0
      for (k, y) in out.enumerated() {
        for (a, b) in zip(y.nchwValues(), weights[k]) { total += Double(a) * Double(b) }
      }
      return total
    }
    let out = try net.forward(x, training: true)
    let dys = try out.enumerated().map { k, y in
      try Tensor(y.shape, nchw: weights[k], layout: y.layout)
    }
    try net.backward(dys)
    let names = [
      "conv_channels/kernel", "conv2d/kernel", "conv2d_3/kernel", "batch_normalization_4/gamma",
      "C1_reduced/kernel", "C3_reduced/bias", "P1/kernel", "conv_0_semantic_upsample_0/kernel",
      "batch_normalization_0_semantic_1/beta", "conv_1_semantic_1/kernel",
    ]
    // Directional derivative along each tensor's own gradient: (L(θ+h·ĝ) − L(θ−h·ĝ)) / 2h
    // must equal ‖g‖ (robust to ReLU / max-pool kinks that spoil per-element differences).
    var checked = 0
    for name in names {
      let p = try XCTUnwrap(net.registry[name], name)
      let g = try p.gradientBuffer().values
      let norm = sqrt(g.reduce(0) { $0 + Double($1) * Double($1) })
      XCTAssertGreaterThan(norm, 0, name)
      let saved = p.value.values
      let h = 2e-4
      func shifted(_ sign: Double) throws -> Double {
        for k in 0..<p.count {
          p.value.pointer[k] = saved[k] + Float(sign * h * Double(g[k]) / norm)
        }
        return try loss()
      }
      let numeric = (try shifted(1) - shifted(-1)) / (2 * h)
      for k in 0..<p.count { p.value.pointer[k] = saved[k] }
      XCTAssertEqual(numeric, norm, accuracy: 2e-2 * norm, name)
      checked += 1
    }
    XCTAssertEqual(checked, names.count)
  }
}
