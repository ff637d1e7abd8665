/// 2-D convolution with `same` padding, square odd kernel (1×1, 3×3, …), stride 1 or 2,
/// optional bias — Keras `Conv2D(padding="same")`:
/// y[n,o,i,j] = b[o] + Σ_{c,u,v} W[o,c,u,v] · x[n,c, s·i+u−p, s·j+v−p], zero outside the image,
/// output ⌈H/s⌉×⌈W/s⌉, padding p split TF-style (the odd pixel goes after; model.md §6).
///
/// Runs on oneDNN (forward, backward-data, backward-weights primitives cached per shape);
/// 1×1 stride-1 convolutions on plain-layout tensors (few channels, e.g. heads) run as
/// OpenBLAS GEMMs. Kernels are stored OIHW and exported HWIO.
public final class Conv2D: Layer {
  public let name: String
  /// Input channels.
  public let inputChannels: Int
  /// Output channels (filters).
  public let outputChannels: Int
  /// Kernel height = width.
  public let kernelSize: Int
  /// Stride (both axes).
  public let stride: Int
  /// Kernel, OIHW; model-file key `NAME/kernel` (HWIO).
  public let kernel: Parameter
  /// Bias (model-file key `NAME/bias`), nil for a bias-free convolution.
  public let bias: Parameter?
  /// When false, `backward` skips ∂L/∂input (a first layer) and returns zeros.
  public var computesInputGradient = true
  /// Precision of training-mode passes on oneDNN (``NNPrecision``): at `.bf16` the forward
  /// pass reads the input and kernel in bfloat16 and both backward passes read the output
  /// gradient (and the kernel or the saved input) in bfloat16, accumulating and writing
  /// every result in float32, so the float32 kernel stays the master copy (mixed-precision
  /// training, Micikevicius et al., ICLR 2018). 1×1 convolutions run as OpenBLAS GEMMs stay
  /// float32.
  public var trainingPrecision: NNPrecision = .fp32
  /// In training, run a 1×1 convolution from a blocked input to a few plain output channels
  /// through ``PointwiseProjection`` (float32, no NHWC reorders of the input) instead of
  /// oneDNN. Off by default: oneDNN's sums reproduce recorded float32 runs bit for bit.
  public var projectsInTraining = false

  private var savedInput: Tensor?
  private var output = TensorSlot()
  private var inputGradient = TensorSlot()

