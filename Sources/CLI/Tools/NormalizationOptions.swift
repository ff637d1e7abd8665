import ArgumentParser
import DeepCellKit

extension KernelSize: ExpressibleByArgument {
  public init?(argument: String) { self.init(parsing: argument) }
}

/// dc-normalize's choice of normalization (normalize.md §2): `--method`, and the parameters
/// of each method. Include with `@OptionGroup var method: NormalizationOptions`.
public struct NormalizationOptions: ParsableArguments {
  /// The normalization methods (normalize.md §2), and `none` for plain conversion.
  public enum Method: String, ExpressibleByArgument, CaseIterable {
    case clahe, zscore, percentile, none
  }

  @Option(
    help:
      "Normalization: clahe (DeepCell's histogram_normalization), zscore, percentile, or none (convert only)."
  )
  public var method: Method = .clahe

  @Option(
    name: .customLong("kernel-size"),
    help: ArgumentHelp(
      "CLAHE contextual region size, K or KH,KW (default: frame height/8, width/8).",
      valueName: "k|kh,kw"))
  public var kernelSize: KernelSize?

  @Option(
    help: ArgumentHelp(
      "Percentile of the nonzero pixels to clip at (percentile method).", valueName: "p"))
  public var percentile: Double = 99.9

  @Option(help: ArgumentHelp("Added to the standard deviation (zscore method).", valueName: "eps"))
  public var epsilon: Double = 1e-7

  @Option(
    help: IntensityTransformChoice.help(
      automatic:
        "the default: for the clahe method, the transform the model records, so that dc-predict gets the input it would make itself"
    ))
  public var transform: IntensityTransformChoice = .auto

  @Option(
    help: ArgumentHelp(
      "Model whose recorded transform --transform auto applies (default: the shipped nuclear model, or $DC_MODEL; none installed: no transform).",
      valueName: "file"))
  public var model: String?

  public init() {}

  public func validate() throws {
    if method != .clahe, kernelSize != nil {
      throw ValidationError("--kernel-size applies to the clahe method only")
    }
    if method == .none, transform.fixed != nil, transform != .none {
      throw ValidationError("--transform \(transform.rawValue) needs a normalization method")
    }
    guard percentile >= 0, percentile <= 100 else {
      throw ValidationError("--percentile must lie in [0, 100], not \(percentile)")
    }
    guard epsilon.isFinite, epsilon >= 0 else {
      throw ValidationError("--epsilon must be a finite number ≥ 0, not \(epsilon)")
    }
  }

  /// The intensity transform to apply before the normalization: the given one, or for `auto`
  /// the model's (``DefaultModel/inputTransform(model:executable:environment:)``) with the
  /// clahe method and none with the others.
  public func resolvedTransform() throws -> IntensityTransform {
    if let fixed = transform.fixed { return fixed }
    return method == .clahe ? try DefaultModel.inputTransform(model: model) : .none
  }

  /// The per-plane normalization the options select (nil for `none`).
  public var normalization: (any PlaneNormalization)? {
    switch method {
    case .clahe: return HistogramNormalization(kernelSize: kernelSize)
    case .zscore: return ZScoreNormalization(epsilon: epsilon)
    case .percentile: return PercentileNormalization(percentile: percentile)
    case .none: return nil
    }
  }
}
