import CDNNL
import Foundation

// Every oneDNN 2.x call of the engine lives in this file: oneDNN 3.x replaces op descriptors
// and the `dnnl_memory_desc_t` struct, so a port touches only this file (backend.md §6).

/// oneDNN execution argument indices (`DNNL_ARG_*`, dnnl_types.h).
private enum Arg {
  static let src: Int32 = 1
  static let dst: Int32 = 17
  static let weights: Int32 = 33
  static let bias: Int32 = 41
  static let diffSrc: Int32 = 129
  static let diffDst: Int32 = 145
  static let diffWeights: Int32 = 161
  static let diffBias: Int32 = 169
}

@inline(__always)
private func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
  guard status == dnnl_success else {
    throw DeepCellError(.badData, "oneDNN", "\(what()) failed with status \(status.rawValue)")
  }
}

/// The process-wide oneDNN CPU engine and its in-order stream.
final class DNNLEngine {
  let engine: dnnl_engine_t
  let stream: dnnl_stream_t

  static let shared: DNNLEngine = {
    var engine: dnnl_engine_t?
    var stream: dnnl_stream_t?
    guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine,
      dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue))
        == dnnl_success,
      let stream
    else { fatalError("oneDNN: cannot create the CPU engine") }
    return DNNLEngine(engine: engine, stream: stream)
  }()

  private init(engine: dnnl_engine_t, stream: dnnl_stream_t) {
    self.engine = engine
    self.stream = stream
  }

  /// The channel block oneDNN's forward convolution picks for activations when free to
  /// choose (probe: 32→32 channels, 3×3, 16×16): 16 on AVX-512, 8 on AVX2, 1 for plain.
  static let preferredChannelBlock: Int = {
    do {
      var src = try memoryDesc([2, 32, 16, 16], dnnl_format_tag_any)
      var dst = try memoryDesc([2, 32, 16, 16], dnnl_format_tag_any)
      var w = try memoryDesc([32, 32, 3, 3], dnnl_format_tag_any)
      var desc = dnnl_convolution_desc_t()
      let one: [Int64] = [1, 1]
      try check(
        dnnl_convolution_forward_desc_init(
          &desc, dnnl_forward_training, dnnl_convolution_direct, &src, &w, nil, &dst, one, one, one),
        "probe descriptor")
      var pd: dnnl_primitive_desc_t?
      try check(dnnl_primitive_desc_create(&pd, &desc, nil, shared.engine, nil), "probe")
      defer { dnnl_primitive_desc_destroy(pd) }
      let md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0)!.pointee
      let blocking = md.format_desc.blocking
      guard md.format_kind == dnnl_blocked, blocking.inner_nblks == 1, blocking.inner_idxs.0 == 1
      else { return 1 }
      let b = Int(blocking.inner_blks.0)
      return [4, 8, 16].contains(b) ? b : 1
    } catch {
      return 1
    }
  }()

  /// Whether oneDNN's instruction set includes all of `isa`'s.
  static func dispatches(_ isa: dnnl_cpu_isa_t) -> Bool {
    includes(isa, in: dnnl_get_effective_cpu_isa())
  }

  /// Whether instruction set `effective` has every feature of `isa`: the `dnnl_cpu_isa_t`
  /// values are sets of feature bits, not levels (AVX2-VNNI, 0x407, is numerically above
  /// AVX-512 but has none of it).
  static func includes(_ isa: dnnl_cpu_isa_t, in effective: dnnl_cpu_isa_t) -> Bool {
    effective.rawValue & isa.rawValue == isa.rawValue
  }

  /// The instruction set oneDNN dispatches to.
  static var isaName: String {
    if dispatches(dnnl_cpu_isa_avx512_core_bf16) { return "AVX-512 with BF16" }
    if dispatches(dnnl_cpu_isa_avx512_core) { return "AVX-512" }
    if dispatches(dnnl_cpu_isa_avx2) { return "AVX2" }
    return "SSE4.1 or lower"
  }

  /// "oneDNN MAJOR.MINOR.PATCH (cpu runtime N)".
  static var versionString: String {
    guard let v = dnnl_version() else { return "oneDNN (unknown version)" }
    return "oneDNN \(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
  }
}

