import ArgumentParser
import DeepCellKit
import Foundation

/// Benchmarks of the network engine: the reference U-Net training step and one 3×3
/// convolution, forward + backward (issue 4, last line `ms_per_step=<median>`), and the
/// default PanopticNet's training throughput and inference throughput (issue 5, model.md
/// §2–§8; last lines `samples_per_s=<n>` and `mpix_per_s=<n>`).
struct NNBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nn",
    abstract:
      "Time the network engine: the U-Net training step, one convolution, or PanopticNet.",
    discussion: """
      Examples:
        nn-bench unet-step                 # batch 8 of 1×128×128, MSE, Adam
        nn-bench unet-step --steps 20 --threads 2
        nn-bench conv                      # 3×3 conv 32→32 on 8×128², fwd + bwd
        nn-bench panoptic-train            # PanopticNet training, batch 4 of 256×256
        nn-bench panoptic-infer --batch 8  # PanopticNet inference, heads [1, 1]
        nn-bench panoptic-train --profile  # also every layer alone, fwd and bwd
      unet-step and conv print a last line ms_per_step=<median milliseconds>;
      panoptic-train samples_per_s=<n>, panoptic-infer mpix_per_s=<n>.
      """,
    subcommands: [UNetStep.self, Conv.self, PanopticTrain.self, PanopticInfer.self])
}

func nowMs() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

/// CPU time (user + system, all threads) of this process in milliseconds: a load-robust
/// measure on a shared machine, where wall time includes waiting for a core.
func cpuMs() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  func ms(_ t: timeval) -> Double { Double(t.tv_sec) * 1e3 + Double(t.tv_usec) / 1e3 }
  return ms(usage.ru_utime) + ms(usage.ru_stime)
}

