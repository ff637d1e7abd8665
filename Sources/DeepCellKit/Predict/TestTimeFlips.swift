/// Test-time augmentation by mirror flips: a frame is predicted as it is, flipped left–right,
/// flipped top–bottom and both, each prediction is flipped back, and the four maps are
/// averaged (in that fixed order, so the result is the same for any thread count). Flips are
/// their own inverse and keep the frame's shape, so any frame size works. This is the
/// `--augment` of Cellpose and similar tools; DeepCell itself predicts once.
public enum TestTimeFlips {
  /// The four flips: (top–bottom, left–right).
  public static let flips: [(vertical: Bool, horizontal: Bool)] = [
    (false, false), (false, true), (true, false), (true, true),
  ]

  /// `values` (height × width × channels, channels-last) mirrored top–bottom and/or left–right.
  public static func flipped(
    _ values: [Float], height: Int, width: Int, channels: Int, vertical: Bool, horizontal: Bool
  ) -> [Float] {
    if !vertical && !horizontal { return values }
    var out = [Float](repeating: 0, count: values.count)
    for y in 0..<height {
      let sy = vertical ? height - 1 - y : y
      for x in 0..<width {
        let sx = horizontal ? width - 1 - x : x
        let d = (y * width + x) * channels
        let s = (sy * width + sx) * channels
        for c in 0..<channels { out[d + c] = values[s + c] }
      }
    }
    return out
  }

  /// The maps of `frames` averaged over the four flips; `predict` maps a list of frames to
  /// `result[frame][head]` (height × width × classes[head]), as
  /// ``PanopticPredictor/predict(_:height:width:channels:)`` does.
  public static func averaged(
    _ frames: [[Float]], height: Int, width: Int, channels: Int, classes: [Int],
    predict: ([[Float]]) throws -> [[[Float]]]
  ) rethrows -> [[[Float]]] {
    let variants = frames.flatMap { f in
      flips.map {
        flipped(
          f, height: height, width: width, channels: channels, vertical: $0.vertical,
          horizontal: $0.horizontal)
      }
    }
    let maps = try predict(variants)
    return frames.indices.map { i in
      classes.indices.map { k in
        var sum = [Float](repeating: 0, count: height * width * classes[k])
        for (j, flip) in flips.enumerated() {
          let back = flipped(
            maps[i * flips.count + j][k], height: height, width: width, channels: classes[k],
            vertical: flip.vertical, horizontal: flip.horizontal)
          for p in sum.indices { sum[p] += back[p] }
        }
        let scale = 1 / Float(flips.count)
        return sum.map { $0 * scale }
      }
    }
  }
}
