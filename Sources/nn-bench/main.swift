import ArgumentParser
import DeepCellKit
import Foundation

/// Benchmarks of the network engine (issue 4): the reference U-Net training step and one
/// 3×3 convolution, forward + backward. The last line is `ms_per_step=<median>`.
@main
struct NNBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nn-bench",
    abstract: "Time the network engine: the reference U-Net training step or one convolution.",
    discussion: """
      Examples:
        nn-bench unet-step                 # batch 8 of 1×128×128, MSE, Adam
        nn-bench unet-step --steps 20 --threads 2
        nn-bench conv                      # 3×3 conv 32→32 on 8×128², fwd + bwd
      The last line printed is ms_per_step=<median milliseconds>.
      """,
    subcommands: [UNetStep.self, Conv.self])
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

func randomTensor(_ shape: TensorShape, _ rng: inout RandomGenerator) -> Tensor {
  Tensor(shape, nchw: (0..<shape.count).map { _ in rng.uniform(-1, 1) })
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
    let x = randomTensor(TensorShape(batch, 1, size, size), &rng)
    let target = randomTensor(TensorShape(batch, 1, size, size), &rng)
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
        let input = randomTensor(shape, &rng)
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
    let conv = Conv2D(
      name: "conv", inputChannels: 32, outputChannels: 32, kernelSize: 3, bias: false, rng: &rng)
    let shape = TensorShape(8, 32, 128, 128)
    let x = randomTensor(shape, &rng)
    let dy = randomTensor(shape, &rng)
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
