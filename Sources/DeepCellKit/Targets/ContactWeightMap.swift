/// Per-pixel loss weights that stress the pixels between touching nuclei — the idea of U-Net's
/// separation-border weights (Ronneberger et al., MICCAI 2015, §3, eq. 2) in a windowed form:
/// w(p) = 1 + w₀ where the (2r+1)×(2r+1) window centred on p holds two or more different
/// nonzero labels, else 1. So the contact line of two touching nuclei, the gap between two
/// nuclei closer than 2r + 1 pixels, and the r pixels on either side get weight 1 + w₀;
/// isolated nuclei and open background keep weight 1. Not part of DeepCell's recipe (w₀ = 0
/// there); dc-train `--contact-weight`.
public enum ContactWeightMap {
  /// The weights (row-major, `height`×`width`) of one label frame for window radius
  /// `radius` ≥ 1 and extra weight `weight` ≥ 0.
  public static func compute(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int, radius: Int, weight: Float
  ) -> [Float] {
    var out = [Float](repeating: 1, count: height * width)
    for y in 0..<height {
      let y0 = max(0, y - radius)
      let y1 = min(height - 1, y + radius)
      for x in 0..<width {
        let x0 = max(0, x - radius)
        let x1 = min(width - 1, x + radius)
        var first: Int32 = 0
        var contact = false
        window: for v in y0...y1 {
          let row = v * width
          for u in x0...x1 {
            let label = labels[row + u]
            guard label != 0 else { continue }
            if first == 0 {
              first = label
            } else if label != first {
              contact = true
              break window
            }
          }
        }
        if contact { out[y * width + x] = 1 + weight }
      }
    }
    return out
  }

  /// The weights of a batch of label frames (B, H, W, 1) as an (B, 1, H, W) tensor.
  public static func tensor(labels: NDArray, radius: Int, weight: Float) throws -> Tensor {
    let stack = try LabelStack(labels)
    var weights = [Float]()
    weights.reserveCapacity(stack.values.count)
    stack.values.withUnsafeBufferPointer { all in
      for f in 0..<stack.frames {
        let frame = UnsafeBufferPointer(
          rebasing: all[(f * stack.frameSize)..<((f + 1) * stack.frameSize)])
        weights += compute(
          labels: frame, height: stack.height, width: stack.width, radius: radius, weight: weight)
      }
    }
    return try Tensor(TensorShape(stack.frames, 1, stack.height, stack.width), nchw: weights)
  }
}
