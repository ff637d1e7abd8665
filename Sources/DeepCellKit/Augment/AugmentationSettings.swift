/// Everything the augmenting generator does to a sample — DeepCell's
/// `CroppingDataGenerator` options (augment.md §1). The defaults are the seed notebook's
/// nuclear recipe: rotation ±180°, zoom in [0.75, 1/0.75] per axis, both flips, 256×256
/// crops, fill `nearest`, bilinear images and distance maps, targets inner-distance (α auto,
/// β 1, no erosion), outer-distance (erosion 1) and fgbg, min_objects 1.
public struct AugmentationSettings: Sendable, Equatable {
  /// Rotation angle range in degrees: θ ~ U(−range, +range); 0 disables.
  public var rotationRange: Double = 180
  /// Zoom range [lo, hi]; zx and zy are two independent draws (anisotropic zoom); [1, 1]
  /// disables. zx scales rows, zy columns; zoom > 1 makes objects smaller.
  public var zoomRange: [Double] = [0.75, 1 / 0.75]
  /// Row shift range: a fraction of the (uncropped) height when < 1, else pixels; 0 disables.
  public var heightShiftRange: Double = 0
  /// Column shift range: a fraction of the (uncropped) width when < 1, else pixels.
  public var widthShiftRange: Double = 0
  /// Shear angle range in degrees.
  public var shearRange: Double = 0
  /// Random left-right flips (reverse columns) with probability 1/2.
  public var horizontalFlip = true
  /// Random up-down flips (reverse rows) with probability 1/2.
  public var verticalFlip = true
  /// Crop size (rows, columns), or nil for no crop.
  public var cropSize: [Int]? = [256, 256]
  /// Fill for points that map outside the image.
  public var fillMode: FillMode = .nearest
  /// Fill value for ``FillMode/constant``.
  public var cval: Double = 0
  /// Interpolation order (0 nearest, 1 bilinear) of the image and the 1-channel targets.
  public var interpolationOrder = 1
  /// Targets computed from the labels, in output order.
  public var targets: [TargetTransform] = TargetTransform.notebookDefaults
  /// Images with fewer objects are dropped once (augment.md §2), and samples showing
  /// fewer objects after cropping and warping are redrawn (see ``maxDraws``).
  public var minObjects = 1
  /// Redraw a sample's random transform when it shows fewer than ``minObjects`` objects
  /// (the reference does not redraw; it only filters images). false keeps every draw.
  public var redrawSparseSamples = true
  /// The most random transforms drawn for one sample; the last one is kept even when it is
  /// still too sparse (never an endless loop, and never a failed run).
  public var maxDraws = 100
  /// A fresh random sample order for every pass over the data.
  public var shuffle = true
  /// Probability that each object of a sample is dimmed (``NucleusDimming``); 0, the
  /// reference's recipe, disables it.
  public var dimmedObjectFraction: Double = 0
  /// Smallest factor a dimmed object's intensities are multiplied by (drawn in [this, 1]).
  public var dimmedObjectMinFactor: Double = 0.1
  /// Probability that a sample gets pixel noise (``PixelNoise``); 0, the reference's recipe,
  /// disables it.
  public var noisySampleFraction: Double = 0
  /// Largest standard deviation of the noise (each noisy sample draws its own in [0, this]).
  public var noiseMaxStandardDeviation: Double = 0.05

  /// The seed notebook's recipe (the defaults).
  public init() {}

  /// The validation generator of the recipe: random crop only (augment.md §1).
  public static var cropOnly: AugmentationSettings {
    var s = AugmentationSettings()
    s.rotationRange = 0
    s.zoomRange = [1, 1]
    s.horizontalFlip = false
    s.verticalFlip = false
    return s
  }

  /// Checks every value; throws a usage error naming the bad one.
  public func validate() throws {
    func bad(_ what: String, _ why: String) -> DeepCellError { DeepCellError(.usage, what, why) }
    guard rotationRange.isFinite && rotationRange >= 0 else {
      throw bad("rotation range", "must be ≥ 0 degrees")
    }
    guard zoomRange.count == 2, zoomRange.allSatisfy({ $0.isFinite && $0 > 0 }),
      zoomRange[0] <= zoomRange[1]
    else {
      throw bad("zoom range", "must be two positive numbers lo ≤ hi, got \(zoomRange)")
    }
    for (name, v) in [
      ("height shift range", heightShiftRange), ("width shift range", widthShiftRange),
      ("shear range", shearRange),
    ] {
      guard v.isFinite && v >= 0 else { throw bad(name, "must be ≥ 0, got \(v)") }
    }
    if let crop = cropSize {
      guard crop.count == 2, crop.allSatisfy({ $0 > 0 }) else {
        throw bad("crop size", "must be two positive integers (rows, columns), got \(crop)")
      }
    }
    guard interpolationOrder == 0 || interpolationOrder == 1 else {
      throw bad("interpolation order", "must be 0 or 1, got \(interpolationOrder)")
    }
    guard cval.isFinite else { throw bad("cval", "must be finite") }
    guard dimmedObjectFraction.isFinite, (0...1).contains(dimmedObjectFraction) else {
      throw bad("dimmed object fraction", "must lie in [0, 1], got \(dimmedObjectFraction)")
    }
    guard dimmedObjectMinFactor.isFinite, dimmedObjectMinFactor > 0, dimmedObjectMinFactor <= 1
    else {
      throw bad("dimmed object factor", "must lie in (0, 1], got \(dimmedObjectMinFactor)")
    }
    guard noisySampleFraction.isFinite, (0...1).contains(noisySampleFraction) else {
      throw bad("noisy sample fraction", "must lie in [0, 1], got \(noisySampleFraction)")
    }
    guard noiseMaxStandardDeviation.isFinite, noiseMaxStandardDeviation > 0 else {
      throw bad("noise standard deviation", "must be > 0, got \(noiseMaxStandardDeviation)")
    }
    guard minObjects >= 0 else { throw bad("min objects", "must be ≥ 0, got \(minObjects)") }
    guard maxDraws >= 1 else { throw bad("max draws", "must be ≥ 1, got \(maxDraws)") }
    var names = Set<String>()
    for t in targets {
      try t.validate()
      guard names.insert(t.arrayName).inserted else {
        throw bad("targets", "\(t.arrayName) requested twice; each target name may appear once")
      }
    }
    guard !names.contains(ArrayName.image) && !names.contains(ArrayName.labels) else {
      throw bad("targets", "target names X and y are reserved")
    }
  }
}
