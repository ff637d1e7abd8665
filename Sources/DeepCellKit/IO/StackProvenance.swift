import Foundation

/// What the dc tools did to a stack, carried inside the file so the next tool can act on it
/// (design.md, "Provenance travels with the data"): dc-normalize records the normalization it
/// applied, so dc-predict does not normalize twice; dc-predict records the scale it predicted
/// at and the post-processing the model was tuned with, so dc-watershed segments with them.
///
/// Stored as compact JSON: in a TIFF as one more `dc_tools={…}` line of the ImageJ description
/// (ImageJ, Fiji and tifffile ignore keys they do not know) or as a `"dc_tools"` key of
/// tifffile's shaped JSON description; in an OME-TIFF's OME-XML as a `MapAnnotation` of the
/// image (namespace ``omeNamespace``, entry `dc_tools`; ``OMEMetadata/provenanceRecord``); in
/// an NPZ as the member `dc_tools.json` (numpy lists it among the files and returns its
/// bytes, as for a model file's `model.json`). Wherever it is stored, a record that is not
/// valid makes the tools that consult it fail with exit 65 and one line, as they would for
/// any malformed input, rather than guess what was done to the pixels; reading the pixels
/// never depends on it.
public struct StackProvenance: Codable, Sendable, Equatable {
  /// Normalization applied by dc-normalize: `clahe`, `zscore` or `percentile`; nil when the
  /// pixels were not normalized.
  public var normalization: String?
  /// Intensity transform dc-normalize applied before the normalization (``IntensityTransform``
  /// raw value, `sqrt`); nil: none.
  public var transform: String?
  /// Model pixels per input pixel the maps were predicted at (dc-predict; 1 when the frames
  /// were not rescaled). The maps themselves are at the input's resolution.
  public var scale: Double?
  /// Typical nucleus diameter of the input in pixels that dc-predict used (given or estimated).
  public var diameter: Double?
  /// Post-processing the model was tuned with, in the model's pixels (dc-predict, from the
  /// model file); dc-watershed converts pixel sizes with ``scale``.
  public var watershed: WatershedSettings?
  /// The tool that wrote the record, e.g. `dc-predict`.
  public var tool: String?

  /// An empty record.
  public init(
    normalization: String? = nil, transform: String? = nil, scale: Double? = nil,
    diameter: Double? = nil, watershed: WatershedSettings? = nil, tool: String? = nil
  ) {
    self.normalization = normalization
    self.transform = transform
    self.scale = scale
    self.diameter = diameter
    self.watershed = watershed
    self.tool = tool
  }

  /// The NPZ member holding the record.
  public static let npzMember = "dc_tools.json"
  /// The key of the record in TIFF descriptions (and of its entry in the OME annotation).
  public static let descriptionKey = "dc_tools"
  /// The `Namespace` of the OME-XML `MapAnnotation` holding the record.
  public static let omeNamespace = "dc-tools/provenance"

  /// The record as one line of JSON (sorted keys, no newline).
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding plain optionals and numbers cannot fail.
    return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
  }

  /// Decodes `json`; throws `badData` naming `subject` when it is not a valid record, or when
  /// its numbers are out of range (a scale or diameter that is not a positive finite number).
  public static func decode(_ json: [UInt8], subject: String) throws -> StackProvenance {
    let record: StackProvenance
    do {
      record = try JSONDecoder().decode(StackProvenance.self, from: Data(json))
    } catch {
      throw DeepCellError(.badData, subject, "\(descriptionKey) metadata is not valid JSON")
    }
    for (name, value) in [("scale", record.scale), ("diameter", record.diameter)] {
      if let value, !(value.isFinite && value > 0) {
        throw DeepCellError(
          .badData, subject, "\(descriptionKey) metadata: \(name) must be a positive number")
      }
    }
    if let transform = record.transform, IntensityTransform(rawValue: transform) == nil {
      throw DeepCellError(
        .badData, subject, "\(descriptionKey) metadata: unknown transform '\(transform)'")
    }
    try record.watershed?.validate(subject: subject)
    return record
  }

  /// The record in a TIFF's first ImageDescription, if any: a `dc_tools=` line of an ImageJ
  /// description, the `dc_tools` key of a JSON description, or the provenance annotation of
  /// OME-XML (``OMEMetadata/provenanceRecord``).
  public static func parse(description text: String, subject: String) throws -> StackProvenance? {
    if OMEMetadata.isOMEXML(text) {
      guard let record = try OMEMetadata(xml: text, subject: subject).provenanceRecord else {
        return nil
      }
      return try decode(Array(record.utf8), subject: subject)
    }
    if let imageJ = ImageJMetadata(description: text) {
      guard let value = imageJ[descriptionKey] else { return nil }
      return try decode(Array(value.utf8), subject: subject)
    }
    guard text.hasPrefix("{"),
      let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
      let record = object[descriptionKey]
    else { return nil }
    guard JSONSerialization.isValidJSONObject(record),
      let bytes = try? JSONSerialization.data(withJSONObject: record)
    else {
      throw DeepCellError(.badData, subject, "\(descriptionKey) metadata is not a JSON object")
    }
    return try decode([UInt8](bytes), subject: subject)
  }
}