func median(_ v: [Double]) -> Double {
  let s = v.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func convFlops(_ conv: Conv2D, _ input: TensorShape) -> (
  forward: Double, backwardData: Double, backwardWeights: Double
) {
  let o = conv.outputShape(input)
  let f = 2.0 * Double(o.n * o.c * o.h * o.w) * Double(input.c * conv.kernelSize * conv.kernelSize)
  return (f, conv.computesInputGradient ? f : 0, f)
}

func randomTensor(_ shape: TensorShape, _ rng: inout RandomGenerator) throws -> Tensor {
  try Tensor(shape, nchw: (0..<shape.count).map { _ in rng.uniform(-1, 1) })
}

struct UNetStep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unet-step", abstract: "Time the 4-level U-Net (16/32/64/128) training step.")
  @Option(help: "Batch size.") var batch = 8
  @Option(help: "Image height = width.") var size = 128
  @Option(help: "Timed steps.") var steps = 10
  @Option(help: "Untimed warm-up steps.") var warmup = 2
  @Option(help: "Threads (default: OMP_NUM_THREADS or all cores).") var threads: Int?
  @Flag(help: "Also time the convolutions alone and report their GFLOP/s.") var profile = false

  func run() throws {
    if let threads { NNThreads.set(threads) }
    var rng = RandomGenerator(seed: 7)
    let net = try UNet(seed: 1)
    let x = try randomTensor(TensorShape(batch, 1, size, size), &rng)
    let target = try randomTensor(TensorShape(batch, 1, size, size), &rng)
    var loss = MeanSquaredError()
    let adam = Adam(learningRate: 1e-3)
    print("engine: \(NNBackendInfo.description), threads \(NNThreads.count)")
    print("unet: \(net.registry.elementCount) parameters, batch \(batch)×1×\(size)×\(size)")
    var times: [Double] = []
    var cpuTimes: [Double] = []
    for step in 0..<(warmup + steps) {
      let t0 = nowMs()
      let c0 = cpuMs()
      let l = try trainStepMSE(
        net, input: x, target: target, loss: &loss, optimizer: adam, step: step + 1)
      let dt = nowMs() - t0
      let dc = cpuMs() - c0
      if step >= warmup {
        times.append(dt)
        cpuTimes.append(dc)
      }
      print(String(format: "step %d loss %.6f %.1f ms (cpu %.1f ms)", step + 1, l, dt, dc))
    }
    let ms = median(times)
    // Conv FLOPs of one step (forward + backward-data + backward-weights).
    var shapes: [(Conv2D, TensorShape)] = []
    var s = TensorShape(batch, 1, size, size)
    let widths = [16, 32, 64, 128]
    for k in 0..<4 {
      shapes.append((net.encoder[k][0].conv, s))
      s = TensorShape(batch, widths[k], s.h, s.w)
      shapes.append((net.encoder[k][1].conv, s))
      if k < 3 { s = TensorShape(batch, widths[k], s.h / 2, s.w / 2) }
    }
    for k in stride(from: 2, through: 0, by: -1) {
      let hw = size >> k
      shapes.append((net.decoder[k][0].conv, TensorShape(batch, widths[k] + widths[k + 1], hw, hw)))
      shapes.append((net.decoder[k][1].conv, TensorShape(batch, widths[k], hw, hw)))
    }
    shapes.append((net.head, TensorShape(batch, 16, size, size)))
    let flops = shapes.reduce(0.0) { acc, e in
      let f = convFlops(e.0, e.1)
      return acc + f.forward + f.backwardData + f.backwardWeights
    }
    print(
      String(
        format: "conv work per step: %.2f GFLOP; whole step at %.1f GFLOP/s of conv work",
        flops / 1e9, flops / ms / 1e6))
    if profile {
      // Each conv's forward + backward alone, best of 3, by wall and by CPU time (all
      // threads): on a shared machine the CPU figure is the one free of waiting for a core.
      var convMs = 0.0
      var convCpu = 0.0
      for (conv, shape) in shapes {
        let input = try randomTensor(shape, &rng)
        var best = Double.infinity
        var bestCpu = Double.infinity
        for _ in 0..<3 {
          let t0 = nowMs()
          let c0 = cpuMs()
          let y = try conv.forward(input, training: true)
          _ = try conv.backward(y)
          best = min(best, nowMs() - t0)
          bestCpu = min(bestCpu, cpuMs() - c0)
        }
        let f = convFlops(conv, shape)
        let impl = try conv.implementations(for: input)
        let work = f.0 + f.1 + f.2
        print(
          String(
            format:
              "  %-10@ in %@ %.2f ms (cpu %.2f ms) %.0f GFLOP/s wall, %.0f per busy core [%@]",
            conv.name as NSString, shape.description as NSString, best, bestCpu, work / best / 1e6,
            work / bestCpu / 1e6, impl.joined(separator: " | ") as NSString))
        convMs += best
        convCpu += bestCpu
      }
      print(
        String(
          format:
            "convolutions alone: %.1f ms/step = %.0f GFLOP/s wall; cpu %.1f ms = %.0f GFLOP/s per busy core (2-core peak ~230 on the AVX-512 Zen 4 of backend.md); rest of the step: %.1f ms wall",
          convMs, flops / convMs / 1e6, convCpu, flops / convCpu / 1e6, ms - convMs))
    }
    print(
      String(
        format: "times ms: %@", times.map { String(format: "%.1f", $0) }.joined(separator: " ")))
    print(String(format: "cpu ms per step (all threads, median): %.1f", median(cpuTimes)))
    print(String(format: "ms_per_step=%.1f", ms))
  }
}

