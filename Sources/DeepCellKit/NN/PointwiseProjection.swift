/// A 1×1 convolution to a few output channels read straight from a channel-blocked input:
/// y[n, o, p] = b[o] + Σ_c W[o, c] · x[n, c, p] (the semantic heads' last layer,
/// `conv_1_semantic_*`, 128 → 1; model.md §5), float32 sums in a fixed order per pixel (the
/// blocks in order, then the lanes of a block pairwise), so results do not depend on the
/// thread count.
///
/// oneDNN runs an output this narrow on an NHWC input, so it first reorders the whole
/// 128-channel full-resolution tensor (the largest activation of the pass) and then reads it
/// again: about 14 % of a bf16 inference pass at one thread. This reads it once, in the
/// engine's layout. In training, ``backward`` gives ∂L/∂x[n, c, p] = Σ_o W[o, c] · dy[n, o, p],
/// ∂L/∂W[o, c] = Σ_{n,p} dy[n, o, p] · x[n, c, p] and ∂L/∂b[o] = Σ_{n,p} dy[n, o, p]; the
/// sums over pixels are taken per fixed chunk of pixels and the chunks added in order (in
/// float64), so they too are the same at any thread count.
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
    let padded = paddedWeights(weights, outputChannels: o, channels: s.c, width: blocks * b)
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

  /// The O×C kernel as O rows of `width` (whole channel blocks): padding channels weigh 0,
  /// whatever the input holds there.
  private static func paddedWeights(
    _ weights: UnsafePointer<Float>, outputChannels o: Int, channels: Int, width: Int
  ) -> [Float] {
    var padded = [Float](repeating: 0, count: o * width)
    for oc in 0..<o {
      for c in 0..<channels { padded[oc * width + c] = weights[oc * channels + c] }
    }
    return padded
  }

  /// Pixels per work item of the weight-gradient reduction (fixed, for thread-count
  /// independent sums).
  static let gradientChunk = 4096

  /// Writes the input gradient `inputGradient` (blocked, as `input`; nil skips it) and the
  /// kernel and bias gradients (`weightGradient` O×C, `biasGradient` O values or nil) from
  /// the output gradient `outputGradient` (N, O, H, W) plain.
  static func backward(
    input: Tensor, outputGradient: Tensor, weights: UnsafePointer<Float>,
    outputChannels o: Int, inputGradient: Tensor?, weightGradient: UnsafeMutablePointer<Float>,
    biasGradient: UnsafeMutablePointer<Float>?
  ) {
    let s = input.shape
    let b = input.layout.blockSize
    let blocks = input.channelBlocks
    let width = blocks * b
    let hw = s.h * s.w
    let x = input.data
    let dy = outputGradient.data
    let padded = paddedWeights(weights, outputChannels: o, channels: s.c, width: width)
    // Per chunk of one image's pixels: partial Σ dy·x (o × width) and Σ dy (o).
    let chunksPerImage = (hw + gradientChunk - 1) / gradientChunk
    let items = s.n * chunksPerImage
    let stride = o * width + o
    var partial = [Float](repeating: 0, count: items * stride)
    partial.withUnsafeMutableBufferPointer { pp in
      let part = pp.baseAddress!
      padded.withUnsafeBufferPointer { wp in
        let w = wp.baseAddress!
        NNThreads.parallelFor(items) { item in
          let n = item / chunksPerImage
          let start = (item - n * chunksPerImage) * gradientChunk
          let end = min(hw, start + gradientChunk)
          let out = part + item * stride
          for oc in 0..<o {
            let g = dy + (n * o + oc) * hw
            var bias: Float = 0
            for p in start..<end { bias += g[p] }
            out[o * width + oc] = bias
            for j in 0..<blocks {
              let xb = x + (n * blocks + j) * hw * b
              if b == 16 {
                var acc = Vec16(repeating: 0)
                for p in start..<end { acc += Vec16.load(xb + p * 16) * g[p] }
                acc.store(out + oc * width + j * 16)
              } else {
                for l in 0..<b {
                  var acc: Float = 0
                  for p in start..<end { acc += xb[p * b + l] * g[p] }
                  out[oc * width + j * b + l] = acc
                }
              }
            }
          }
          if let dx = inputGradient?.data {
            for j in 0..<blocks {
              let db = dx + (n * blocks + j) * hw * b
              for p in start..<end {
                if b == 16 {
                  var acc = Vec16(repeating: 0)
                  for oc in 0..<o {
                    acc += Vec16.load(w + oc * width + j * 16) * dy[(n * o + oc) * hw + p]
                  }
                  acc.store(db + p * 16)
                } else {
                  for l in 0..<b {
                    var acc: Float = 0
                    for oc in 0..<o { acc += w[oc * width + j * b + l] * dy[(n * o + oc) * hw + p] }
                    db[p * b + l] = acc
                  }
                }
              }
            }
          }
        }
      }
      for oc in 0..<o {
        for c in 0..<s.c {
          var sum = 0.0
          for item in 0..<items { sum += Double(part[item * stride + oc * width + c]) }
          weightGradient[oc * s.c + c] = Float(sum)
        }
        if let biasGradient {
          var sum = 0.0
          for item in 0..<items { sum += Double(part[item * stride + o * width + oc]) }
          biasGradient[oc] = Float(sum)
        }
      }
    }
  }
}
