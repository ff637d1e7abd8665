import Foundation

/// What a model file's `model.json` member records (design.md, "Model file"): the format tag,
/// the tool version, the architecture, the input normalization the model expects, the pixel
/// size it was trained at, and the training settings (free-form strings for the record).
public struct ModelDescription: Codable, Sendable, Equatable {
  /// Format tag, always ``ModelFile/formatName``.
  public var format: String = ModelFile.formatName
  /// Format version, ``ModelFile/formatVersion``.
  public var formatVersion: Int = ModelFile.formatVersion
  /// Version of dc-tools that wrote the file.
  public var toolVersion: String = ModelFile.toolVersion
  /// The network.
  public var architecture: PanopticNetConfiguration
  /// Input normalization the model was trained with: `"histogram_normalization"` (CLAHE,
  /// normalize.md §1) or `"none"`.
  public var normalization: String = "histogram_normalization"
  /// Intensity transform the training images had before their normalization, which
  /// dc-predict applies too; nil: none (DeepCell's recipe).
  public var inputTransform: IntensityTransform?
  /// Pixel size in µm the model was trained at (`model_mpp`, predict.md §1).
  public var modelMPP: Double = 0.65
  /// Training settings and results, as text (flags, epochs run, best val_loss, …).
  public var training: [String: String] = [:]
  /// Median nucleus diameter in pixels of the training images (they were resized to it), so
  /// dc-predict can rescale other images to it (`--diameter`); nil for models trained at the
  /// images' own sizes (older files), which dc-predict runs at the input's scale.
  public var diameter: Double?
  /// Factor from the automatic estimate's crossing to the true median diameter, measured on
  /// the training images (``DiameterEstimation/calibration``); nil: 1.
  public var diameterCalibration: Double?
  /// The deep-watershed settings chosen for this model on its training images, in the
  /// model's pixels; dc-predict passes them to dc-watershed. nil: DeepCell's defaults.
  public var watershed: WatershedSettings?
  /// Whether the model's recommended prediction averages the four mirror flips (dc-predict's
  /// default for `--augment`); nil: off.
  public var testTimeFlips: Bool?

  /// A description of `architecture` with the recipe's normalization and pixel size.
  public init(architecture: PanopticNetConfiguration) { self.architecture = architecture }
}

/// The model file (design.md, "Model file"): one `.npz` whose members are every weight as a
/// named float32 `.npy` (Keras names, conv kernels HWIO) plus `model.json`. numpy opens it
/// (`np.load(path)["P1/kernel"]`); nothing in it executes.
public enum ModelFile {
  /// `model.json`'s format tag.
  public static let formatName = "dc-tools-panopticnet"
  /// `model.json`'s format version.
  public static let formatVersion = 1
  /// The version written into new model files.
  public static let toolVersion = "0.1.0"
  /// The metadata member's name.
  public static let descriptionMember = "model.json"

  /// Writes `network` and `description` to `path` atomically (a temporary file beside it,
  /// renamed into place), so an interrupted save never replaces a good file with a partial one.
  public static func save(_ network: PanopticNet, description: ModelDescription, to path: String)
    throws
  {
    var description = description
    description.architecture = network.configuration
    try writeNPZFile(path) { writer in
      for p in network.registry.parameters { try writer.write(p.name, p.exported()) }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let json = try encoder.encode(description)
      try writer.writeMember(descriptionMember, bytes: [UInt8](json))
    }
  }

  /// Reads `model.json` of the model file at `path`. Throws `.noInput` when the file cannot be
  /// opened and `.badData` naming the path when it is not a dc-tools model file.
  public static func readDescription(_ path: String) throws -> ModelDescription {
    try readDescription(try NPZReader(path: path), path: path)
  }

  static func readDescription(_ reader: NPZReader, path: String) throws -> ModelDescription {
    guard reader.memberNames.contains(descriptionMember) else {
      throw DeepCellError(.badData, path, "not a dc-tools model file (no \(descriptionMember))")
    }
    let bytes = try reader.readMember(descriptionMember)
    let description: ModelDescription
    do {
      description = try JSONDecoder().decode(ModelDescription.self, from: Data(bytes))
    } catch {
      throw DeepCellError(.badData, path, "\(descriptionMember) is not a valid model description")
    }
    guard description.format == formatName else {
      throw DeepCellError(
        .badData, path, "model format '\(description.format)' is not \(formatName)")
    }
    guard description.formatVersion <= formatVersion else {
      throw DeepCellError(
        .badData, path,
        "model format version \(description.formatVersion) is newer than this tool's \(formatVersion)"
      )
    }
    do { try description.architecture.validate() } catch let e as DeepCellError {
      throw DeepCellError(.badData, path, "architecture: \(e.reason)")
    }
    return description
  }

  /// Loads the model at `path`: builds the architecture `model.json` describes and loads
  /// every weight by name. With `expecting`, the file's architecture must equal it. Throws
  /// `.badData` naming the path for a corrupt file, a missing or misshapen weight, a weight
  /// of another architecture, or an architecture mismatch.
  public static func load(_ path: String, expecting: PanopticNetConfiguration? = nil) throws -> (
    network: PanopticNet, description: ModelDescription
  ) {
    let reader = try NPZReader(path: path)
    let description = try readDescription(reader, path: path)
    if let expecting, expecting != description.architecture {
      throw DeepCellError(
        .badData, path, "the model file holds another architecture than the one requested")
    }
    let network = try PanopticNet(description.architecture, seed: 0)
    var arrays: [String: NDArray] = [:]
    for name in reader.names {
      do { arrays[name] = try reader.readArray(name) } catch let e as DeepCellError {
        throw DeepCellError(.badData, path, "weight '\(name)': \(e.reason)")
      }
    }
    try network.registry.load(arrays, strict: true, subject: path)
    return (network, description)
  }
}