struct Conv: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "conv", abstract: "Time one 3×3 convolution 32→32 on 8×128², forward + backward.")
  @Option(help: "Timed repetitions.") var repeats = 7
  @Option(help: "Threads (default: OMP_NUM_THREADS or all cores).") var threads: Int?

  func run() throws {
    if let threads { NNThreads.set(threads) }
    var rng = RandomGenerator(seed: 3)
    let conv = try Conv2D(
      name: "conv", inputChannels: 32, outputChannels: 32, kernelSize: 3, bias: false, rng: &rng)
    let shape = TensorShape(8, 32, 128, 128)
    let x = try randomTensor(shape, &rng)
    let dy = try randomTensor(shape, &rng)
    print("engine: \(NNBackendInfo.description), threads \(NNThreads.count)")
    print("implementations: \(try conv.implementations(for: x).joined(separator: " | "))")
    var fw: [Double] = []
    var bw: [Double] = []
    var total: [Double] = []
    var cpu: [Double] = []
    for r in 0..<(repeats + 2) {
      let c0 = cpuMs()
      let t0 = nowMs()
      _ = try conv.forward(x, training: true)
      let t1 = nowMs()
      _ = try conv.backward(dy)
      let t2 = nowMs()
      if r >= 2 {
        fw.append(t1 - t0)
        bw.append(t2 - t1)
        total.append(t2 - t0)
        cpu.append(cpuMs() - c0)
      }
    }
    let f = convFlops(conv, shape)
    let ms = median(total)
    print(
      String(format: "forward %.1f ms, backward (data + weights) %.1f ms", median(fw), median(bw)))
    print(
      String(
        format: "%.2f GFLOP per fwd+bwd, %.0f GFLOP/s (peak ~230; oneDNN alone 33.7 ms recorded)",
        (f.0 + f.1 + f.2) / 1e9, (f.0 + f.1 + f.2) / ms / 1e6))
    let c = median(cpu)
    print(
      String(
        format: "cpu ms (all threads, median): %.1f = %.0f GFLOP/s per busy core", c,
        (f.0 + f.1 + f.2) / c / 1e6))
    print(String(format: "ms_per_step=%.1f", ms))
  }
}

// MARK: - PanopticNet (issue 5)

/// A batch of synthetic nuclei, channels-last: `batch` images of `size`² with about one
/// disk-shaped cell per 30×30 pixels (radius 5–12), the image bright inside cells plus noise;
/// targets as the seed recipe makes them — inner distance (a peak at each centre), outer
/// distance (distance to the cell edge, scaled to [0, 1] per cell), fgbg one-hot — and labels.
func syntheticNuclei(batch: Int, size: Int, seed: UInt64) -> AugmentedBatch {
  var rng = RandomGenerator(seed: seed)
  let pixels = size * size
  var image = [Float](repeating: 0, count: batch * pixels)
  var inner = [Float](repeating: 0, count: batch * pixels)
  var outer = [Float](repeating: 0, count: batch * pixels)
  var fgbg = [UInt8](repeating: 0, count: batch * pixels * 2)
  var labels = [Int32](repeating: 0, count: batch * pixels)
  let cells = max(1, pixels / 900)
  for b in 0..<batch {
    for id in 1...cells {
      let cy = rng.uniform(0, Float(size))
      let cx = rng.uniform(0, Float(size))
      let r = rng.uniform(5, 12)
      let brightness = rng.uniform(0.4, 0.9)
      for y in max(0, Int(cy - r))..<min(size, Int(cy + r) + 1) {
        for x in max(0, Int(cx - r))..<min(size, Int(cx + r) + 1) {
          let d = ((Float(y) - cy) * (Float(y) - cy) + (Float(x) - cx) * (Float(x) - cx))
            .squareRoot()
          guard d < r else { continue }
          let i = b * pixels + y * size + x
          labels[i] = Int32(id)
          image[i] = brightness * (1 - 0.3 * d / r)
          inner[i] = Foundation.exp(-(d * d) / (0.5 * r * r))
          outer[i] = 1 - d / r
        }
      }
    }
    for p in 0..<pixels {
      let i = b * pixels + p
      image[i] += 0.1 + 0.05 * rng.normal()
      fgbg[2 * i + (labels[i] > 0 ? 1 : 0)] = 1
    }
  }
  let shape1 = [batch, size, size, 1]
  return AugmentedBatch(
    images: NDArray(shape: shape1, values: image),
    targets: [
      ("inner-distance", NDArray(shape: shape1, values: inner)),
      ("outer-distance", NDArray(shape: shape1, values: outer)),
      ("fgbg", NDArray(shape: [batch, size, size, 2], values: fgbg)),
    ], labels: NDArray(shape: shape1, values: labels), sourceIndices: Array(0..<batch))
}

