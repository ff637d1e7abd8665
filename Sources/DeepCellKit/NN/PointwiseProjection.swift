/// A 1×1 convolution to a few output channels read straight from a channel-blocked input:
/// y[n, o, p] = b[o] + Σ_c W[o, c] · x[n, c, p] (the semantic heads' last layer,
/// `conv_1_semantic_*`, 128 → 1; model.md §5), float32 sums in a fixed order per pixel (the
/// blocks in order, then the lanes of a block pairwise), so results do not depend on the
/// thread count.
///
/// oneDNN runs an output this narrow on an NHWC input, so it first reorders the whole
/// 128-channel full-resolution tensor (the largest activation of the pass) and then reads it
/// again: about 14 % of a bf16 inference pass at one thread. This reads it once, in the
/// engine's layout.
enum PointwiseProjection {
  /// Writes `output` (N, O, H, W) plain from `input` (N, C, H, W) in the blocked layout;
  /// `weights` O×C (a 1×1 OIHW kernel), `bias` O values or nil.
  static func run(
    input: Tensor, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    outputChannels o: Int, output: Tensor
  ) {
    let s = input.shape
    let b = input.layout.blockSize
    let blocks = input.channelBlocks
    let hw = s.h * s.w
    // Weights padded to whole blocks (padding channels weigh 0, whatever they hold).
    var padded = [Float](repeating: 0, count: o * blocks * b)
    for oc in 0..<o {
      for c in 0..<s.c { padded[oc * blocks * b + c] = weights[oc * s.c + c] }
    }
    let x = input.data
    let y = output.data
    let total = s.n * hw
    let chunk = 4096
    padded.withUnsafeBufferPointer { wp in
      let w = wp.baseAddress!
      NNThreads.parallelFor((total + chunk - 1) / chunk) { k in
        let end = min(total, (k + 1) * chunk)
        for q in (k * chunk)..<end {
          let n = q / hw
          let p = q - n * hw
          let base = x + (n * blocks * hw + p) * b
          for oc in 0..<o {
            let wo = w + oc * blocks * b
            var sum: Float
            if b == 16 {
              var acc = Vec16(repeating: 0)
              for j in 0..<blocks {
                acc += Vec16.load(base + j * hw * 16) * Vec16.load(wo + j * 16)
              }
              let a8 = acc.lowHalf + acc.highHalf
              let a4 = a8.lowHalf + a8.highHalf
              let a2 = a4.lowHalf + a4.highHalf
              sum = a2[0] + a2[1]
            } else {
              sum = 0
              for j in 0..<blocks {
                let xb = base + j * hw * b
                let wb = wo + j * b
                for l in 0..<b { sum += xb[l] * wb[l] }
              }
            }
            y[(n * o + oc) * hw + p] = sum + (bias?[oc] ?? 0)
          }
        }
      }
    }
  }
}
