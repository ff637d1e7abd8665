import XCTest

@testable import DeepCellKit

/// Every non-convolution layer against the float64 reference (both layouts), and the
/// reference backward passes against finite differences.
final class NNLayerTests: XCTestCase {
  /// Layouts to test for a tensor of `c` channels: plain always, blocked when c fits it.
  private func layouts(_ c: Int) -> [TensorLayout] {
    TensorLayout.preferred(channels: c) == .blocked ? [.nchw, .blocked] : [.nchw]
  }

  private var blockedChannels: Int { max(TensorLayout.channelBlock, 1) * 2 }

  // MARK: batch normalization

  func testBatchNormTrainingMatchesReference() throws {
    for c in [3, blockedChannels] {
      for layout in layouts(c) {
        var data = TestData(21)
        let s = Ref.Shape(n: 2, c: c, h: 5, w: 3)
        let x = data.values(s.count, -2, 3)
        let bn = try BatchNormalization(name: "bn", channels: c)
        let gamma = data.values(c, 0.5, 1.5)
        let beta = data.values(c)
        for i in 0..<c {
          bn.gamma.value.pointer[i] = Float(gamma[i])
          bn.beta.value.pointer[i] = Float(beta[i])
        }
        let y = try bn.forward(Tensor.of(x, s, layout: layout), training: true)
        let (yr, mean, variance) = Ref.batchNorm(x, s, gamma: gamma, beta: beta, eps: 1e-3)
        XCTAssertLessThan(maxDiff(y.doubles, yr), 1e-5, "forward \(layout)")
        // Moving statistics: 0.99·(0, 1) + 0.01·(mean, Bessel-corrected variance).
        let m = Double(s.n * s.h * s.w)
        for i in 0..<c {
          XCTAssertEqual(Double(bn.movingMean.value.pointer[i]), 0.01 * mean[i], accuracy: 1e-6)
          XCTAssertEqual(
            Double(bn.movingVariance.value.pointer[i]), 0.99 + 0.01 * variance[i] * m / (m - 1),
            accuracy: 1e-6)
        }
        let dy = data.values(s.count)
        let dx = try bn.backward(Tensor.of(dy, s))
        let (dxr, dgr, dbr) = Ref.batchNormBackward(x, s, gamma: gamma, eps: 1e-3, dy: dy)
        XCTAssertLessThan(maxDiff(dx.doubles, dxr), 1e-5, "input gradient \(layout)")
        XCTAssertLessThan(maxDiff(bn.gamma.gradient!.values.map(Double.init), dgr), 1e-5)
        XCTAssertLessThan(maxDiff(bn.beta.gradient!.values.map(Double.init), dbr), 1e-5)
      }
    }
  }

  func testBatchNormWithFusedReLUMatchesReference() throws {
    for c in [3, blockedChannels] {
      for layout in layouts(c) {
        var data = TestData(25)
        let s = Ref.Shape(n: 2, c: c, h: 4, w: 3)
        let x = data.values(s.count, -2, 3)
        let dy = data.values(s.count)
        let bn = try BatchNormalization(name: "bn", channels: c, fusedReLU: true)
        let ones = [Double](repeating: 1, count: c)
        let zeros = [Double](repeating: 0, count: c)
        let y = try bn.forward(Tensor.of(x, s, layout: layout), training: true)
        let (pre, _, _) = Ref.batchNorm(x, s, gamma: ones, beta: zeros, eps: 1e-3)
        XCTAssertLessThan(maxDiff(y.doubles, Ref.relu(pre)), 1e-5)
        let dx = try bn.backward(Tensor.of(dy, s))
        let masked = zip(pre, dy).map { $0 > 0 ? $1 : 0 }
        let (dxr, dgr, _) = Ref.batchNormBackward(x, s, gamma: ones, eps: 1e-3, dy: masked)
        XCTAssertLessThan(maxDiff(dx.doubles, dxr), 1e-5)
        XCTAssertLessThan(maxDiff(bn.gamma.gradient!.values.map(Double.init), dgr), 1e-5)
      }
    }
  }