/// A 4-D memory descriptor with an explicit format tag (or `any`).
private func memoryDesc(
  _ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32
) throws -> dnnl_memory_desc_t {
  var md = dnnl_memory_desc_t()
  let d = dims.map { Int64($0) }
  try check(
    dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, tag), "memory descriptor \(dims)"
  )
  return md
}

private func tag(for layout: TensorLayout) -> dnnl_format_tag_t {
  switch (layout, TensorLayout.channelBlock) {
  case (.blocked, 16): return dnnl_nChw16c
  case (.blocked, 8): return dnnl_nChw8c
  case (.blocked, 4): return dnnl_nChw4c
  default: return dnnl_nchw
  }
}

/// A oneDNN memory object whose data handle is set before each execution.
private final class DNNLMemory {
  let memory: dnnl_memory_t
  var desc: dnnl_memory_desc_t

  init(_ desc: dnnl_memory_desc_t) throws {
    self.desc = desc
    var m: dnnl_memory_t?
    var d = desc
    try check(dnnl_memory_create(&m, &d, DNNLEngine.shared.engine, nil), "memory object")
    memory = m!
  }

  deinit { dnnl_memory_destroy(memory) }

  /// Bytes the descriptor spans (including blocking padding).
  var byteCount: Int {
    var d = desc
    return dnnl_memory_desc_get_size(&d)
  }

  func bind(_ pointer: UnsafeMutableRawPointer) {
    dnnl_memory_set_data_handle(memory, pointer)
  }
}

/// A primitive with its descriptor.
private final class DNNLPrimitive {
  let pd: dnnl_primitive_desc_t
  let primitive: dnnl_primitive_t

  init(pd: dnnl_primitive_desc_t, what: String) throws {
    self.pd = pd
    var p: dnnl_primitive_t?
    try check(dnnl_primitive_create(&p, pd), "\(what) primitive")
    primitive = p!
  }

  deinit {
    dnnl_primitive_destroy(primitive)
    dnnl_primitive_desc_destroy(pd)
  }

  func queryMD(_ what: dnnl_query_t) -> dnnl_memory_desc_t {
    dnnl_primitive_desc_query_md(pd, what, 0)!.pointee
  }

  var implementation: String {
    var s: UnsafePointer<CChar>?
    guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) == dnnl_success, let s
    else { return "?" }
    return String(cString: s)
  }

  func execute(_ args: [(Int32, DNNLMemory)]) throws {
    let list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
    try check(
      dnnl_primitive_execute(primitive, DNNLEngine.shared.stream, Int32(list.count), list),
      "execution")
    try check(dnnl_stream_wait(DNNLEngine.shared.stream), "stream wait")
  }
}

/// A reorder between two memory descriptors of the same logical tensor, with its own
/// destination buffer when the formats differ (identity when they are equal).
private final class DNNLReorder {
  let from: DNNLMemory
  let to: DNNLMemory
  let primitive: DNNLPrimitive?
  /// Buffer holding the converted tensor (nil when no conversion is needed).
  let buffer: UnsafeMutableRawPointer?
  /// The buffer's share of the memory budget (``MemoryBudget``).
  private var reservation: MemoryBudget.Reservation?

  init(from src: dnnl_memory_desc_t, to dst: dnnl_memory_desc_t, ownsDestination: Bool) throws {
    from = try DNNLMemory(src)
    to = try DNNLMemory(dst)
    var s = src
    var d = dst
    if dnnl_memory_desc_equal(&s, &d) != 0 {
      primitive = nil
      buffer = nil
      return
    }
    var pd: dnnl_primitive_desc_t?
    let engine = DNNLEngine.shared.engine
    try check(
      dnnl_reorder_primitive_desc_create(&pd, &s, engine, &d, engine, nil), "reorder descriptor")
    primitive = try DNNLPrimitive(pd: pd!, what: "reorder")
    if ownsDestination {
      var raw: UnsafeMutableRawPointer?
      let bytes = max(to.byteCount, 64)
      reservation = try MemoryBudget.process.reserve(bytes, for: "oneDNN reorder buffers")
      guard posix_memalign(&raw, 64, bytes) == 0, let raw else { throw outOfMemory(bytes) }
      memset(raw, 0, bytes)
      buffer = raw
    } else {
      buffer = nil
    }
  }

