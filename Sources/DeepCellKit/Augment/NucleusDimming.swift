/// Intensity augmentation for dim nuclei: in a rendered sample, each labelled object is
/// dimmed with probability `fraction`, its pixels (every channel) multiplied by a factor drawn
/// uniformly from [`minFactor`, 1]; the targets are left as they are, so the network learns
/// to find a nucleus at a fifth of its neighbours' brightness. Not part of DeepCell's recipe
/// (augment.md §1 has only geometric transforms): the shipped model found nothing where
/// CLAHE-normalized nuclei sat near 0.04 beside neighbours near 0.2 (GOWT1's dim nuclei,
/// 0.19× the brightness of the detected ones, session 9's failure analysis).
///
/// Objects are visited in ascending label order with their own random stream, so the result
/// depends only on the sample's seed and position.
enum NucleusDimming {
  /// Dims objects of `labels` (one per pixel) in `image` (pixels × `channels`, interleaved).
  static func apply(
    image: UnsafeMutablePointer<Float>, labels: UnsafeBufferPointer<Int32>, channels: Int,
    fraction: Double, minFactor: Double, random: inout AugmentationRandom
  ) {
    guard fraction > 0 else { return }
    var ids = Set<Int32>()
    for v in labels where v != 0 { ids.insert(v) }
    var factors: [Int32: Float] = [:]
    for id in ids.sorted() {
      let dim = random.uniform() < fraction
      let factor = random.uniform(minFactor, 1)
      if dim { factors[id] = Float(factor) }
    }
    guard !factors.isEmpty else { return }
    for (p, v) in labels.enumerated() where v != 0 {
      guard let f = factors[v] else { continue }
      let px = image + p * channels
      for c in 0..<channels { px[c] *= f }
    }
  }
}
