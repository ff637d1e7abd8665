import ArgumentParser
import DeepCellKit

/// dc-predict's scale flags (predict.md §1): the nucleus diameter or pixel size of the input
/// and of the model. Include with `@OptionGroup var scale: NucleusScaleOptions`.
public struct NucleusScaleOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Typical nucleus diameter in input pixels, or 'auto' to estimate it (default: auto when the model records a training diameter).",
      valueName: "d|auto"))
  public var diameter: String?

  @Option(
    help: ArgumentHelp(
      "Nucleus diameter in pixels the model was trained at (default: from the model file).",
      valueName: "d"))
  public var modelDiameter: Double?

  @Option(
    help: ArgumentHelp("Pixel size of the input in µm (scales by pixel size).", valueName: "mpp"))
  public var imageMpp: Double?

  @Option(
    help: ArgumentHelp(
      "Pixel size the model was trained at (default: from the model file).", valueName: "mpp"))
  public var modelMpp: Double?

  public init() {}

  public func validate() throws {
    for (flag, v) in [
      ("--image-mpp", imageMpp), ("--model-mpp", modelMpp), ("--model-diameter", modelDiameter),
    ] {
      if let v, !(v.isFinite && v > 0) {
        throw ValidationError("\(flag) must be a positive number")
      }
    }
    _ = try scale()
  }

  /// The ``NucleusScale`` the flags select.
  public func scale() throws -> NucleusScale {
    if let diameter {
      guard imageMpp == nil else {
        throw ValidationError("--diameter and --image-mpp exclude each other")
      }
      if diameter == "auto" { return .automatic }
      guard let d = Double(diameter), d.isFinite, d > 0 else {
        throw ValidationError(
          "--diameter must be a positive number of pixels or 'auto', not '\(diameter)'")
      }
      return .diameter(d)
    }
    if let imageMpp { return .imagePixelSize(imageMpp) }
    return .modelDefault
  }
}