  deinit { free(buffer) }

  var isIdentity: Bool { primitive == nil }

  /// Converts `src` into the owned buffer and returns it (or returns `src` when identical);
  /// with `reuse`, returns the buffer as the last conversion left it.
  func run(_ src: UnsafeMutableRawPointer, reuse: Bool = false) throws -> UnsafeMutableRawPointer {
    guard let primitive, let buffer else { return src }
    if reuse { return buffer }
    from.bind(src)
    to.bind(buffer)
    try primitive.execute([(Arg.src, from), (Arg.dst, to)])
    return buffer
  }

  /// Converts `src` into `dst`.
  func run(_ src: UnsafeMutableRawPointer, into dst: UnsafeMutableRawPointer) throws {
    guard let primitive else {
      if src != dst { memcpy(dst, src, from.byteCount) }
      return
    }
    from.bind(src)
    to.bind(dst)
    try primitive.execute([(Arg.src, from), (Arg.dst, to)])
  }
}

/// What identifies a cached convolution: shapes, geometry, layouts and propagation kind.
struct ConvolutionKey: Hashable {
  var input: TensorShape
  var outputChannels: Int
  var kernel: Int
  var stride: Int
  var padBefore: Int
  var padAfter: Int
  var bias: Bool
  var inputLayout: TensorLayout
  var outputLayout: TensorLayout
  var training: Bool
  /// Precision of source activations and weights, and in training of the output gradient
  /// read by both backward passes (destination, input and weight gradients and bias stay
  /// float32, accumulation is float32).
  var precision: NNPrecision = .fp32
  /// ReLU applied to the output as a oneDNN post-op (inference only).
  var postReLU = false
  /// Source and destination in the engine's layouts (no activation reorders around the
  /// primitive; oneDNN's own choice would be NHWC for bf16 and 1-channel outputs).
  var pinnedLayouts = false

  /// Output spatial size of a `same` convolution: ⌈H/stride⌉ (TF, model.md §6).
  var output: TensorShape {
    TensorShape(
      input.n, outputChannels, (input.h + stride - 1) / stride, (input.w + stride - 1) / stride)
  }
}

/// An activation argument of a primitive whose format (chosen by oneDNN from `any`) may
/// differ from the engine's tensor layout: an input is reordered into a staging buffer, an
/// output is written to the staging buffer and reordered out. Identity when they agree.
private final class StagedArgument {
  let memory: DNNLMemory
  private let reorder: DNNLReorder
  private let isOutput: Bool
  private var staging: UnsafeMutableRawPointer?
  private var reservation: MemoryBudget.Reservation?

  init(user: dnnl_memory_desc_t, primitive: dnnl_memory_desc_t, isOutput: Bool) throws {
    memory = try DNNLMemory(primitive)
    self.isOutput = isOutput
    reorder =
      isOutput
      ? try DNNLReorder(from: primitive, to: user, ownsDestination: false)
      : try DNNLReorder(from: user, to: primitive, ownsDestination: true)
    if isOutput && !reorder.isIdentity {
      let bytes = max(memory.byteCount, 64)
      reservation = try MemoryBudget.process.reserve(bytes, for: "oneDNN staging buffers")
      guard posix_memalign(&staging, 64, bytes) == 0 else { throw outOfMemory(bytes) }
      memset(staging!, 0, bytes)
    }
  }

  deinit { free(staging) }

  var needsReorder: Bool { !reorder.isIdentity }

  /// Binds the memory for an execution with the engine tensor at `pointer`.
  func bind(_ pointer: UnsafeMutablePointer<Float>) throws {
    let raw = UnsafeMutableRawPointer(pointer)
    if isOutput {
      memory.bind(staging ?? raw)
    } else {
      memory.bind(try reorder.run(raw))
    }
  }

