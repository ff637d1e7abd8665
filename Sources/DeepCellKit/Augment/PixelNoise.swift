import Foundation

/// Intensity augmentation for low-light images: with probability `fraction` a rendered sample
/// gets white Gaussian noise whose standard deviation σ is drawn uniformly from
/// [0, `maxStandardDeviation`] (one σ per sample, every pixel and channel its own draw), and is
/// then clipped to the range the sample had before the noise, so a histogram-normalized sample
/// stays in [0, 1] and its background stays rectified at its minimum as a normalized low-light
/// frame is. The targets are left as they are, so the network learns nuclei whose contrast is
/// near the pixel noise.
///
/// Not part of DeepCell's recipe (augment.md §1 has only geometric transforms). Why: DSB-2018's
/// training tiles have a nucleus contrast about 30 times their background noise at the model's
/// scale (median over the training tiles), GOWT1's dim nuclei about 2 to 4 times (session 18);
/// after the square-root transform photon noise is nearly additive and of one level, so additive
/// Gaussian noise is its model (Anscombe 1948). Gaussian draws by Box–Muller from the sample's
/// own stream, so the result depends only on the seed and the sample's position.
enum PixelNoise {
  /// Adds the noise to `image` (`count` floats) when the sample is drawn noisy.
  static func apply(
    image: UnsafeMutablePointer<Float>, count: Int, fraction: Double,
    maxStandardDeviation: Double, random: inout AugmentationRandom
  ) {
    guard fraction > 0, maxStandardDeviation > 0, count > 0 else { return }
    let noisy = random.uniform() < fraction
    let sigma = random.uniform(0, maxStandardDeviation)
    guard noisy, sigma > 0 else { return }
    var lo = image[0]
    var hi = image[0]
    for i in 0..<count {
      lo = min(lo, image[i])
      hi = max(hi, image[i])
    }
    var i = 0
    while i < count {
      // Box–Muller: two independent standard normals from two uniforms (u1 in (0, 1]).
      let u1 = 1 - random.uniform()
      let u2 = random.uniform()
      let r = (-2 * Foundation.log(u1)).squareRoot() * sigma
      let angle = 2 * Double.pi * u2
      image[i] = min(hi, max(lo, image[i] + Float(r * Foundation.cos(angle))))
      if i + 1 < count {
        image[i + 1] = min(hi, max(lo, image[i + 1] + Float(r * Foundation.sin(angle))))
      }
      i += 2
    }
  }
}