/// One layer of the PanopticNet graph run alone on a random input of its shape in the
/// network (same layout), for the per-layer profile; `count` = how often the graph has it.
struct ProfiledLayer {
  let label: String
  let count: Int
  let forward: (_ training: Bool) throws -> Tensor
  let backward: ((Tensor) throws -> Void)?
  /// Multiply-adds × 2 of one forward pass of this layer (convolutions; 0 for the rest).
  var flops: Double = 0
}

/// The layers of the default PanopticNet (model.md §2–§5) at batch `n`, side `s`, for heads
/// `classes`, each alone; names match bench/panoptic_torch.py's profile.
func panopticLayers(
  n: Int, s: Int, classes: [Int], precision: NNPrecision = .fp32, rng: inout RandomGenerator
) throws
  -> [ProfiledLayer]
{
  var out: [ProfiledLayer] = []
  func at(_ c: Int, _ r: Int) -> TensorShape { TensorShape(n, c, r, r) }
  func add(
    _ label: String, _ count: Int, _ layer: Layer, _ shape: TensorShape,
    _ rng: inout RandomGenerator
  ) throws {
    let x = try randomTensor(shape, &rng)
    out.append(
      ProfiledLayer(
        label: "\(label) @\(shape.c)x\(shape.h)", count: count,
        forward: { try layer.forward(x, training: $0) },
        backward: { y in _ = try layer.backward(y) }))
  }
  func conv(_ cin: Int, _ cout: Int, _ k: Int, _ rng: inout RandomGenerator) throws -> Conv2D {
    try Conv2D(name: "c", inputChannels: cin, outputChannels: cout, kernelSize: k, rng: &rng)
  }
  // A convolution as the network runs it at `precision` (bf16: with the following batch
  // normalization folded in and its ReLU fused, when `norm`; not for the fp32 last layers,
  // which at bf16 read the blocked input directly when `projection`).
  func addConv(
    _ label: String, _ count: Int, _ c: Conv2D, _ shape: TensorShape, norm: Bool = false,
    lowPrecision: Bool = true, projection: Bool = false, _ rng: inout RandomGenerator
  ) throws {
    let x = try randomTensor(shape, &rng)
    let p = lowPrecision ? precision : .fp32
    let bn = norm ? try BatchNormalization(name: "bn", channels: c.outputChannels) : nil
    out.append(
      ProfiledLayer(
        label: "\(label) @\(shape.c)x\(shape.h)", count: count,
        forward: { training in
          if projection && !training && precision != .fp32 { return try c.forwardProjection(x) }
          return training || p == .fp32
            ? try c.forward(x, training: training)
            : try c.forwardInference(x, precision: p, folding: bn, relu: norm)
        },
        backward: { y in _ = try c.backward(y) }, flops: convFlops(c, shape).forward))
  }
  let fusedBN = precision != .fp32
  let loc = Location2D()
  let cat = Concatenate(name: "cat")
  let x0 = try randomTensor(at(1, s), &rng)
  out.append(
    ProfiledLayer(
      label: "location+concat @1x\(s)", count: 1,
      forward: { try cat.forward(x0, try loc.forward(x0, training: $0)) }, backward: nil))
  let cc = try conv(3, 3, 1, &rng)
  cc.computesInputGradient = false
  try addConv("conv_channels 1x1 3>3", 1, cc, at(3, s), lowPrecision: false, &rng)
  for k in 1...5 {
    let r = s >> (k - 1)
    let cin = k == 1 ? 3 : 32
    try addConv("C\(k) conv3x3 \(cin)>32", 1, conv(cin, 32, 3, &rng), at(cin, r), norm: true, &rng)
    if !fusedBN {
      try add(
        "C\(k) batchnorm", 2, BatchNormalization(name: "bn", channels: 32), at(32, r), &rng)
      try add("C\(k) relu", 2, ReLU(name: "relu"), at(32, r), &rng)
    }
    try addConv("C\(k) conv3x3 32>32", 1, conv(32, 32, 3, &rng), at(32, r), norm: true, &rng)
    try add("C\(k) maxpool", 1, MaxPooling2D(name: "pool"), at(32, r), &rng)
  }
  for k in 1...5 {
    try addConv("C\(k)_reduced 1x1 32>256", 1, conv(32, 256, 1, &rng), at(32, s >> k), &rng)
  }
  for k in 2...5 {
    try add(
      "P\(k)_upsampled bilinear", 1, UpSampling2D(name: "up", interpolation: .bilinear),
      at(256, s >> k), &rng)
  }
  let merge = Add(name: "add")
  let a = try randomTensor(at(256, s / 2), &rng)
  let b = try randomTensor(at(256, s / 2), &rng)
  out.append(
    ProfiledLayer(
      label: "P1_merged add @256x\(s / 2)", count: 1, forward: { _ in try merge.forward(a, b) },
      backward: nil))
  try addConv("P1 conv3x3 256>256", 1, conv(256, 256, 3, &rng), at(256, s / 2), &rng)
  let h = classes.count
  try addConv("head conv3x3 256>64", h, conv(256, 64, 3, &rng), at(256, s / 2), &rng)
  try add(
    "head upsample bilinear", h, UpSampling2D(name: "up", interpolation: .bilinear),
    at(64, s / 2), &rng)
  try addConv("head conv_0 1x1 64>128", h, conv(64, 128, 1, &rng), at(64, s), norm: true, &rng)
  if !fusedBN {
    try add("head batchnorm", h, BatchNormalization(name: "bn", channels: 128), at(128, s), &rng)
    try add("head relu", h, ReLU(name: "relu"), at(128, s), &rng)
  }
  for (c, count) in Dictionary(grouping: classes, by: { $0 }).mapValues(\.count).sorted(by: {
    $0.key < $1.key
  }) {
    try addConv(
      "head conv_1 1x1 128>\(c)", count, conv(128, c, 1, &rng), at(128, s), lowPrecision: false,
      projection: true, &rng)
    try add(
      c == 1 ? "head relu out" : "head softmax out", count,
      c == 1 ? ReLU(name: "relu") as Layer : Softmax(name: "softmax"), at(c, s), &rng)
  }
  return out
}

