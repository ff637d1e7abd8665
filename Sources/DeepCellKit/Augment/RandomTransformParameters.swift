/// The random transform of one sample (augment.md §4): drawn in the reference's order —
/// θ, row shift, column shift, shear, (zx, zy), horizontal flip, vertical flip, crop origin —
/// from the sample's own ``AugmentationRandom`` stream.
public struct RandomTransformParameters: Sendable, Equatable {
  /// Rotation in degrees.
  public var theta: Double = 0
  /// Row and column shift in pixels.
  public var tx: Double = 0, ty: Double = 0
  /// Shear in degrees.
  public var shear: Double = 0
  /// Row and column zoom.
  public var zx: Double = 1, zy: Double = 1
  /// Reverse columns / rows after the warp.
  public var flipHorizontal = false, flipVertical = false
  /// Top-left corner of the crop, or nil when the image is used whole.
  public var cropOrigin: [Int]? = nil

  /// No transform.
  public init() {}

  /// Draws the parameters for an image of `height`×`width` (uncropped). Throws a usage
  /// error when the crop does not fit: larger than the image in either axis, or equal in
  /// exactly one axis (the reference's rule).
  public static func draw(
    settings: AugmentationSettings, height: Int, width: Int, random: inout AugmentationRandom
  ) throws -> RandomTransformParameters {
    var p = RandomTransformParameters()
    if settings.rotationRange != 0 {
      p.theta = random.uniform(-settings.rotationRange, settings.rotationRange)
    }
    if settings.heightShiftRange != 0 {
      p.tx = random.uniform(-settings.heightShiftRange, settings.heightShiftRange)
      if settings.heightShiftRange < 1 { p.tx *= Double(height) }
    }
    if settings.widthShiftRange != 0 {
      p.ty = random.uniform(-settings.widthShiftRange, settings.widthShiftRange)
      if settings.widthShiftRange < 1 { p.ty *= Double(width) }
    }
    if settings.shearRange != 0 {
      p.shear = random.uniform(-settings.shearRange, settings.shearRange)
    }
    if !(settings.zoomRange[0] == 1 && settings.zoomRange[1] == 1) {
      p.zx = random.uniform(settings.zoomRange[0], settings.zoomRange[1])
      p.zy = random.uniform(settings.zoomRange[0], settings.zoomRange[1])
    }
    // Drawn even when disabled, as Keras does, so enabling a flip does not shift the stream.
    p.flipHorizontal = random.uniform() < 0.5 && settings.horizontalFlip
    p.flipVertical = random.uniform() < 0.5 && settings.verticalFlip
    if let crop = settings.cropSize {
      try checkCrop(crop, height: height, width: width)
      if !(crop[0] == height && crop[1] == width) {
        // numpy randint(0, H − ch): exclusive bound, the last origin is never chosen (quirk).
        p.cropOrigin = [
          random.integer(below: height - crop[0]), random.integer(below: width - crop[1]),
        ]
      }
    }
    return p
  }

  /// The reference's crop rule: equal to the image, or smaller in both axes.
  public static func checkCrop(_ crop: [Int], height: Int, width: Int) throws {
    if crop[0] == height && crop[1] == width { return }
    if crop[0] > height || crop[1] > width {
      throw DeepCellError(
        .usage, "crop size", "\(crop[0])x\(crop[1]) is larger than the \(height)x\(width) image")
    }
    if crop[0] == height || crop[1] == width {
      throw DeepCellError(
        .usage, "crop size",
        "\(crop[0])x\(crop[1]) must be smaller than the \(height)x\(width) image in both axes or equal to it"
      )
    }
  }

  /// The affine warp of these parameters for a (cropped) image of `height`×`width`, or nil
  /// when it is the identity and the warp is skipped.
  public func warp(height: Int, width: Int) -> AffineWarp? {
    AffineWarp.keras(
      theta: theta, tx: tx, ty: ty, shear: shear, zx: zx, zy: zy, height: height, width: width)
  }
}
