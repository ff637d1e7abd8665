import ArgumentParser
import DeepCellKit

/// dc-watershed's post-processing flags (watershed.md §8): each one overrides the setting the
/// maps record (``WatershedSettings``) or DeepCell's default. Include with
/// `@OptionGroup var settings: WatershedSettingOptions`.
public struct WatershedSettingOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Footprint radius for peak finding (disk for h-maxima, min_distance for peak_local_max) (default: the model's setting, else 10).",
      valueName: "px"))
  public var radius: Int?

  @Option(
    help: ArgumentHelp(
      "h of h-maxima (> 0), or the absolute threshold of peak_local_max (default: the model's, else 0.1).",
      valueName: "h"))
  public var maximaThreshold: Double?

  @Option(
    help: ArgumentHelp(
      "Watershed mask: smoothed interior > this (default: the model's, else 0.01).",
      valueName: "t"))
  public var interiorThreshold: Double?

  @Option(
    help: ArgumentHelp(
      "Gaussian sigma for the maxima map, 0 = none (default: the model's, else 0).",
      valueName: "sigma"))
  public var maximaSmooth: Double?

  @Option(
    help: ArgumentHelp(
      "Gaussian sigma for the interior map, 0 = none (default: the model's, else 1).",
      valueName: "sigma"))
  public var interiorSmooth: Double?

  @Option(
    help: ArgumentHelp("Erode label edges by this many pixels (default: 0).", valueName: "px"))
  public var labelErosion: Int?

  @Option(
    help: ArgumentHelp(
      "Remove objects with fewer pixels than this, 0 = off (default: the model's, else 0).",
      valueName: "px"))
  public var smallObjectsThreshold: Int?

  @Option(
    help: ArgumentHelp(
      "Fill holes smaller than this inside objects, 0 = off (default: the model's, else 0).",
      valueName: "px"))
  public var fillHolesThreshold: Int?

  @Option(help: "Grey-dilate the interior map by a (2e+1)² square first.")
  public var pixelExpansion: Int?

  @Option(help: "Marker finder: h_maxima or peak_local_max (default: the model's, else h_maxima).")
  public var maximaAlgorithm: String?

  @Flag(help: "peak_local_max only: drop peaks within --radius of the border.")
  public var excludeBorder = false

  @Option(
    help: ArgumentHelp("Deprecated alias of --radius (wins when given).", visibility: .hidden))
  public var minDistance: Int?

  @Option(help: ArgumentHelp("Deprecated alias of --interior-threshold.", visibility: .hidden))
  public var distanceThreshold: Double?

  @Option(help: ArgumentHelp("Deprecated alias of --maxima-threshold.", visibility: .hidden))
  public var detectionThreshold: Double?

  public init() {}

  /// The flags given, in the maps' pixels; unset ones come from the maps' record or defaults.
  public var overrides: WatershedSettings {
    WatershedSettings(
      radius: radius.map(Double.init), maximaThreshold: maximaThreshold,
      interiorThreshold: interiorThreshold, maximaSmooth: maximaSmooth,
      interiorSmooth: interiorSmooth, labelErosion: labelErosion.map(Double.init),
      smallObjectsThreshold: smallObjectsThreshold.map(Double.init),
      fillHolesThreshold: fillHolesThreshold.map(Double.init), maximaAlgorithm: maximaAlgorithm)
  }

  /// The flags no model records (pixel expansion, border exclusion, deprecated aliases) over
  /// DeepCell's defaults.
  public var base: DeepWatershedParameters {
    var base = DeepWatershedParameters()
    base.pixelExpansion = pixelExpansion
    base.excludeBorder = excludeBorder ? .radius : .off
    base.minDistance = minDistance
    base.distanceThreshold = distanceThreshold
    base.detectionThreshold = detectionThreshold
    return base
  }

  public func validate() throws {
    if let maximaAlgorithm,
      DeepWatershedParameters.MaximaAlgorithm(rawValue: maximaAlgorithm) == nil
    {
      throw ValidationError(
        "--maxima-algorithm must be h_maxima or peak_local_max, not '\(maximaAlgorithm)'")
    }
  }
}