/// Convolution FLOPs (2 × multiply-adds) of one PanopticNet forward pass over `n` tiles of
/// s×s with heads of `classes` (the default model, model.md §2–§5; `same` stride-1 convolutions:
/// 2·N·Cout·H·W·Cin·k²). Sums the same layers as ``panopticLayers``.
func panopticForwardFlops(n: Int, s: Int, classes: [Int]) -> Double {
  func conv(_ cin: Int, _ cout: Int, _ k: Int, _ r: Int) -> Double {
    2 * Double(n * cout * r * r) * Double(cin * k * k)
  }
  var f = conv(3, 3, 1, s)
  for k in 1...5 { f += conv(k == 1 ? 3 : 32, 32, 3, s >> (k - 1)) + conv(32, 32, 3, s >> (k - 1)) }
  for k in 1...5 { f += conv(32, 256, 1, s >> k) }
  f += conv(256, 256, 3, s / 2)
  f += Double(classes.count) * (conv(256, 64, 3, s / 2) + conv(64, 128, 1, s))
  for c in classes { f += conv(128, c, 1, s) }
  return f
}

/// Peak FLOP rate of `threads` Zen 4 cores at 3.6 GHz (issue 15): 32 fp32 FLOPs a cycle a core
/// (two 256-bit FMA pipes; AVX-512 is double-pumped), twice that with AVX512_BF16's vdpbf16ps.
func peakGFlops(threads: Int, precision: NNPrecision) -> Double {
  Double(threads) * 3.6 * 32 * (precision == .bf16 ? 2 : 1)
}