  func testBatchNormInferenceUsesMovingStatistics() throws {
    let bn = try BatchNormalization(name: "bn", channels: 2)
    bn.movingMean.value.pointer[0] = 1
    bn.movingMean.value.pointer[1] = -2
    bn.movingVariance.value.pointer[0] = 4
    bn.movingVariance.value.pointer[1] = 0.25
    bn.gamma.value.pointer[1] = 3
    bn.beta.value.pointer[0] = 0.5
    let x = try Tensor(TensorShape(1, 2, 1, 2), nchw: [1, 3, -2, 0])
    let y = try bn.forward(x, training: false).nchwValues()
    let e: Float = 1e-3
    XCTAssertEqual(y[0], 0.5, accuracy: 1e-6)
    XCTAssertEqual(y[1], 2 / (4 + e).squareRoot() + 0.5, accuracy: 1e-6)
    XCTAssertEqual(y[2], 0, accuracy: 1e-6)
    XCTAssertEqual(y[3], 3 * 2 / (0.25 + e).squareRoot(), accuracy: 1e-5)
    XCTAssertEqual(bn.movingMean.value.pointer[0], 1, "inference must not update statistics")
    XCTAssertThrowsError(try bn.backward(x), "no backward after an inference pass")
  }

  func testReferenceBatchNormGradientMatchesFiniteDifferences() {
    var data = TestData(22)
    let s = Ref.Shape(n: 2, c: 2, h: 3, w: 2)
    let x = data.values(s.count)
    let gamma = data.values(2, 0.5, 1.5)
    let beta = data.values(2)
    let r = data.values(s.count)
    let (dx, dg, db) = Ref.batchNormBackward(x, s, gamma: gamma, eps: 1e-3, dy: r)
    let nx = Ref.numericGradient(x) {
      Ref.dot(r, Ref.batchNorm($0, s, gamma: gamma, beta: beta, eps: 1e-3).y)
    }
    let ng = Ref.numericGradient(gamma) {
      Ref.dot(r, Ref.batchNorm(x, s, gamma: $0, beta: beta, eps: 1e-3).y)
    }
    let nb = Ref.numericGradient(beta) {
      Ref.dot(r, Ref.batchNorm(x, s, gamma: gamma, beta: $0, eps: 1e-3).y)
    }
    XCTAssertLessThan(maxDiff(dx, x.indices.map { nx[$0]! }), 1e-7)
    XCTAssertLessThan(maxDiff(dg, gamma.indices.map { ng[$0]! }), 1e-7)
    XCTAssertLessThan(maxDiff(db, beta.indices.map { nb[$0]! }), 1e-7)
  }

  func testEngineBatchNormGradientMatchesFiniteDifferences() throws {
    var data = TestData(23)
    let s = Ref.Shape(n: 2, c: 3, h: 3, w: 3)
    let x = data.values(s.count, -2, 2)
    let r = data.values(s.count)
    let bn = try BatchNormalization(name: "bn", channels: 3)
    for i in 0..<3 { bn.gamma.value.pointer[i] = Float(1 + i) }
    _ = try bn.forward(Tensor.of(x, s), training: true)
    let dx = try bn.backward(Tensor.of(r, s)).doubles
    var worst = 0.0
    for i in x.indices {
      var up = x
      var down = x
      up[i] += 1e-2
      down[i] -= 1e-2
      let lu = Ref.dot(r, try bn.forward(Tensor.of(up, s), training: true).doubles)
      let ld = Ref.dot(r, try bn.forward(Tensor.of(down, s), training: true).doubles)
      worst = max(worst, abs((lu - ld) / 2e-2 - dx[i]))
    }
    XCTAssertLessThan(worst, 5e-3)
  }

