import ArgumentParser

/// The nucleus-dimming augmentation flags of dc-augment and dc-train (``NucleusDimming``),
/// one declaration for both. Include with `@OptionGroup var dimming: DimmingOptions`. The
/// values are checked once, by ``AugmentationSettings/validate()`` (exit 64 naming them).
public struct DimmingOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Probability that each nucleus of a sample is dimmed (its pixels multiplied by a factor in [--dim-factor-min, 1], targets unchanged), so a model learns dim nuclei beside bright ones; 0 (the reference recipe) disables.",
      valueName: "p"))
  public var dimNuclei: Double = 0

  @Option(help: ArgumentHelp("Smallest dimming factor.", valueName: "f"))
  public var dimFactorMin: Double = 0.1

  public init() {}
}