/// Times each layer alone (best of `repeats` after one warm-up; forward, then backward on a
/// random ∂L/∂y when `training`) and prints `op<TAB>label<TAB>count<TAB>fwd ms<TAB>bwd ms`
/// rows (inference: then `<TAB>GFLOP<TAB>GFLOP/s<TAB>% of peak` for convolutions);
/// returns the graph-weighted total in milliseconds.
func profileLayers(
  _ layers: [ProfiledLayer], training: Bool, repeats: Int, peak: Double = 0
) throws -> Double {
  var rng = RandomGenerator(seed: 11)
  var total = 0.0
  for layer in layers {
    var bestF = Double.infinity
    var bestB = Double.infinity
    for r in 0..<(repeats + 1) {
      let t0 = nowMs()
      let y = try layer.forward(training)
      let t1 = nowMs()
      if r > 0 { bestF = min(bestF, t1 - t0) }
      if training, let backward = layer.backward {
        let dy = try Tensor(
          y.shape, nchw: (0..<y.shape.count).map { _ in rng.uniform(-1, 1) },
          layout: y.layout)
        let t2 = nowMs()
        try backward(dy)
        if r > 0 { bestB = min(bestB, nowMs() - t2) }
      }
    }
    if !bestB.isFinite { bestB = 0 }
    total += Double(layer.count) * (bestF + (training ? bestB : 0))
    var rate = ""
    if !training && layer.flops > 0 {
      let g = layer.flops / bestF / 1e6
      rate = String(
        format: "\t%.3f\t%.1f\t%.0f%%", layer.flops / 1e9, g, peak > 0 ? 100 * g / peak : 0)
    }
    print(
      String(format: "op\t%@\t%d\t%.2f\t%.2f", layer.label as NSString, layer.count, bestF, bestB)
        + rate)
  }
  return total
}

struct PanopticTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "panoptic-train",
    abstract: "Training throughput of the default PanopticNet (featurenet C1–C5 → P1, F 256, "
      + "heads [1, 1, 2]): PanopticTrainer steps on synthetic nuclei.",
    discussion: """
      One step = forward (training mode), MSE on the two distance heads + 0.01 × weighted \
      categorical cross-entropy on fgbg, backward, Adam (lr 1e-4, ε 1e-7) with per-variable \
      clipnorm 0.001 — model.md §8–§9. Prints samples per second (batch / median step time); \
      the last line is samples_per_s=<n>.
      """)
  @Option(help: "Batch size.") var batch = 4
  @Option(help: "Image height = width (a power of two).") var size = 256
  @Option(help: "Timed steps.") var steps = 3
  @Option(help: "Untimed warm-up steps.") var warmup = 1
  @Option(help: "Threads (default: OMP_NUM_THREADS or all cores).") var threads: Int?
  @Flag(help: "Also time each layer alone, forward and backward.") var profile = false
  @Option(help: "Convolution precision: fp32 or bf16 (dc-train --precision).")
  var precision: String = "fp32"

  func validate() throws {
    guard batch >= 1, steps >= 1, warmup >= 0 else {
      throw ValidationError("--batch and --steps must be at least 1, --warmup at least 0")
    }
    guard NNPrecision(rawValue: precision) != nil else {
      throw ValidationError("--precision must be fp32 or bf16")
    }
  }

  func run() throws {
    if let threads { NNThreads.set(threads) }
    var cfg = PanopticNetConfiguration()
    cfg.inputSize = size
    let net = try PanopticNet(cfg, seed: 1)
    var settings = TrainingSettings()
    settings.batchSize = batch
    settings.precision = NNPrecision(rawValue: precision)!
    let trainer = PanopticTrainer(network: net, settings: settings)
    let data = syntheticNuclei(batch: batch, size: size, seed: 5)
    print("engine: \(NNBackendInfo.description), threads \(NNThreads.count)")
    print(
      "panopticnet featurenet C1-C5 -> P1, heads \(cfg.semanticClasses): "
        + "\(net.registry.elementCount) parameters, batch \(batch)x1x\(size)x\(size), "
        + "\(precision) convolutions")
    var times: [Double] = []
    var cpuTimes: [Double] = []
    for step in 0..<(warmup + steps) {
      let t0 = nowMs()
      let c0 = cpuMs()
      let losses = try trainer.step(data)
      let dt = nowMs() - t0
      let dc = cpuMs() - c0
      if step >= warmup {
        times.append(dt)
        cpuTimes.append(dc)
      }
      print(
        String(
          format: "step %d losses %@ %.1f ms (cpu %.1f ms)", step + 1,
          losses.map { String(format: "%.5f", $0) }.joined(separator: " ") as NSString, dt, dc))
    }
    let ms = median(times)
    if profile {
      var rng = RandomGenerator(seed: 9)
      let layers = try panopticLayers(n: batch, s: size, classes: cfg.semanticClasses, rng: &rng)
      let total = try profileLayers(layers, training: true, repeats: 2)
      let adam = Adam(learningRate: 1e-4, clipNorm: 1e-3)
      var best = Double.infinity
      for _ in 0..<3 {
        let t0 = nowMs()
        try adam.step(net.registry.parameters)
        best = min(best, nowMs() - t0)
      }
      print(String(format: "op\tadam+clipnorm\t1\t%.2f\t0.00", best))
      print(
        String(
          format: "layers alone sum %.1f ms + adam %.1f ms; whole step %.1f ms", total, best, ms))
    }
    print(
      String(
        format: "times ms: %@", times.map { String(format: "%.1f", $0) }.joined(separator: " ")))
    print(String(format: "cpu ms per step (all threads, median): %.1f", median(cpuTimes)))
    print(
      String(
        format: "samples/s: %.3f wall, %.3f per cpu-second", Double(batch) / ms * 1e3,
        Double(batch) / median(cpuTimes) * 1e3))
    print(String(format: "samples_per_s=%.3f", Double(batch) / ms * 1e3))
  }
}

