import XCTest

@testable import DeepCellKit

/// MSE and DeepCell's weighted categorical cross-entropy against the float64 reference and
/// finite differences.
final class NNLossTests: XCTestCase {
  func testMeanSquaredErrorMatchesReference() throws {
    var data = TestData(71)
    let s = Ref.Shape(n: 2, c: 1, h: 5, w: 3)
    let y = data.values(s.count)
    let t = data.values(s.count)
    var mse = MeanSquaredError()
    let (loss, grad) = try mse.evaluate(prediction: Tensor.of(y, s), target: Tensor.of(t, s))
    XCTAssertEqual(Double(loss), Ref.mse(y, t), accuracy: 1e-6)
    let numeric = Ref.numericGradient(y) { Ref.mse($0, t) }
    XCTAssertLessThan(maxDiff(grad.doubles, y.indices.map { numeric[$0]! }), 1e-6)
    XCTAssertThrowsError(
      try mse.evaluate(prediction: Tensor.of(y, s), target: Tensor(TensorShape(2, 1, 5, 4))))
  }

  func testWeightedMeanSquaredErrorMatchesReferenceAndUnitWeightsChangeNothing() throws {
    var data = TestData(73)
    // 40 elements: two full SIMD runs of 16 and a scalar tail per sample.
    let s = Ref.Shape(n: 2, c: 1, h: 5, w: 8)
    let y = data.values(s.count)
    let t = data.values(s.count)
    let w = data.values(s.count, 1, 6)
    var mse = MeanSquaredError()
    let weighted = { (y: [Double]) in
      zip(zip(y, t), w).map { $1 * ($0.0 - $0.1) * ($0.0 - $0.1) }.reduce(0, +) / Double(y.count)
    }
    let (loss, grad) = try mse.evaluate(
      prediction: Tensor.of(y, s), target: Tensor.of(t, s), weight: Tensor.of(w, s))
    XCTAssertEqual(Double(loss), weighted(y), accuracy: 1e-6)
    let numeric = Ref.numericGradient(y) { weighted($0) }
    XCTAssertLessThan(maxDiff(grad.doubles, y.indices.map { numeric[$0]! }), 1e-6)
    // Weights of 1 give the unweighted loss and gradient, bit for bit.
    let ones = [Double](repeating: 1, count: s.count)
    let (l1, g1) = try mse.evaluate(
      prediction: Tensor.of(y, s), target: Tensor.of(t, s), weight: Tensor.of(ones, s))
    let g1Values = g1.nchwValues()
    let (l0, g0) = try mse.evaluate(prediction: Tensor.of(y, s), target: Tensor.of(t, s))
    XCTAssertEqual(l1, l0)
    XCTAssertEqual(g1Values, g0.nchwValues())
    XCTAssertThrowsError(
      try mse.evaluate(
        prediction: Tensor.of(y, s), target: Tensor.of(t, s),
        weight: Tensor(TensorShape(2, 1, 5, 4))))
  }

  func testWeightedCategoricalCrossEntropyMatchesReference() throws {
    var data = TestData(72)
    let s = Ref.Shape(n: 2, c: 2, h: 4, w: 3)
    // Softmax-like probabilities (not exactly normalised, as the loss renormalises) and
    // one-hot targets with an unbalanced class split.
    var p = [Double](repeating: 0, count: s.count)
    var t = p
    for n in 0..<2 {
      for h in 0..<4 {
        for w in 0..<3 {
          let a = data.values(1, 0.05, 0.95)[0]
          p[s.at(n, 0, h, w)] = a
          p[s.at(n, 1, h, w)] = (1 - a) * 1.1
          let fg = (h + w + n) % 3 == 0
          t[s.at(n, 1, h, w)] = fg ? 1 : 0
          t[s.at(n, 0, h, w)] = fg ? 0 : 1
        }
      }
    }
    var wcce = WeightedCategoricalCrossEntropy(scale: 0.01)
    let (loss, grad) = try wcce.evaluate(probabilities: Tensor.of(p, s), target: Tensor.of(t, s))
    XCTAssertEqual(Double(loss), 0.01 * Ref.weightedCCE(p, t, s), accuracy: 1e-7)
    let numeric = Ref.numericGradient(p) { 0.01 * Ref.weightedCCE($0, t, s) }
    XCTAssertLessThan(maxDiff(grad.doubles, p.indices.map { numeric[$0]! }), 1e-6)
    // Class weights: w_c = (1/K)·N_total/(N_c + 1).
    let counts = [
      t.enumerated().filter { ($0.offset / 12) % 2 == 0 }.map(\.element).reduce(0, +),
      t.enumerated().filter { ($0.offset / 12) % 2 == 1 }.map(\.element).reduce(0, +),
    ]
    let weights = WeightedCategoricalCrossEntropy.classWeights(try Tensor.of(t, s))
    for c in 0..<2 { XCTAssertEqual(weights[c], 0.5 * 24 / (counts[c] + 1), accuracy: 1e-12) }
  }

  func testCrossEntropyClipsProbabilities() throws {
    // A zero probability on the true class is clipped to 1e-7, not log(0).
    let s = TensorShape(1, 2, 1, 1)
    var wcce = WeightedCategoricalCrossEntropy()
    let (loss, grad) = try wcce.evaluate(
      probabilities: Tensor(s, nchw: [1, 0]), target: Tensor(s, nchw: [0, 1]))
    XCTAssertTrue(loss.isFinite)
    XCTAssertEqual(Double(loss), -log(1e-7) * 0.5 * 1 / 2, accuracy: 1e-3)
    XCTAssertTrue(grad.nchwValues().allSatisfy(\.isFinite))
  }
}