  /// The Swift kernels split work into fixed chunks: 1 and 2 threads give the same bits.
  func testBatchNormIsBitIdenticalAcrossThreadCounts() throws {
    var data = TestData(24)
    let c = blockedChannels
    let s = Ref.Shape(n: 4, c: c, h: 9, w: 7)
    let x = try Tensor.of(data.values(s.count), s)
    let dy = try Tensor.of(data.values(s.count), s)
    var results: [[Float]] = []
    let before = NNThreads.count
    for threads in [1, 2] {
      NNThreads.set(threads)
      let bn = try BatchNormalization(name: "bn", channels: c)
      let y = try bn.forward(x, training: true).nchwValues()
      let dx = try bn.backward(dy).nchwValues()
      results.append(y + dx + bn.gamma.gradient!.values + bn.movingVariance.value.values)
    }
    NNThreads.set(before)
    XCTAssertEqual(results[0], results[1])
  }

  // MARK: activations

  func testReLUMatchesReference() throws {
    for c in [3, blockedChannels] {
      for layout in layouts(c) {
        var data = TestData(31)
        let s = Ref.Shape(n: 2, c: c, h: 3, w: 5)
        let x = data.values(s.count)
        let dy = data.values(s.count)
        let relu = ReLU(name: "r")
        XCTAssertEqual(
          try relu.forward(Tensor.of(x, s, layout: layout), training: true).doubles,
          Ref.relu(x).map { Double(Float($0)) })
        let dx = try relu.backward(Tensor.of(dy, s)).doubles
        XCTAssertEqual(dx, zip(x, dy).map { $0 > 0 ? Double(Float($1)) : 0 })
      }
    }
  }

  func testSoftmaxMatchesReferenceAndFiniteDifferences() throws {
    var data = TestData(32)
    let s = Ref.Shape(n: 2, c: 3, h: 2, w: 3)
    let x = data.values(s.count, -3, 3)
    let r = data.values(s.count)
    let sm = Softmax(name: "semantic_2")
    let y = try sm.forward(Tensor.of(x, s), training: true)
    XCTAssertLessThan(maxDiff(y.doubles, Ref.softmax(x, s)), 1e-6)
    let dx = try sm.backward(Tensor.of(r, s)).doubles
    let numeric = Ref.numericGradient(x) { Ref.dot(r, Ref.softmax($0, s)) }
    XCTAssertLessThan(maxDiff(dx, x.indices.map { numeric[$0]! }), 1e-6)
  }

  // MARK: pooling and upsampling

  func testMaxPoolingMatchesReference() throws {
    for c in [3, blockedChannels] {
      for layout in layouts(c) {
        for (h, w) in [(6, 4), (5, 7)] {
          var data = TestData(41)
          let s = Ref.Shape(n: 2, c: c, h: h, w: w)
          // Quantised values make ties: the first maximum (row-major) takes the gradient.
          let x = data.values(s.count, -2, 2).map { ($0 * 2).rounded() / 2 }
          let pool = MaxPooling2D(name: "p")
          let y = try pool.forward(Tensor.of(x, s, layout: layout), training: true)
          let (yr, os, _) = Ref.maxPool(x, s)
          XCTAssertEqual(y.shape, os.tensorShape)
          XCTAssertEqual(maxDiff(y.doubles, yr), 0)
          let dy = data.values(os.count)
          let dx = try pool.backward(Tensor.of(dy, os))
          XCTAssertLessThan(maxDiff(dx.doubles, Ref.maxPoolBackward(x, s, dy: dy)), 1e-7)
        }
      }
    }
  }

  func testUpsamplingMatchesReferenceAndFiniteDifferences() throws {
    for bilinear in [false, true] {
      for c in [3, blockedChannels] {
        for layout in layouts(c) {
          var data = TestData(51)
          let s = Ref.Shape(n: 2, c: c, h: 3, w: 4)
          let x = data.values(s.count)
          let up = UpSampling2D(name: "u", interpolation: bilinear ? .bilinear : .nearest)
          let y = try up.forward(Tensor.of(x, s, layout: layout), training: true)
          let (yr, os) = Ref.upsample(x, s, bilinear: bilinear)
          XCTAssertLessThan(maxDiff(y.doubles, yr), 1e-6)
          let r = data.values(os.count)
          let dx = try up.backward(Tensor.of(r, os)).doubles
          // The reference forward is linear in x: its gradient is the adjoint, found
          // by finite differences once (plain, 3 channels) and reused.
          if c == 3 {
            let numeric = Ref.numericGradient(x) {
              Ref.dot(r, Ref.upsample($0, s, bilinear: bilinear).0)
            }
            XCTAssertLessThan(maxDiff(dx, x.indices.map { numeric[$0]! }), 1e-5)
          } else {
            let probe = Ref.numericGradient(x, indices: Array(stride(from: 0, to: x.count, by: 7)))
            {
              Ref.dot(r, Ref.upsample($0, s, bilinear: bilinear).0)
            }
            for (i, g) in probe { XCTAssertEqual(dx[i], g, accuracy: 1e-5) }
          }
        }
      }
    }
  }