  /// After execution: moves an output from staging into the engine tensor at `pointer`.
  func finish(_ pointer: UnsafeMutablePointer<Float>) throws {
    guard isOutput, let staging else { return }
    try reorder.run(staging, into: UnsafeMutableRawPointer(pointer))
  }
}

/// One convolution geometry compiled into oneDNN primitives (forward, backward-data,
/// backward-weights) with every reorder it needs: weights from/to the engine's plain OIHW
/// parameters, and activations when oneDNN's preferred format for this shape differs from
/// the engine's tensor layout (e.g. 1-channel inputs and outputs). Built once per
/// ``ConvolutionKey`` and cached (backend.md §3: setup is ~35 ms).
final class OneDNNConvolution {
  let key: ConvolutionKey
  private let forwardPrimitive: DNNLPrimitive
  private let backwardDataPrimitive: DNNLPrimitive?
  private let backwardWeightsPrimitive: DNNLPrimitive?
  private let fwdSrc, fwdDst: StagedArgument
  private let weights, bias: DNNLMemory
  private let bdDiffDst, bdDiffSrc, bwDiffDst, bwSrc: StagedArgument?
  private let backwardDataWeights, diffWeights, diffBias: DNNLMemory?
  private let weightsToForward: DNNLReorder
  private let weightsToBackwardData: DNNLReorder?
  private let diffWeightsToPlain: DNNLReorder?
  private var diffWeightBuffer: UnsafeMutableRawPointer?
  private var diffWeightReservation: MemoryBudget.Reservation?

  /// Process-wide primitive cache. The engine runs a network from one thread at a time
  /// (its parallelism is inside the OpenMP regions), so the cache needs no lock.
  nonisolated(unsafe) private static var cache: [ConvolutionKey: OneDNNConvolution] = [:]

  /// Drops every cached primitive (e.g. after predicting on many different tile shapes).
  static func clearCache() { cache.removeAll() }

  /// The cached primitives for `key`, created on first use.
  static func cached(_ key: ConvolutionKey) throws -> OneDNNConvolution {
    if let c = cache[key] { return c }
    let c = try OneDNNConvolution(key)
    cache[key] = c
    return c
  }

  /// Names of the chosen oneDNN implementations (forward, backward-data, backward-weights),
  /// with "+reorder" where activations are converted around the primitive.
  var implementations: [String] {
    func tagged(_ p: DNNLPrimitive?, _ args: [StagedArgument?]) -> String {
      guard let p else { return "-" }
      return p.implementation + (args.contains { $0?.needsReorder ?? false } ? "+reorder" : "")
    }
    return [
      tagged(forwardPrimitive, [fwdSrc, fwdDst]),
      tagged(backwardDataPrimitive, [bdDiffDst, bdDiffSrc]),
      tagged(backwardWeightsPrimitive, [bwSrc, bwDiffDst]),
    ]
  }

