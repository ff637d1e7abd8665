/// DeepCell's `fgbg` target (augment.md §5.3): one-hot of `label ≥ 1`, two uint8 channels
/// `[background, foreground]`. Always two channels (the reference yields one for an
/// all-background batch; the tools keep the shape fixed).
public enum ForegroundBackgroundTransform {
  /// Writes the (H, W, 2) one-hot of one row-major `height`×`width` label frame into `out`.
  public static func compute(
    labels: UnsafeBufferPointer<Int32>, height: Int, width: Int,
    into out: UnsafeMutableBufferPointer<UInt8>
  ) {
    for i in 0..<(height * width) {
      let fg: UInt8 = labels[i] >= 1 ? 1 : 0
      out[2 * i] = 1 - fg
      out[2 * i + 1] = fg
    }
  }
}