struct PanopticInfer: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "panoptic-infer",
    abstract: "Inference throughput of the PanopticNet prediction model (heads [1, 1]) on a "
      + "batch of tiles.",
    discussion: """
      The network as dc-predict runs it: inference mode (BN moving statistics), the two \
      distance heads, one forward pass per batch of tiles. Prints megapixels per second \
      (batch · size² / median pass time); the last line is mpix_per_s=<n>.
      """)
  @Option(help: "Tiles per forward pass.") var batch = 4
  @Option(help: "Tile height = width (a power of two).") var size = 256
  @Option(help: "Timed passes.") var steps = 5
  @Option(help: "Untimed warm-up passes.") var warmup = 1
  @Option(help: "Threads (default: OMP_NUM_THREADS or all cores).") var threads: Int?
  @Flag(help: "Also time each layer alone (forward) with its FLOPs and GFLOP/s.") var profile =
    false
  @Option(help: "Convolution precision: fp32 or bf16 (dc-predict --precision).")
  var precision: String = "fp32"
  @Option(
    help: ArgumentHelp(
      "After timing, randomize biases and BN statistics, run one pass and write the weights "
        + "(Keras names, HWIO), `input` and `semantic_0/1` (NHWC) to this .npz.",
      discussion: "bench/panoptic_torch.py check FILE runs PyTorch's model on it."))
  var saveCheck: String?

  func validate() throws {
    guard batch >= 1, steps >= 1, warmup >= 0 else {
      throw ValidationError("--batch and --steps must be at least 1, --warmup at least 0")
    }
    guard NNPrecision(rawValue: precision) != nil else {
      throw ValidationError("--precision must be fp32 or bf16")
    }
  }

  func run() throws {
    if let threads { NNThreads.set(threads) }
    let precision = NNPrecision(rawValue: self.precision)!
    var cfg = PanopticNetConfiguration()
    cfg.inputSize = size
    cfg.semanticClasses = [1, 1]
    let net = try PanopticNet(cfg, seed: 1)
    net.precision = precision
    let data = syntheticNuclei(batch: batch, size: size, seed: 5)
    let x = try Tensor.fromNHWC(data.images)
    print("engine: \(NNBackendInfo.description), threads \(NNThreads.count)")
    print(
      "panopticnet prediction model, heads \(cfg.semanticClasses): "
        + "\(net.registry.elementCount) parameters, batch \(batch) tiles of \(size)x\(size), "
        + "precision \(precision.rawValue)")
    var times: [Double] = []
    var cpuTimes: [Double] = []
    for pass in 0..<(warmup + steps) {
      let t0 = nowMs()
      let c0 = cpuMs()
      let outputs = try net.forward(x, training: false)
      let dt = nowMs() - t0
      let dc = cpuMs() - c0
      precondition(outputs.count == 2)
      if pass >= warmup {
        times.append(dt)
        cpuTimes.append(dc)
      }
      print(String(format: "pass %d %.1f ms (cpu %.1f ms)", pass + 1, dt, dc))
    }
    let ms = median(times)
    let flops = panopticForwardFlops(n: batch, s: size, classes: cfg.semanticClasses)
    let peak = peakGFlops(threads: NNThreads.count, precision: precision)
    if profile {
      var rng = RandomGenerator(seed: 9)
      let layers = try panopticLayers(
        n: batch, s: size, classes: cfg.semanticClasses, precision: precision, rng: &rng)
      print("op\tlayer\tcount\tfwd ms\tbwd ms\tGFLOP\tGFLOP/s\t% of \(Int(peak)) GFLOP/s peak")
      let total = try profileLayers(layers, training: false, repeats: 3, peak: peak)
      let listed = layers.reduce(0) { $0 + Double($1.count) * $1.flops }
      precondition(abs(listed - flops) <= 1e-9 * flops, "FLOP count of the layer list differs")
      print(String(format: "layers alone sum %.1f ms; whole pass %.1f ms", total, ms))
    }
    print(
      String(
        format: "forward convolution FLOPs: %.2f GFLOP a pass (%.3f a tile); %.1f GFLOP/s whole "
          + "pass = %.0f%% of the %.0f GFLOP/s %@ peak of %d cores", flops / 1e9,
        flops / 1e9 / Double(batch), flops / ms / 1e6, 100 * flops / ms / 1e6 / peak, peak,
        precision.rawValue as NSString, NNThreads.count))
    if let saveCheck { try writeCheck(net, input: x, images: data.images, to: saveCheck) }
    let mpix = Double(batch * size * size) / 1e6
    print(
      String(
        format: "times ms: %@", times.map { String(format: "%.1f", $0) }.joined(separator: " ")))
    print(String(format: "cpu ms per pass (all threads, median): %.1f", median(cpuTimes)))
    print(
      String(
        format: "Mpix/s: %.4f wall, %.4f per cpu-second", mpix / ms * 1e3,
        mpix / median(cpuTimes) * 1e3))
    print(String(format: "mpix_per_s=%.4f", mpix / ms * 1e3))
  }
}

/// Gives `net` non-trivial biases, BN scales/offsets and moving statistics (kernels stay
/// Glorot), runs one inference pass on `input` and writes weights, input and head outputs to
/// the .npz at `path`, for the architecture check against PyTorch (bench/panoptic_torch.py).
func writeCheck(_ net: PanopticNet, input: Tensor, images: NDArray, to path: String) throws {
  var rng = RandomGenerator(seed: 21)
  for p in net.registry.parameters where !p.name.hasSuffix("/kernel") {
    let variance = p.name.hasSuffix("/moving_variance")
    let gamma = p.name.hasSuffix("/gamma")
    for i in 0..<p.count {
      p.value.pointer[i] = variance || gamma ? rng.uniform(0.5, 1.5) : rng.uniform(-0.2, 0.2)
    }
  }
  let outputs = try net.forward(input, training: false)
  let writer = try NPZWriter(path: path)
  do {
    for p in net.registry.parameters { try writer.write(p.name, p.exported()) }
    try writer.write("input", images)
    for (i, y) in outputs.enumerated() { try writer.write("semantic_\(i)", y.toNHWC()) }
    try writer.finish()
  } catch {
    writer.abort()
    throw error
  }
  print("wrote weights, input and outputs to \(path)")
}
