/// Per-pixel loss weights that stress the pixels between touching nuclei — the idea of U-Net's
/// separation-border weights (Ronneberger et al., MICCAI 2015, §3, eq. 2) in a windowed form:
/// w(p) = 1 + w₀ where the (2r+1)×(2r+1) window centred on p holds two or more different
/// nonzero labels, else 1. So the contact line of two touching nuclei, the gap between two
/// nuclei closer than 2r + 1 pixels, and the r pixels on either side get weight 1 + w₀;
/// isolated nuclei and open background keep weight 1. Not part of DeepCell's recipe (w₀ = 0
/// there); dc-train `--contact-weight`.
public enum ContactWeightMap {
  /// The weights (row-major, `height`×`width`) of one label frame for window radius
  /// `radius` ≥ 1 and extra weight `weight` ≥ 0: a window holds two labels exactly where its
  /// largest label exceeds its smallest nonzero one (two ``MaximumFilter`` passes over the
  /// sequentially relabelled frame, whose labels are exact in float32).
  public static func compute(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int, radius: Int, weight: Float
  ) -> [Float] {
    var sequential = Array(labels)
    _ = Relabel.sequentialInPlace(&sequential)
    let square = Footprint.square(halfWidth: radius)
    let highest = MaximumFilter.apply(
      sequential.map { Float($0) }, height: height, width: width, footprint: square)
    let negatedLowest = MaximumFilter.apply(
      sequential.map { $0 == 0 ? -Float.infinity : -Float($0) }, height: height, width: width,
      footprint: square)
    return zip(highest, negatedLowest).map { $0 > -$1 ? 1 + weight : 1 }
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