  /// model.md §6: [0, 1, 2, 3] → [0, .25, .75, 1.25, 1.75, 2.25, 2.75, 3] along an axis.
  func testBilinearUpsamplingUsesHalfPixelCentres() throws {
    let up = UpSampling2D(name: "u", interpolation: .bilinear)
    let x = try Tensor(TensorShape(1, 1, 1, 4), nchw: [0, 1, 2, 3])
    let row = Array(try up.forward(x, training: false).nchwValues().prefix(8))
    XCTAssertEqual(row, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
  }

  // MARK: merging

  func testConcatenateAndAddRouteGradients() throws {
    let b = blockedChannels
    for (ca, cb) in [(1, 2), (b, b), (b / 2, b / 2 + 1)] where ca > 0 {
      var data = TestData(61)
      let sa = Ref.Shape(n: 2, c: ca, h: 3, w: 2)
      let sb = Ref.Shape(n: 2, c: cb, h: 3, w: 2)
      let a = data.values(sa.count)
      let bv = data.values(sb.count)
      let cat = Concatenate(name: "concat")
      let y = try cat.forward(Tensor.of(a, sa), Tensor.of(bv, sb))
      XCTAssertEqual(y.shape, TensorShape(2, ca + cb, 3, 2))
      var expected: [Double] = []
      for n in 0..<2 {
        expected += a[(n * sa.count / 2)..<((n + 1) * sa.count / 2)]
        expected += bv[(n * sb.count / 2)..<((n + 1) * sb.count / 2)]
      }
      XCTAssertEqual(y.doubles, expected.map { Double(Float($0)) })
      let (da, db) = try cat.backward(y)
      XCTAssertEqual(da.doubles, a.map { Double(Float($0)) })
      XCTAssertEqual(db.doubles, bv.map { Double(Float($0)) })
    }
    let add = Add(name: "add")
    let s = TensorShape(1, 2, 2, 2)
    let y = try add.forward(
      Tensor(s, nchw: (0..<8).map(Float.init)), Tensor(s, nchw: [Float](repeating: 1, count: 8)))
    XCTAssertEqual(y.nchwValues(), (1...8).map(Float.init))
    XCTAssertThrowsError(try add.forward(Tensor(s), Tensor(TensorShape(1, 2, 2, 3))))
    XCTAssertThrowsError(
      try Concatenate(name: "c").forward(Tensor(s), Tensor(TensorShape(1, 2, 3, 2)))
    ) {
      XCTAssertEqual(($0 as? DeepCellError)?.subject, "c")
    }
  }

  func testLocationChannels() throws {
    let loc = Location2D()
    let y = try loc.forward(Tensor(TensorShape(2, 1, 3, 5)), training: true)
    XCTAssertEqual(y.shape, TensorShape(2, 2, 3, 5))
    let v = y.nchwValues()
    for n in 0..<2 {
      for h in 0..<3 {
        for w in 0..<5 {
          XCTAssertEqual(v[((n * 2 + 0) * 3 + h) * 5 + w], Float(h) / 2)
          XCTAssertEqual(v[((n * 2 + 1) * 3 + h) * 5 + w], Float(w) / 4)
        }
      }
    }
    XCTAssertEqual(try loc.backward(y).nchwValues(), [Float](repeating: 0, count: 30))
  }
}
