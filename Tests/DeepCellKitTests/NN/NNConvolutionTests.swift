import XCTest

@testable import DeepCellKit

/// Conv2D (oneDNN and OpenBLAS paths) against the float64 reference, and the reference
/// against finite differences.
final class NNConvolutionTests: XCTestCase {
  private func check(
    n: Int, ic: Int, oc: Int, h: Int, w: Int, k: Int, stride: Int, bias: Bool,
    layout: TensorLayout?,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    var data = TestData(UInt64(ic * 100 + oc * 10 + k + stride))
    var rng = RandomGenerator(seed: 5)
    let conv = try Conv2D(
      name: "c", inputChannels: ic, outputChannels: oc, kernelSize: k, stride: stride, bias: bias,
      rng: &rng)
    if let b = conv.bias { for i in 0..<oc { b.value.pointer[i] = Float(data.values(1)[0]) } }
    let xs = Ref.Shape(n: n, c: ic, h: h, w: w)
    let x = data.values(xs.count)
    let input = try Tensor.of(x, xs, layout: layout)
    let y = try conv.forward(input, training: true)
    let kernel = conv.kernel.value.values.map(Double.init)
    let biasValues = conv.bias.map { $0.value.values.map(Double.init) }
    let (yr, ys) = Ref.conv(x, xs, kernel, oc: oc, k: k, stride: stride, bias: biasValues)
    XCTAssertEqual(y.shape, ys.tensorShape, file: file, line: line)
    XCTAssertLessThan(maxDiff(y.doubles, yr), 1e-4, "forward", file: file, line: line)
    let dy = data.values(ys.count)
    let dx = try conv.backward(Tensor.of(dy, ys))
    let (dxr, dwr, dbr) = Ref.convBackward(x, xs, kernel, oc: oc, k: k, stride: stride, dy: dy)
    XCTAssertEqual(dx.layout, input.layout, file: file, line: line)
    XCTAssertLessThan(maxDiff(dx.doubles, dxr), 1e-4, "input gradient", file: file, line: line)
    XCTAssertLessThan(
      maxDiff(conv.kernel.gradient!.values.map(Double.init), dwr), 1e-4, "kernel gradient",
      file: file, line: line)
    if let b = conv.bias {
      XCTAssertLessThan(
        maxDiff(b.gradient!.values.map(Double.init), dbr), 1e-4, "bias gradient", file: file,
        line: line)
    }
  }

  func testPlainLayoutConvolutionsMatchReference() throws {
    try check(n: 2, ic: 3, oc: 5, h: 7, w: 6, k: 3, stride: 1, bias: true, layout: .nchw)
    try check(n: 2, ic: 3, oc: 5, h: 8, w: 8, k: 3, stride: 2, bias: true, layout: .nchw)
    try check(n: 1, ic: 2, oc: 3, h: 7, w: 7, k: 3, stride: 2, bias: false, layout: .nchw)
    // 1×1 on plain tensors: the OpenBLAS GEMM path.
    try check(n: 2, ic: 5, oc: 3, h: 6, w: 5, k: 1, stride: 1, bias: true, layout: .nchw)
    try check(n: 2, ic: 1, oc: 1, h: 4, w: 4, k: 1, stride: 1, bias: false, layout: .nchw)
  }

  func testBlockedLayoutConvolutionsMatchReference() throws {
    let b = TensorLayout.channelBlock
    try XCTSkipIf(b == 1, "oneDNN prefers plain tensors on this CPU")
    try check(n: 2, ic: b, oc: 2 * b, h: 6, w: 6, k: 3, stride: 1, bias: false, layout: .blocked)
    try check(n: 2, ic: 2 * b, oc: b, h: 8, w: 8, k: 3, stride: 2, bias: true, layout: .blocked)
    try check(n: 1, ic: b, oc: b, h: 5, w: 5, k: 1, stride: 1, bias: true, layout: .blocked)
    // Plain input (1 channel) into a blocked output, as a network's first layer.
    try check(n: 2, ic: 1, oc: b, h: 6, w: 6, k: 3, stride: 1, bias: false, layout: .nchw)
    // Blocked input into a 1-channel plain output, as a head.
    try check(n: 2, ic: b, oc: 1, h: 6, w: 6, k: 1, stride: 1, bias: true, layout: .blocked)
  }

