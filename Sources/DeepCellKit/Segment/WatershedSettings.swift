import Foundation

/// The deep-watershed settings a model was tuned with (design.md, "Model file"), as recorded in
/// `model.json` and passed by dc-predict to dc-watershed in the maps' ``StackProvenance``.
/// Every field is optional: a missing one keeps DeepCell's default (watershed.md §8).
/// Pixel quantities (radius, smoothing σ, erosion, areas) are in the model's pixels;
/// ``scaled(toInputBy:)`` converts them to the pixels of maps predicted at another scale.
public struct WatershedSettings: Codable, Sendable, Equatable {
  /// Footprint radius of the marker finder.
  public var radius: Double?
  /// h of h-maxima (or peak_local_max's threshold).
  public var maximaThreshold: Double?
  /// Watershed mask threshold on the smoothed interior map.
  public var interiorThreshold: Double?
  /// Gaussian σ of the maxima map.
  public var maximaSmooth: Double?
  /// Gaussian σ of the interior map.
  public var interiorSmooth: Double?
  /// Label erosion in pixels.
  public var labelErosion: Double?
  /// Smallest object area kept, in pixels.
  public var smallObjectsThreshold: Double?
  /// Largest hole filled, in pixels.
  public var fillHolesThreshold: Double?
  /// `h_maxima` or `peak_local_max`.
  public var maximaAlgorithm: String?

  /// Settings with every field unset.
  public init(
    radius: Double? = nil, maximaThreshold: Double? = nil, interiorThreshold: Double? = nil,
    maximaSmooth: Double? = nil, interiorSmooth: Double? = nil, labelErosion: Double? = nil,
    smallObjectsThreshold: Double? = nil, fillHolesThreshold: Double? = nil,
    maximaAlgorithm: String? = nil
  ) {
    self.radius = radius
    self.maximaThreshold = maximaThreshold
    self.interiorThreshold = interiorThreshold
    self.maximaSmooth = maximaSmooth
    self.interiorSmooth = interiorSmooth
    self.labelErosion = labelErosion
    self.smallObjectsThreshold = smallObjectsThreshold
    self.fillHolesThreshold = fillHolesThreshold
    self.maximaAlgorithm = maximaAlgorithm
  }

  /// Throws `badData` naming `subject` for a negative or non-finite value or an unknown
  /// algorithm.
  public func validate(subject: String) throws {
    let values: [(String, Double?)] = [
      ("radius", radius), ("maximaThreshold", maximaThreshold),
      ("interiorThreshold", interiorThreshold), ("maximaSmooth", maximaSmooth),
      ("interiorSmooth", interiorSmooth), ("labelErosion", labelErosion),
      ("smallObjectsThreshold", smallObjectsThreshold),
      ("fillHolesThreshold", fillHolesThreshold),
    ]
    for (name, value) in values {
      if let value, !(value.isFinite && value >= 0) {
        throw DeepCellError(.badData, subject, "watershed setting \(name) must be a number ≥ 0")
      }
    }
    if let maximaAlgorithm,
      DeepWatershedParameters.MaximaAlgorithm(rawValue: maximaAlgorithm) == nil
    {
      throw DeepCellError(
        .badData, subject, "watershed setting maximaAlgorithm '\(maximaAlgorithm)' is unknown")
    }
  }

  /// The settings for maps whose pixels are `1 / scale` model pixels (``StackProvenance/scale``
  /// = model pixels per input pixel): lengths divided by `scale`, areas by `scale²`; thresholds
  /// on map values unchanged.
  public func scaled(toInputBy scale: Double) -> WatershedSettings {
    var s = self
    s.radius = radius.map { $0 / scale }
    s.maximaSmooth = maximaSmooth.map { $0 / scale }
    s.interiorSmooth = interiorSmooth.map { $0 / scale }
    s.labelErosion = labelErosion.map { $0 / scale }
    s.smallObjectsThreshold = smallObjectsThreshold.map { $0 / (scale * scale) }
    s.fillHolesThreshold = fillHolesThreshold.map { $0 / (scale * scale) }
    return s
  }

  /// `parameters` with every set field applied (integer pixel sizes rounded to the nearest,
  /// at least 1 for the radius).
  public func applied(to parameters: DeepWatershedParameters) -> DeepWatershedParameters {
    var p = parameters
    if let radius { p.radius = max(1, Int(radius.rounded())) }
    if let maximaThreshold { p.maximaThreshold = maximaThreshold }
    if let interiorThreshold { p.interiorThreshold = interiorThreshold }
    if let maximaSmooth { p.maximaSmooth = maximaSmooth }
    if let interiorSmooth { p.interiorSmooth = interiorSmooth }
    if let labelErosion { p.labelErosion = Int(labelErosion.rounded()) }
    if let smallObjectsThreshold { p.smallObjectsThreshold = Int(smallObjectsThreshold.rounded()) }
    if let fillHolesThreshold { p.fillHolesThreshold = Int(fillHolesThreshold.rounded()) }
    if let maximaAlgorithm,
      let a = DeepWatershedParameters.MaximaAlgorithm(rawValue: maximaAlgorithm)
    {
      p.maximaAlgorithm = a
    }
    return p
  }

  /// Fields set in `overrides` replace those of `self`.
  public func merging(_ overrides: WatershedSettings) -> WatershedSettings {
    var s = self
    s.radius = overrides.radius ?? radius
    s.maximaThreshold = overrides.maximaThreshold ?? maximaThreshold
    s.interiorThreshold = overrides.interiorThreshold ?? interiorThreshold
    s.maximaSmooth = overrides.maximaSmooth ?? maximaSmooth
    s.interiorSmooth = overrides.interiorSmooth ?? interiorSmooth
    s.labelErosion = overrides.labelErosion ?? labelErosion
    s.smallObjectsThreshold = overrides.smallObjectsThreshold ?? smallObjectsThreshold
    s.fillHolesThreshold = overrides.fillHolesThreshold ?? fillHolesThreshold
    s.maximaAlgorithm = overrides.maximaAlgorithm ?? maximaAlgorithm
    return s
  }
}
