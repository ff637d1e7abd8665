import ArgumentParser
import DeepCellKit

/// `--transform` of dc-normalize and dc-predict: the intensity transform before the
/// normalization (``IntensityTransform``), or `auto`, the one the model records.
public enum IntensityTransformChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
  case auto, none, sqrt

  /// The transform chosen; nil for `auto`.
  public var fixed: IntensityTransform? { IntensityTransform(rawValue: rawValue) }

  /// The option's help text; `auto` is described by `automatic`.
  public static func help(automatic: String) -> ArgumentHelp {
    ArgumentHelp(
      "Intensity transform before the normalization: sqrt (√(x − min), a variance-stabilizing transform that keeps dim nuclei visible beside bright ones), none (DeepCell's), or auto (\(automatic)).",
      valueName: "t")
  }
}

extension IntensityTransform: ExpressibleByArgument {}