  /// ``Conv2D/forwardProjection(_:)`` (a head's last layer read from the blocked layout)
  /// against the float64 reference: 1 and 2 output channels, channels not a whole number of
  /// blocks (padding lanes hold garbage), and the same bits at 1 and 2 threads.
  func testProjectionFromBlockedInputMatchesReference() throws {
    let b = TensorLayout.channelBlock
    try XCTSkipIf(b == 1, "oneDNN prefers plain tensors on this CPU")
    for (ic, oc) in [(8 * b, 1), (2 * b, 2), (b + 3, 1)] {
      var data = TestData(UInt64(ic * 7 + oc))
      var rng = RandomGenerator(seed: 5)
      let conv = try Conv2D(
        name: "c", inputChannels: ic, outputChannels: oc, kernelSize: 1, rng: &rng)
      for i in 0..<oc { conv.bias!.value.pointer[i] = Float(data.values(1)[0]) }
      let xs = Ref.Shape(n: 2, c: ic, h: 5, w: 7)
      let x = data.values(xs.count)
      let input = try Tensor.of(x, xs, layout: .blocked)
      // Garbage in the padding lanes of the last block must not reach the output.
      let padded = input.channelBlocks * b
      if padded > ic {
        for n in 0..<2 {
          for c in ic..<padded {
            for h in 0..<5 {
              for w in 0..<7 {
                input.data[((n * input.channelBlocks + c / b) * 5 + h) * 7 * b + w * b + c % b] =
                  1e6
              }
            }
          }
        }
      }
      let kernel = conv.kernel.value.values.map(Double.init)
      let (yr, _) = Ref.conv(
        x, xs, kernel, oc: oc, k: 1, stride: 1, bias: conv.bias!.value.values.map(Double.init))
      var outputs: [[Float]] = []
      let before = NNThreads.count
      for threads in [1, 2] {
        NNThreads.set(threads)
        let y = try conv.forwardProjection(input)
        XCTAssertEqual(y.layout, .nchw)
        XCTAssertEqual(y.shape, TensorShape(2, oc, 5, 7))
        XCTAssertLessThan(maxDiff(y.doubles, yr), 1e-4, "\(ic) → \(oc)")
        outputs.append(y.nchwValues())
      }
      NNThreads.set(before)
      XCTAssertEqual(outputs[0], outputs[1])
    }
  }

  /// A 1×1 convolution with ``Conv2D/projectsInTraining`` (the heads' last layer in mixed
  /// precision) trains as the reference: output, input, kernel and bias gradients, channel
  /// counts that do not fill the last block, the same bits at 1 and 2 threads, and several
  /// pixel chunks of the weight-gradient reduction.
  func testProjectionTrainingMatchesReference() throws {
    let b = TensorLayout.channelBlock
    try XCTSkipIf(b == 1, "oneDNN prefers plain tensors on this CPU")
    for (ic, oc, h) in [(8 * b, 1, 5), (b + 3, 2, 5), (2 * b, 1, 70)] {
      var data = TestData(UInt64(ic * 13 + oc + h))
      let xs = Ref.Shape(n: 2, c: ic, h: h, w: 64)
      let x = data.values(xs.count)
      let dyValues = data.values(2 * oc * h * 64)
      var results: [[Float]] = []
      let before = NNThreads.count
      for threads in [1, 2] {
        NNThreads.set(threads)
        var rng = RandomGenerator(seed: 5)
        let conv = try Conv2D(
          name: "c", inputChannels: ic, outputChannels: oc, kernelSize: 1, rng: &rng)
        for i in 0..<oc { conv.bias!.value.pointer[i] = 0.1 * Float(i + 1) }
        conv.projectsInTraining = true
        let y = try conv.forward(Tensor.of(x, xs, layout: .blocked), training: true)
        let kernel = conv.kernel.value.values.map(Double.init)
        let (yr, ys) = Ref.conv(
          x, xs, kernel, oc: oc, k: 1, stride: 1, bias: conv.bias!.value.values.map(Double.init))
        XCTAssertEqual(y.layout, .nchw)
        XCTAssertLessThan(maxDiff(y.doubles, yr), 1e-4, "forward \(ic) → \(oc)")
        let dx = try conv.backward(Tensor.of(dyValues, ys))
        let (dxr, dwr, dbr) = Ref.convBackward(x, xs, kernel, oc: oc, k: 1, stride: 1, dy: dyValues)
        XCTAssertEqual(dx.layout, .blocked)
        XCTAssertLessThan(maxDiff(dx.doubles, dxr), 1e-4, "input gradient \(ic) → \(oc)")
        let dw = conv.kernel.gradient!.values
        let db = conv.bias!.gradient!.values
        XCTAssertLessThan(maxDiff(dw.map(Double.init), dwr), 1e-3, "kernel gradient")
        XCTAssertLessThan(maxDiff(db.map(Double.init), dbr), 1e-3, "bias gradient")
        results.append(y.nchwValues() + dx.nchwValues() + dw + db)
      }
      NNThreads.set(before)
      XCTAssertEqual(results[0], results[1], "\(ic) → \(oc): same bits at 1 and 2 threads")
    }
  }

