/// An intensity transform applied to each plane before its normalization (normalize.md §1's
/// `histogram_normalization` or another ``PlaneNormalization``). A model records the one its
/// training images had (``ModelDescription/inputTransform``), dc-predict applies the same, and
/// dc-normalize records the one it applied (``StackProvenance/transform``).
public enum IntensityTransform: String, Codable, Sendable, CaseIterable {
  /// The values as they are (DeepCell's pre-processing).
  case none
  /// ``SquareRootTransform``: √(x − min).
  case sqrt

  /// The value a provenance record stores (``StackProvenance/transform``): nil for `none`.
  public var recorded: String? { self == .none ? nil : rawValue }

  /// `base` preceded by this transform.
  public func applied(to base: any PlaneNormalization) -> any PlaneNormalization {
    switch self {
    case .none: return base
    case .sqrt: return SquareRootTransform(base)
    }
  }
}
