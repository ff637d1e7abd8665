import ArgumentParser

/// The pixel-noise augmentation flags of dc-augment and dc-train (``PixelNoise``), one
/// declaration for both. Include with `@OptionGroup var noise: NoiseOptions`. The values are
/// checked once, by ``AugmentationSettings/validate()`` (exit 64 naming them).
public struct NoiseOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Probability that a sample gets white Gaussian pixel noise (standard deviation drawn in [0, --noise-max], then clipped to the sample's range; targets unchanged), so a model learns nuclei near the noise of low-light images; 0 (the reference recipe) disables.",
      valueName: "p"))
  public var noiseFraction: Double = 0

  @Option(
    help: ArgumentHelp(
      "Largest noise standard deviation, in the units of the (normalized) images.",
      valueName: "σ"))
  public var noiseMax: Double = 0.05

  public init() {}
}