  public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }

  /// A convolution with Glorot-uniform kernel and zero bias (Keras defaults).
  ///
  /// - Throws: ``DeepCellError`` (`io`) when the weights cannot be allocated.
  public init(
    name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int = 3, stride: Int = 1,
    bias: Bool = true, rng: inout RandomGenerator
  ) throws {
    precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0)
    self.name = name
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelSize = kernelSize
    self.stride = stride
    kernel = try Parameter(
      name: "\(name)/kernel", shape: [outputChannels, inputChannels, kernelSize, kernelSize],
      exportOrder: .oihwAsHWIO)
    self.bias = try bias ? Parameter(name: "\(name)/bias", shape: [outputChannels]) : nil
    Initializers.glorotUniform(kernel, using: &rng)
  }

  /// TF `same` padding for one axis of extent `n`: (before, after).
  public static func samePadding(extent n: Int, kernel k: Int, stride s: Int) -> (Int, Int) {
    let out = (n + s - 1) / s
    let total = max((out - 1) * s + k - n, 0)
    return (total / 2, total - total / 2)
  }

  /// Output shape for an input of shape `s`.
  public func outputShape(_ s: TensorShape) -> TensorShape {
    TensorShape(s.n, outputChannels, (s.h + stride - 1) / stride, (s.w + stride - 1) / stride)
  }

  private var usesGEMM: Bool { kernelSize == 1 && stride == 1 }

  private func key(_ input: Tensor, training: Bool) -> ConvolutionKey {
    let s = input.shape
    let (pb, pa) = Self.samePadding(extent: s.h, kernel: kernelSize, stride: stride)
    return ConvolutionKey(
      input: s, outputChannels: outputChannels, kernel: kernelSize, stride: stride, padBefore: pb,
      padAfter: pa, bias: bias != nil, inputLayout: input.layout,
      outputLayout: .preferred(channels: outputChannels), training: training,
      precision: training ? trainingPrecision : .fp32)
  }

  private func validate(_ input: Tensor) throws {
    let s = input.shape
    guard s.c == inputChannels else {
      throw DeepCellError(
        .badData, name, "input has \(s.c) channels, the layer expects \(inputChannels)")
    }
    guard s.n > 0, s.h > 0, s.w > 0 else {
      throw DeepCellError(.badData, name, "empty input of shape \(s)")
    }
    guard s.h == s.w || kernelSize == 1 || stride == 1 || (s.h % stride == 0 && s.w % stride == 0)
    else {
      throw DeepCellError(
        .badData, name, "strided convolution needs equal padding on both axes, got \(s)")
    }
  }

  /// Names of the oneDNN implementations chosen for `input` (diagnostics; "gemm" for BLAS).
  public func implementations(for input: Tensor) throws -> [String] {
    if usesGEMM && input.layout == .nchw
      && TensorLayout.preferred(channels: outputChannels) == .nchw
    {
      return ["openblas sgemm"]
    }
    return try OneDNNConvolution.cached(key(input, training: true)).implementations
  }

  /// Whether this is a 1×1 convolution from a blocked input to a plain output of a few
  /// channels, which ``PointwiseProjection`` computes without reordering the input.
  private func projects(_ input: Tensor) -> Bool {
    usesGEMM && input.layout == .blocked
      && TensorLayout.preferred(channels: outputChannels) == .nchw
  }

  /// The last training-mode forward pass ran through ``PointwiseProjection``.
  private var projectedForward = false

  public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
    try validate(input)
    let outShape = outputShape(input.shape)
    let outLayout = TensorLayout.preferred(channels: outputChannels)
    let y = try output.get(outShape, outLayout)
    projectedForward = training && projectsInTraining && projects(input)
    if projectedForward {
      PointwiseProjection.run(
        input: input, weights: kernel.value.pointer, bias: bias?.value.pointer,
        outputChannels: outputChannels, output: y)
    } else if usesGEMM && input.layout == .nchw && outLayout == .nchw {
      try gemmForward(input, y)
    } else {
      let conv = try OneDNNConvolution.cached(key(input, training: training))
      try conv.forward(
        input: input.data, weights: kernel.value.pointer, bias: bias?.value.pointer, output: y.data)
    }
    savedInput = training ? input : nil
    return y
  }

  /// The inference-mode output at `precision` with the batch normalization `norm` that
  /// follows this convolution folded in (kernel and bias scaled per output channel by
  /// ``BatchNormalization/inferenceAffine()``) and a ReLU fused as a oneDNN post-op when
  /// `relu` (``NNPrecision``). Source and output stay in the engine's layouts (no reorders
  /// around the primitive) unless `pinnedLayouts` is false; at `.fp32` without `norm`, `relu`
  /// and `pinnedLayouts` this is `forward(_:training: false)`.
  public func forwardInference(
    _ input: Tensor, precision: NNPrecision, folding norm: BatchNormalization? = nil,
    relu: Bool = false, pinnedLayouts: Bool = true
  ) throws -> Tensor {
    if precision == .fp32 && norm == nil && !relu && !pinnedLayouts {
      return try forward(input, training: false)
    }
    try validate(input)
    if let norm, norm.channels != outputChannels {
      throw DeepCellError(
        .badData, name, "folded \(norm.name) has \(norm.channels) channels, not \(outputChannels)")
    }
    let y = try output.get(outputShape(input.shape), .preferred(channels: outputChannels))
    var k = key(input, training: false)
    k.precision = precision
    k.postReLU = relu
    k.pinnedLayouts = pinnedLayouts
    k.bias = bias != nil || norm != nil
    let conv = try OneDNNConvolution.cached(k)
    savedInput = nil
    guard let norm else {
      try conv.forward(
        input: input.data, weights: kernel.value.pointer, bias: bias?.value.pointer, output: y.data)
      return y
    }
    let (scale, shift) = norm.inferenceAffine()
    let perOutput = kernel.count / outputChannels
    if foldedKernel?.count != kernel.count { foldedKernel = try FloatBuffer(count: kernel.count) }
    if foldedBias == nil { foldedBias = try FloatBuffer(count: outputChannels) }
    let w = foldedKernel!.pointer
    let b = foldedBias!.pointer
    for o in 0..<outputChannels {
      let src = kernel.value.pointer + o * perOutput
      let dst = w + o * perOutput
      for i in 0..<perOutput { dst[i] = src[i] * scale[o] }
      b[o] = (bias?.value.pointer[o] ?? 0) * scale[o] + shift[o]
    }
    try conv.forward(input: input.data, weights: w, bias: b, output: y.data)
    return y
  }

  /// The inference output of a 1×1 convolution to a few channels (fewer than a channel
  /// block, output plain) from a channel-blocked input, computed by ``PointwiseProjection``
  /// without reordering the input; any other case is `forward(_:training: false)`.
  public func forwardProjection(_ input: Tensor) throws -> Tensor {
    guard projects(input) else { return try forward(input, training: false) }
    try validate(input)
    let y = try output.get(outputShape(input.shape), .nchw)
    PointwiseProjection.run(
      input: input, weights: kernel.value.pointer, bias: bias?.value.pointer,
      outputChannels: outputChannels, output: y)
    savedInput = nil
    return y
  }

  private var foldedKernel: FloatBuffer?
  private var foldedBias: FloatBuffer?

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    let x = try requireSaved(savedInput, name)
    try requireShape(outputGradient.shape, outputShape(x.shape), name)
    let outLayout = TensorLayout.preferred(channels: outputChannels)
    let dy =
      try outputGradient.layout == outLayout
      ? outputGradient : outputGradient.converted(to: outLayout)
    let dx = try inputGradient.get(x.shape, x.layout)
    let dw = try kernel.gradientBuffer()
    let db = try bias?.gradientBuffer()
    if projectedForward {
      PointwiseProjection.backward(
        input: x, outputGradient: dy, weights: kernel.value.pointer,
        outputChannels: outputChannels, inputGradient: computesInputGradient ? dx : nil,
        weightGradient: dw.pointer, biasGradient: db?.pointer)
    } else if usesGEMM && x.layout == .nchw && outLayout == .nchw {
      try gemmBackward(x, dy, dx, dw, db)
    } else {
      let conv = try OneDNNConvolution.cached(key(x, training: true))
      try conv.backwardWeights(
        input: x.data, outputGradient: dy.data, weightGradient: dw.pointer,
        biasGradient: db?.pointer)
      if computesInputGradient {
        try conv.backwardData(
          outputGradient: dy.data, weights: kernel.value.pointer, inputGradient: dx.data)
      }
    }
    return dx
  }

  // MARK: 1×1 convolution as GEMM (plain layout): Y_n = W · X_n, W is O×I, X_n is I×HW.

  /// Samples, pixels per sample, output and input channels of the 1×1 GEMM path.
  private func gemmSizes(_ x: Tensor) -> (samples: Int, hw: Int, o: Int, i: Int) {
    (x.shape.n, x.shape.h * x.shape.w, outputChannels, inputChannels)
  }

  private func gemmForward(_ x: Tensor, _ y: Tensor) throws {
    let (samples, hw, o, i) = gemmSizes(x)
    for n in 0..<samples {
      let xn = x.data + n * i * hw
      let yn = y.data + n * o * hw
      try OpenBLAS.sgemm(
        .none, .none, m: o, n: hw, k: i, alpha: 1, a: kernel.value.pointer, lda: i, b: xn,
        ldb: hw, beta: 0, c: yn, ldc: hw)
      if let b = bias?.value.pointer {
        for c in 0..<o {
          let row = yn + c * hw
          let bc = b[c]
          for k in 0..<hw { row[k] += bc }
        }
      }
    }
  }

  private func gemmBackward(
    _ x: Tensor, _ dy: Tensor, _ dx: Tensor, _ dw: FloatBuffer, _ db: FloatBuffer?
  ) throws {
    let (samples, hw, o, i) = gemmSizes(x)
    for n in 0..<samples {
      let xn = x.data + n * i * hw
      let dyn = dy.data + n * o * hw
      // dW (O×I) += dY_n (O×HW) · X_nᵀ (HW×I)
      try OpenBLAS.sgemm(
        .none, .transposed, m: o, n: i, k: hw, alpha: 1, a: dyn, lda: hw, b: xn, ldb: hw,
        beta: n == 0 ? 0 : 1, c: dw.pointer, ldc: i)
      if computesInputGradient {
        // dX_n (I×HW) = Wᵀ (I×O) · dY_n (O×HW)
        try OpenBLAS.sgemm(
          .transposed, .none, m: i, n: hw, k: o, alpha: 1, a: kernel.value.pointer, lda: i,
          b: dyn, ldb: hw, beta: 0, c: dx.data + n * i * hw, ldc: hw)
      }
    }
    if let db {
      for c in 0..<o {
        var acc: Double = 0
        for n in 0..<samples {
          let row = dy.data + (n * o + c) * hw
          var part: Float = 0
          for k in 0..<hw { part += row[k] }
          acc += Double(part)
        }
        db.pointer[c] = Float(acc)
      }
    }
  }
}
