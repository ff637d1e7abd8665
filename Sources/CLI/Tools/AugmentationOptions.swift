import ArgumentParser
import DeepCellKit

extension FillMode: ExpressibleByArgument {}

/// dc-augment's transform, target and sampling flags (augment.md), mapped onto
/// ``AugmentationSettings``. Include with `@OptionGroup var augmentation: AugmentationOptions`.
public struct AugmentationOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Random rotation range in degrees (±).", valueName: "deg"))
  public var rotation: Double = 180

  @Option(
    name: .customLong("zoom-min"),
    help: ArgumentHelp("Smallest zoom; zoom is drawn per axis from [min, max].", valueName: "z"))
  public var zoomMin: Double = 0.75

  @Option(
    name: .customLong("zoom-max"),
    help: ArgumentHelp("Largest zoom (default: 1/zoom-min).", valueName: "z"))
  public var zoomMax: Double?

  @Flag(name: .customLong("no-horizontal-flip"), help: "No random left-right flips.")
  public var noHorizontalFlip = false

  @Flag(name: .customLong("no-vertical-flip"), help: "No random up-down flips.")
  public var noVerticalFlip = false

  @Flag(name: .customLong("no-flips"), help: "No random flips at all.")
  public var noFlips = false

  @OptionGroup public var dimming: DimmingOptions
  @OptionGroup public var noise: NoiseOptions

  @Option(help: ArgumentHelp("Crop size, N or ROWS,COLS.", valueName: "n|r,c"))
  public var crop: String = "256"

  @Flag(name: .customLong("no-crop"), help: "Keep the whole image (no random crop).")
  public var noCrop = false

  @Option(
    name: .customLong("fill-mode"),
    help: "Fill outside the image: constant, nearest, reflect or wrap.")
  public var fillMode: FillMode = .nearest

  @Option(help: ArgumentHelp("Fill value for --fill-mode constant.", valueName: "v"))
  public var cval: Double = 0

  @Option(
    help: ArgumentHelp(
      "Targets in output order, comma-separated: inner-distance, outer-distance, fgbg, pixelwise.",
      valueName: "list"))
  public var targets: String = "inner-distance,outer-distance,fgbg"

  @Option(
    name: .customLong("inner-alpha"),
    help: ArgumentHelp("Inner-distance alpha: auto or a number.", valueName: "a"))
  public var innerAlpha: String = "auto"

  @Option(
    name: .customLong("inner-beta"), help: ArgumentHelp("Inner-distance beta.", valueName: "b"))
  public var innerBeta: Double = 1

  @Option(
    name: .customLong("inner-erosion"),
    help: ArgumentHelp("Inner-distance erosion width.", valueName: "px"))
  public var innerErosion: Int = 0

  @Option(
    name: .customLong("outer-erosion"),
    help: ArgumentHelp("Outer-distance erosion width.", valueName: "px"))
  public var outerErosion: Int = 1

  @Option(
    name: .customLong("distance-bins"),
    help: ArgumentHelp(
      "One-hot encode the distance maps into K bins (DeepCell's distance_bins).", valueName: "k"))
  public var distanceBins: Int?

  @Option(
    name: .customLong("pixelwise-dilation"),
    help: ArgumentHelp("Pixelwise edge dilation radius.", valueName: "r"))
  public var pixelwiseDilation: Int?

  @Flag(
    name: .customLong("separate-edge-classes"), help: "Pixelwise: four classes (two edge classes).")
  public var separateEdgeClasses = false

  @Option(
    name: .customLong("min-objects"),
    help: ArgumentHelp("Fewest objects an image and a sample must show.", valueName: "n"))
  public var minObjects: Int = 1

  @Option(
    name: .customLong("max-draws"),
    help: ArgumentHelp("Random transforms tried per sample; the last one is kept.", valueName: "n"))
  public var maxDraws: Int = 100

  @Flag(
    name: .customLong("no-redraw"),
    help: "Keep samples with too few objects (as the reference does).")
  public var noRedraw = false

  @Option(help: ArgumentHelp("Seed of every random draw.", valueName: "n"))
  public var seed: UInt64 = 0

  @Flag(name: .customLong("no-shuffle"), help: "Visit the images in order in every pass.")
  public var noShuffle = false

  public init() {}

  public func validate() throws {
    _ = try cropSize()
    _ = try targetList()
  }

  /// `--crop` as (rows, columns), nil with `--no-crop`.
  public func cropSize() throws -> [Int]? {
    if noCrop { return nil }
    let parts = crop.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard (1...2).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw ValidationError("--crop must be N or ROWS,COLS with positive integers, not '\(crop)'")
    }
    let values = parts.map { $0! }
    return values.count == 1 ? [values[0], values[0]] : values
  }

  /// `--targets` and their parameters.
  public func targetList() throws -> [TargetTransform] {
    let alpha: InnerDistanceAlpha
    if innerAlpha.lowercased() == "auto" {
      alpha = .auto
    } else if let a = Double(innerAlpha) {
      alpha = .fixed(a)
    } else {
      throw ValidationError("--inner-alpha must be 'auto' or a number, not '\(innerAlpha)'")
    }
    return try targets.split(separator: ",").map { raw in
      switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
      case "inner-distance", "inner_distance":
        return .innerDistance(
          alpha: alpha, beta: innerBeta, erosionWidth: innerErosion, bins: distanceBins)
      case "outer-distance", "outer_distance":
        return .outerDistance(erosionWidth: outerErosion, bins: distanceBins)
      case "fgbg":
        return .fgbg
      case "pixelwise", "deepcell":
        return .pixelwise(
          dilationRadius: pixelwiseDilation, separateEdgeClasses: separateEdgeClasses)
      default:
        throw ValidationError(
          "unknown target '\(raw)' (inner-distance, outer-distance, fgbg, pixelwise)")
      }
    }
  }

  /// The ``AugmentationSettings`` of the flags, validated.
  public func settings() throws -> AugmentationSettings {
    var s = AugmentationSettings()
    s.rotationRange = rotation
    s.zoomRange = [zoomMin, zoomMax ?? 1 / zoomMin]
    s.horizontalFlip = !(noFlips || noHorizontalFlip)
    s.verticalFlip = !(noFlips || noVerticalFlip)
    s.cropSize = try cropSize()
    s.fillMode = fillMode
    s.cval = cval
    s.targets = try targetList()
    s.minObjects = minObjects
    s.maxDraws = maxDraws
    s.redrawSparseSamples = !noRedraw
    s.shuffle = !noShuffle
    s.dimmedObjectFraction = dimming.dimNuclei
    s.dimmedObjectMinFactor = dimming.dimFactorMin
    s.noisySampleFraction = noise.noiseFraction
    s.noiseMaxStandardDeviation = noise.noiseMax
    try s.validate()
    return s
  }
}