  private init(_ key: ConvolutionKey) throws {
    self.key = key
    let out = key.output
    let inDims = [key.input.n, key.input.c, key.input.h, key.input.w]
    let outDims = [out.n, out.c, out.h, out.w]
    let wDims = [key.outputChannels, key.input.c, key.kernel, key.kernel]
    let userSrc = try memoryDesc(inDims, tag(for: key.inputLayout))
    let userDst = try memoryDesc(outDims, tag(for: key.outputLayout))
    guard !key.training || (!key.postReLU && !key.pinnedLayouts) else {
      throw DeepCellError(
        .usage, "convolution",
        "fused ReLU and pinned layouts are for inference-mode primitives only")
    }
    let low = key.precision == .bf16 ? dnnl_bf16 : dnnl_f32
    let pin = key.pinnedLayouts
    var anySrc = try memoryDesc(inDims, pin ? tag(for: key.inputLayout) : dnnl_format_tag_any, low)
    var anyDst = try memoryDesc(outDims, pin ? tag(for: key.outputLayout) : dnnl_format_tag_any)
    var anyW = try memoryDesc(wDims, dnnl_format_tag_any, low)
    let plainW = try memoryDesc(wDims, dnnl_oihw)
    var biasMD = dnnl_memory_desc_t()
    let bd: [Int64] = [Int64(key.outputChannels)]
    try check(dnnl_memory_desc_init_by_tag(&biasMD, 1, bd, dnnl_f32, dnnl_x), "bias descriptor")
    let strides: [Int64] = [Int64(key.stride), Int64(key.stride)]
    let padL: [Int64] = [Int64(key.padBefore), Int64(key.padBefore)]
    let padR: [Int64] = [Int64(key.padAfter), Int64(key.padAfter)]
    let engine = DNNLEngine.shared.engine

    var fdesc = dnnl_convolution_desc_t()
    try withOptionalPointer(key.bias ? biasMD : nil) { b in
      try check(
        dnnl_convolution_forward_desc_init(
          &fdesc, key.training ? dnnl_forward_training : dnnl_forward_inference,
          dnnl_convolution_direct,
          &anySrc, &anyW, b, &anyDst, strides, padL, padR), "convolution forward descriptor")
    }
    var attr: dnnl_primitive_attr_t?
    if key.postReLU {
      var ops: dnnl_post_ops_t?
      try check(dnnl_post_ops_create(&ops), "post-ops")
      defer { dnnl_post_ops_destroy(ops) }
      try check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op")
      try check(dnnl_primitive_attr_create(&attr), "primitive attributes")
      try check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-op attribute")
    }
    defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
    var fpd: dnnl_primitive_desc_t?
    let created = dnnl_primitive_desc_create(&fpd, &fdesc, attr, engine, nil)
    if created != dnnl_success && key.precision == .bf16 {
      throw DeepCellError(
        .usage, "precision",
        "oneDNN has no bf16 convolution on this CPU (\(DNNLEngine.isaName)); use --precision fp32")
    }
    try check(created, "convolution forward")
    forwardPrimitive = try DNNLPrimitive(pd: fpd!, what: "convolution forward")
    let fwdW = forwardPrimitive.queryMD(dnnl_query_weights_md)
    fwdSrc = try StagedArgument(
      user: userSrc, primitive: forwardPrimitive.queryMD(dnnl_query_src_md), isOutput: false)
    fwdDst = try StagedArgument(
      user: userDst, primitive: forwardPrimitive.queryMD(dnnl_query_dst_md), isOutput: true)
    weights = try DNNLMemory(fwdW)
    bias = try DNNLMemory(biasMD)
    weightsToForward = try DNNLReorder(from: plainW, to: fwdW, ownsDestination: true)

    guard key.training else {
      backwardDataPrimitive = nil
      backwardWeightsPrimitive = nil
      bdDiffDst = nil
      bdDiffSrc = nil
      bwDiffDst = nil
      bwSrc = nil
      backwardDataWeights = nil
      diffWeights = nil
      diffBias = nil
      weightsToBackwardData = nil
      diffWeightsToPlain = nil
      return
    }
    // Mixed precision: the backward passes read the output gradient, the weights and the
    // saved input at `low` and write the input and weight gradients in float32.
    var anySrc2 = try memoryDesc(inDims, dnnl_format_tag_any)
    var anyDst2 = try memoryDesc(outDims, dnnl_format_tag_any, low)
    var anyW2 = try memoryDesc(wDims, dnnl_format_tag_any, low)
    var bdesc = dnnl_convolution_desc_t()
    try check(
      dnnl_convolution_backward_data_desc_init(
        &bdesc, dnnl_convolution_direct, &anySrc2, &anyW2, &anyDst2, strides, padL, padR),
      "convolution backward-data descriptor")
    var bpd: dnnl_primitive_desc_t?
    try check(
      dnnl_primitive_desc_create(&bpd, &bdesc, nil, engine, fpd), "convolution backward-data")
    let bdp = try DNNLPrimitive(pd: bpd!, what: "convolution backward-data")
    backwardDataPrimitive = bdp
    let bwdW = bdp.queryMD(dnnl_query_weights_md)
    weightsToBackwardData = try DNNLReorder(from: plainW, to: bwdW, ownsDestination: true)
    backwardDataWeights = try DNNLMemory(bwdW)
    bdDiffDst = try StagedArgument(
      user: userDst, primitive: bdp.queryMD(dnnl_query_diff_dst_md), isOutput: false)
    bdDiffSrc = try StagedArgument(
      user: userSrc, primitive: bdp.queryMD(dnnl_query_diff_src_md), isOutput: true)

    var anySrc3 = try memoryDesc(inDims, dnnl_format_tag_any, low)
    var anyDst3 = try memoryDesc(outDims, dnnl_format_tag_any, low)
    var anyW3 = try memoryDesc(wDims, dnnl_format_tag_any)
    var wdesc = dnnl_convolution_desc_t()
    try withOptionalPointer(key.bias ? biasMD : nil) { b in
      try check(
        dnnl_convolution_backward_weights_desc_init(
          &wdesc, dnnl_convolution_direct, &anySrc3, &anyW3, b, &anyDst3, strides, padL, padR),
        "convolution backward-weights descriptor")
    }
    var wpd: dnnl_primitive_desc_t?
    try check(
      dnnl_primitive_desc_create(&wpd, &wdesc, nil, engine, fpd), "convolution backward-weights")
    let bwp = try DNNLPrimitive(pd: wpd!, what: "convolution backward-weights")
    backwardWeightsPrimitive = bwp
    let dW = bwp.queryMD(dnnl_query_diff_weights_md)
    bwSrc = try StagedArgument(
      user: userSrc, primitive: bwp.queryMD(dnnl_query_src_md), isOutput: false)
    bwDiffDst = try StagedArgument(
      user: userDst, primitive: bwp.queryMD(dnnl_query_diff_dst_md), isOutput: false)
    diffWeights = try DNNLMemory(dW)
    diffBias = try DNNLMemory(biasMD)
    diffWeightsToPlain = try DNNLReorder(from: dW, to: plainW, ownsDestination: false)
  }