  func testReferenceConvolutionGradientsMatchFiniteDifferences() {
    var data = TestData(11)
    for (k, stride) in [(3, 1), (3, 2), (1, 1)] {
      let xs = Ref.Shape(n: 1, c: 2, h: 5, w: 4)
      let oc = 3
      let x = data.values(xs.count)
      let wt = data.values(oc * 2 * k * k)
      let b = data.values(oc)
      let (y, _) = Ref.conv(x, xs, wt, oc: oc, k: k, stride: stride, bias: b)
      let r = data.values(y.count)
      let (dx, dw, db) = Ref.convBackward(x, xs, wt, oc: oc, k: k, stride: stride, dy: r)
      let nx = Ref.numericGradient(x) {
        Ref.dot(r, Ref.conv($0, xs, wt, oc: oc, k: k, stride: stride, bias: b).0)
      }
      let nw = Ref.numericGradient(wt) {
        Ref.dot(r, Ref.conv(x, xs, $0, oc: oc, k: k, stride: stride, bias: b).0)
      }
      let nb = Ref.numericGradient(b) {
        Ref.dot(r, Ref.conv(x, xs, wt, oc: oc, k: k, stride: stride, bias: $0).0)
      }
      XCTAssertLessThan(maxDiff(dx, x.indices.map { nx[$0]! }), 1e-7)
      XCTAssertLessThan(maxDiff(dw, wt.indices.map { nw[$0]! }), 1e-7)
      XCTAssertLessThan(maxDiff(db, b.indices.map { nb[$0]! }), 1e-7)
    }
  }

  /// The engine's float32 backward against float32 central differences of Σ r·conv(x).
  func testEngineConvolutionGradientMatchesFiniteDifferences() throws {
    var data = TestData(12)
    var rng = RandomGenerator(seed: 2)
    let conv = try Conv2D(
      name: "c", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, bias: true,
      rng: &rng)
    let xs = Ref.Shape(n: 1, c: 3, h: 6, w: 6)
    let x = data.values(xs.count)
    let ys = Ref.Shape(n: 1, c: 4, h: 3, w: 3)
    let r = data.values(ys.count)
    let loss: ([Double]) throws -> Double = { v in
      Ref.dot(r, try conv.forward(Tensor.of(v, xs), training: true).doubles)
    }
    _ = try conv.forward(Tensor.of(x, xs), training: true)
    let dx = try conv.backward(Tensor.of(r, ys)).doubles
    var worst = 0.0
    for i in x.indices {
      var up = x
      var down = x
      up[i] += 1e-2
      down[i] -= 1e-2
      let numeric = (try loss(up) - loss(down)) / 2e-2
      worst = max(worst, abs(numeric - dx[i]))
    }
    XCTAssertLessThan(worst, 2e-3)
  }

  func testChannelMismatchIsATypedError() throws {
    var rng = RandomGenerator(seed: 1)
    let conv = try Conv2D(name: "conv_x", inputChannels: 4, outputChannels: 2, rng: &rng)
    XCTAssertThrowsError(try conv.forward(Tensor(TensorShape(1, 3, 4, 4)), training: true)) {
      error in
      let e = error as? DeepCellError
      XCTAssertEqual(e?.kind, .badData)
      XCTAssertEqual(e?.subject, "conv_x")
    }
    XCTAssertThrowsError(try conv.backward(Tensor(TensorShape(1, 2, 4, 4)))) { error in
      XCTAssertEqual((error as? DeepCellError)?.kind, .usage)
    }
    _ = try conv.forward(Tensor(TensorShape(1, 4, 4, 4)), training: true)
    XCTAssertThrowsError(try conv.backward(Tensor(TensorShape(1, 2, 5, 4)))) { error in
      XCTAssertEqual((error as? DeepCellError)?.kind, .badData)
    }
  }

  func testSamePaddingFollowsTensorFlow() {
    XCTAssertTrue(Conv2D.samePadding(extent: 8, kernel: 3, stride: 2) == (0, 1))
    XCTAssertTrue(Conv2D.samePadding(extent: 7, kernel: 3, stride: 2) == (1, 1))
    XCTAssertTrue(Conv2D.samePadding(extent: 8, kernel: 3, stride: 1) == (1, 1))
    XCTAssertTrue(Conv2D.samePadding(extent: 8, kernel: 1, stride: 1) == (0, 0))
  }
}