  deinit {
    free(diffWeightBuffer)
    free(weightSnapshot)
  }

  /// Inference primitives: the plain weights last reordered (the reordered copy is reused
  /// while the weights are unchanged, checked bytewise on each call; a layer sharing this
  /// cached primitive with other weights simply reorders again).
  private var weightSnapshot: UnsafeMutableRawPointer?
  /// Whether `weightSnapshot` holds the weights the reordered buffer was made from.
  private var snapshotIsCurrent = false

  /// The weights in the primitive's format: reordered on each call in training, at inference
  /// only when they differ from the last call's.
  private func forwardWeights(_ w: UnsafeMutablePointer<Float>) throws -> UnsafeMutableRawPointer {
    let raw = UnsafeMutableRawPointer(w)
    guard !key.training, !weightsToForward.isIdentity else { return try weightsToForward.run(raw) }
    let bytes = key.outputChannels * key.input.c * key.kernel * key.kernel * 4
    if snapshotIsCurrent, let weightSnapshot, memcmp(weightSnapshot, raw, bytes) == 0 {
      return try weightsToForward.run(raw, reuse: true)
    }
    snapshotIsCurrent = false
    let converted = try weightsToForward.run(raw)
    if weightSnapshot == nil {
      guard posix_memalign(&weightSnapshot, 64, max(bytes, 64)) == 0 else {
        throw outOfMemory(bytes)
      }
    }
    memcpy(weightSnapshot!, raw, bytes)
    snapshotIsCurrent = true
    return converted
  }

  /// y = conv(x, W) + b; `weights` is plain OIHW.
  func forward(
    input: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>,
    bias b: UnsafeMutablePointer<Float>?, output: UnsafeMutablePointer<Float>
  ) throws {
    let wp = try forwardWeights(w)
    try fwdSrc.bind(input)
    try fwdDst.bind(output)
    weights.bind(wp)
    var args: [(Int32, DNNLMemory)] = [
      (Arg.src, fwdSrc.memory), (Arg.weights, weights), (Arg.dst, fwdDst.memory),
    ]
    if let b {
      bias.bind(b)
      args.append((Arg.bias, bias))
    }
    try forwardPrimitive.execute(args)
    try fwdDst.finish(output)
  }

  /// dx = conv_transpose(dy, W); `weights` is plain OIHW.
  func backwardData(
    outputGradient dy: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>,
    inputGradient dx: UnsafeMutablePointer<Float>
  ) throws {
    guard let backwardDataPrimitive, let weightsToBackwardData, let bdDiffDst, let bdDiffSrc,
      let backwardDataWeights
    else {
      throw DeepCellError(.usage, "convolution", "backward pass on an inference-mode primitive")
    }
    let wp = try weightsToBackwardData.run(UnsafeMutableRawPointer(w))
    try bdDiffDst.bind(dy)
    try bdDiffSrc.bind(dx)
    backwardDataWeights.bind(wp)
    try backwardDataPrimitive.execute([
      (Arg.diffDst, bdDiffDst.memory), (Arg.weights, backwardDataWeights),
      (Arg.diffSrc, bdDiffSrc.memory),
    ])
    try bdDiffSrc.finish(dx)
  }

  /// dW = Σ x ⋆ dy (written plain OIHW), db = Σ dy.
  func backwardWeights(
    input x: UnsafeMutablePointer<Float>, outputGradient dy: UnsafeMutablePointer<Float>,
    weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?
  ) throws {
    guard let backwardWeightsPrimitive, let diffWeights, let diffWeightsToPlain, let bwSrc,
      let bwDiffDst,
      let diffBias
    else {
      throw DeepCellError(.usage, "convolution", "backward pass on an inference-mode primitive")
    }
    try bwSrc.bind(x)
    try bwDiffDst.bind(dy)
    let target: UnsafeMutableRawPointer
    if diffWeightsToPlain.isIdentity {
      target = UnsafeMutableRawPointer(dw)
    } else {
      if diffWeightBuffer == nil {
        let bytes = max(diffWeights.byteCount, 64)
        diffWeightReservation = try MemoryBudget.process.reserve(
          bytes, for: "oneDNN weight gradients")
        guard posix_memalign(&diffWeightBuffer, 64, bytes) == 0 else {
          throw outOfMemory(bytes)
        }
        memset(diffWeightBuffer!, 0, bytes)
      }
      target = diffWeightBuffer!
    }
    diffWeights.bind(target)
    var args: [(Int32, DNNLMemory)] = [
      (Arg.src, bwSrc.memory), (Arg.diffDst, bwDiffDst.memory), (Arg.diffWeights, diffWeights),
    ]
    if let db {
      diffBias.bind(db)
      args.append((Arg.diffBias, diffBias))
    }
    try backwardWeightsPrimitive.execute(args)
    if !diffWeightsToPlain.isIdentity {
      try diffWeightsToPlain.run(target, into: UnsafeMutableRawPointer(dw))
    }
  }
}

private func withOptionalPointer<R>(
  _ value: dnnl_memory_desc_t?, _ body: (UnsafePointer<dnnl_memory_desc_t>?) throws -> R
) rethrows -> R {
  guard var v = value else { return try body(nil) }
  return try withUnsafePointer(to: &v) { try body($0) }
}

/// Versions of the numeric libraries behind the engine (for logs and benchmarks).
public enum NNBackendInfo {
  /// Releases the cached oneDNN convolution primitives (they are rebuilt on next use).
  public static func releaseCachedPrimitives() { OneDNNConvolution.clearCache() }

  /// "oneDNN X.Y.Z + OpenBLAS …".
  public static var description: String {
    "\(DNNLEngine.versionString) (\(DNNLEngine.isaName), activations \(TensorLayout.channelBlock > 1 ? "nChw\(TensorLayout.channelBlock)c" : "nchw")) + \(OpenBLAS.configuration)"
  }
}

/// The error for a oneDNN staging buffer the system refuses (exit 74, one line).
func outOfMemory(_ bytes: Int) -> DeepCellError {
  DeepCellError(
    .io, "memory",
    "out of memory allocating \(FloatBuffer.describe(bytes: UInt64(bytes))) for oneDNN")
}
