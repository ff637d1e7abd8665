import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The OME-XML metadata an OME-TIFF carries in its first page's ImageDescription (OME-TIFF
/// specification; OME data model, schema 2016-06): for each image (series) its pixel
/// dimensions, dimension order, physical pixel size and the `TiffData` elements that say
/// which IFD holds which plane.
///
/// Only what the readers need is kept; every other element (instrument, channels' names,
/// other annotations) is skipped. The one annotation kept is the dc tools' own provenance
/// record (``StackProvenance``), which ``singleImageXML(dtype:height:width:channels:slices:timePoints:pixelSize:provenance:name:)``
/// writes as a `MapAnnotation` the image refers to (``provenanceRecord``). Parsing uses Foundation's `XMLParser` with namespaces
/// processed, so prefixed element names (`ome:Pixels`) are found too.
public struct OMEMetadata: Sendable, Equatable {
  /// One `TiffData` element: `planeCount` planes starting at (`firstZ`, `firstC`, `firstT`)
  /// are stored in consecutive IFDs from `ifd`, possibly in another file (`uuid`, `fileName`).
  public struct TiffData: Sendable, Equatable {
    /// First IFD (0-based); nil when the attribute is absent (the spec's default is 0).
    public var ifd: Int?
    /// First plane's Z, C and T indices (default 0).
    public var firstZ = 0, firstC = 0, firstT = 0
    /// Number of planes; nil when absent (the spec's default: 1 when `IFD` is given, else
    /// every plane).
    public var planeCount: Int?
    /// The `UUID` child's text: the file holding these planes, nil for this file.
    public var uuid: String?
    /// The `UUID` child's `FileName` attribute.
    public var fileName: String?
  }

  /// One `Image` element's `Pixels`.
  public struct Image: Sendable, Equatable {
    /// The `ID` of the image (`Image:0`).
    public var id: String
    /// `DimensionOrder`: `XY` followed by Z, C and T in the order they vary in the IFDs,
    /// fastest first (`XYCZT`: channels fastest, as ImageJ's TZCYX).
    public var dimensionOrder: String
    /// `SizeX`, `SizeY` (pixels), `SizeZ`, `SizeC` (samples, counting every sample of an
    /// RGB channel), `SizeT`.
    public var sizeX: Int, sizeY: Int, sizeZ: Int, sizeC: Int, sizeT: Int
    /// `Type` (`uint16`, `float`, …).
    public var type: String
    /// `PhysicalSizeX`/`Y`/`Z` in micrometres (converted from their unit attributes), nil
    /// when absent or in a unit that is not a length.
    public var physicalSizeX: Double?, physicalSizeY: Double?, physicalSizeZ: Double?
    /// The `TiffData` elements in document order.
    public var tiffData: [TiffData]
    /// The `ID`s of the image's `AnnotationRef` children, in document order.
    public var annotationRefs: [String] = []

    /// Index of plane (z, c, t) in IFD order for ``dimensionOrder``, with `channels`
    /// channel planes (SizeC divided by the samples of a pixel).
    public func planeIndex(z: Int, c: Int, t: Int, channels: Int) -> Int {
      var index = 0
      // Slowest axis first: DimensionOrder lists the fastest after XY.
      for axis in dimensionOrder.dropFirst(2).reversed() {
        switch axis {
        case "Z": index = index * sizeZ + z
        case "C": index = index * channels + c
        default: index = index * sizeT + t
        }
      }
      return index
    }
  }

  /// The root element's `UUID` (the file's own identity), if any.
  public var uuid: String?
  /// The images (series) in document order; never empty.
  public var images: [Image]
  /// True when the root holds a `BinaryOnly` element: the metadata live in another file.
  public var isBinaryOnly: Bool
  /// The text of the first image's provenance record: the `M` entry keyed
  /// ``StackProvenance/descriptionKey`` (`dc_tools`) of a `MapAnnotation` in namespace
  /// ``StackProvenance/omeNamespace`` that the image refers to with an `AnnotationRef`. nil
  /// when there is none; annotations of other namespaces, unreferenced ones and references
  /// to missing annotations are ignored. Not validated here: ``StackProvenance/decode(_:subject:)``
  /// does that when a tool asks for the record.
  public var provenanceRecord: String?

  /// Whether an ImageDescription is OME-XML: XML whose root element is `OME`.
  public static func isOMEXML(_ description: String) -> Bool {
    var text = Substring(description)
    // Skip the XML declaration, comments and processing instructions before the root.
    while true {
      text = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
      guard text.hasPrefix("<?") || text.hasPrefix("<!") else { break }
      guard let end = text.firstIndex(of: ">") else { return false }
      text = text[text.index(after: end)...]
    }
    guard text.hasPrefix("<") else { return false }
    let name = text.dropFirst().prefix { !$0.isWhitespace && $0 != ">" && $0 != "/" }
    return name == "OME" || name.hasSuffix(":OME")
  }

  /// Units of `PhysicalSize*Unit` and their size in micrometres (the OME model's
  /// UnitsLength; the default unit is µm).
  static let micrometresPerUnit: [String: Double] = [
    "Ym": 1e30, "Zm": 1e27, "Em": 1e24, "Pm": 1e21, "Tm": 1e18, "Gm": 1e15, "Mm": 1e12,
    "km": 1e9, "hm": 1e8, "dam": 1e7, "m": 1e6, "dm": 1e5, "cm": 1e4, "mm": 1e3,
    "µm": 1, "\u{03BC}m": 1, "um": 1, "micron": 1, "nm": 1e-3, "pm": 1e-6, "fm": 1e-9,
    "am": 1e-12, "zm": 1e-15, "ym": 1e-18, "Å": 1e-4,
    "in": 25_400, "ft": 304_800, "yd": 914_400, "mi": 1_609_344_000,
  ]

  /// Parses OME-XML. `subject` names the file in errors. Throws ``DeepCellError`` `badData`
  /// ("malformed OME-XML: …") when the text is not well-formed XML, has no `Image` with
  /// `Pixels`, or a required attribute (SizeX/Y/Z/C/T, DimensionOrder) is missing or invalid.
  public init(xml: String, subject: String) throws {
    let collector = OMEXMLCollector()
    let parser = XMLParser(data: Data(xml.utf8))
    parser.shouldProcessNamespaces = true
    parser.shouldResolveExternalEntities = false
    parser.delegate = collector
    guard parser.parse(), collector.failure == nil else {
      let place = "line \(parser.lineNumber), column \(parser.columnNumber)"
      throw DeepCellError(
        .badData, subject,
        "malformed OME-XML: \(collector.failure ?? "not well-formed XML (\(place))")")
    }
    guard collector.sawRoot else {
      throw DeepCellError(.badData, subject, "malformed OME-XML: the root element is not OME")
    }
    var images: [Image] = []
    for (k, raw) in collector.images.enumerated() {
      images.append(try Self.image(raw, index: k, subject: subject))
    }
    guard !images.isEmpty else {
      throw DeepCellError(.badData, subject, "malformed OME-XML: no Image with Pixels")
    }
    self.images = images
    uuid = collector.rootUUID
    isBinaryOnly = collector.binaryOnly
    provenanceRecord = images[0].annotationRefs.lazy.compactMap { collector.provenance[$0] }.first
  }

  /// An ``Image`` from the attributes the collector gathered.
  private static func image(_ raw: OMEXMLCollector.RawImage, index: Int, subject: String) throws
    -> Image
  {
    let a = raw.pixels
    func fail(_ why: String) -> DeepCellError {
      DeepCellError(.badData, subject, "malformed OME-XML: Image \(index) \(why)")
    }
    func size(_ key: String) throws -> Int {
      guard let text = a[key] else { throw fail("has no \(key)") }
      guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 1, n <= 1 << 31 else {
        throw fail("has \(key)=\"\(text)\", not a positive integer")
      }
      return n
    }
    let order = a["DimensionOrder"] ?? ""
    guard order.count == 5, order.hasPrefix("XY"), Set(order.dropFirst(2)) == Set("ZCT") else {
      throw fail("has DimensionOrder=\"\(order)\", not XY followed by Z, C, T")
    }
    func physical(_ axis: String) -> Double? {
      guard let text = a["PhysicalSize\(axis)"], let value = Double(text), value.isFinite,
        value > 0,
        let scale = micrometresPerUnit[a["PhysicalSize\(axis)Unit"] ?? "µm"]
      else { return nil }
      return value * scale
    }
    var tiffData: [TiffData] = []
    for t in raw.tiffData {
      func attribute(_ key: String) throws -> Int? {
        guard let text = t.attributes[key] else { return nil }
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0, n <= 1 << 40 else {
          throw fail("has a TiffData \(key)=\"\(text)\", not a count")
        }
        return n
      }
      tiffData.append(
        TiffData(
          ifd: try attribute("IFD"), firstZ: try attribute("FirstZ") ?? 0,
          firstC: try attribute("FirstC") ?? 0, firstT: try attribute("FirstT") ?? 0,
          planeCount: try attribute("PlaneCount"), uuid: t.uuid, fileName: t.fileName))
    }
    return Image(
      id: raw.id, dimensionOrder: order, sizeX: try size("SizeX"), sizeY: try size("SizeY"),
      sizeZ: try size("SizeZ"), sizeC: try size("SizeC"), sizeT: try size("SizeT"),
      type: a["Type"] ?? "", physicalSizeX: physical("X"), physicalSizeY: physical("Y"),
      physicalSizeZ: physical("Z"), tiffData: tiffData, annotationRefs: raw.annotationRefs)
  }
}

/// Gathers the few OME-XML elements ``OMEMetadata`` keeps while `XMLParser` walks the text.
private final class OMEXMLCollector: NSObject, XMLParserDelegate {
  struct RawTiffData {
    var attributes: [String: String]
    var uuid: String?
    var fileName: String?
  }
  struct RawImage {
    var id: String
    var pixels: [String: String] = [:]
    var hasPixels = false
    var tiffData: [RawTiffData] = []
    var annotationRefs: [String] = []
  }

  var sawRoot = false
  var rootUUID: String?
  var binaryOnly = false
  var images: [RawImage] = []
  var failure: String?
  /// The provenance record of each `MapAnnotation` in the dc tools' namespace, by its `ID`.
  var provenance: [String: String] = [:]
  private var depth = 0
  private var inImage = false
  private var inTiffData = false
  private var uuidText: String?
  private var inStructuredAnnotations = false
  /// The `ID` of the dc tools' `MapAnnotation` being read, and whether its `Value` is open.
  private var provenanceAnnotation: String?
  private var inProvenanceValue = false
  /// The text of its `M K="dc_tools"` entry being read.
  private var recordText: String?

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    depth += 1
    if depth == 1 {
      sawRoot = name == "OME"
      rootUUID = attributes["UUID"]
      if !sawRoot { parser.abortParsing() }
      return
    }
    switch name {
    case "Image" where depth == 2:
      inImage = true
      images.append(RawImage(id: attributes["ID"] ?? "Image:\(images.count)"))
    case "Pixels" where inImage && depth == 3:
      images[images.count - 1].pixels = attributes
      images[images.count - 1].hasPixels = true
    case "TiffData" where inImage && depth == 4:
      inTiffData = true
      images[images.count - 1].tiffData.append(RawTiffData(attributes: attributes))
    case "UUID" where inTiffData:
      uuidText = ""
      let last = images[images.count - 1].tiffData.count - 1
      images[images.count - 1].tiffData[last].fileName = attributes["FileName"]
    case "AnnotationRef" where inImage && depth == 3:
      if let id = attributes["ID"] { images[images.count - 1].annotationRefs.append(id) }
    case "BinaryOnly" where depth == 2:
      binaryOnly = true
    case "StructuredAnnotations" where depth == 2:
      inStructuredAnnotations = true
    case "MapAnnotation" where inStructuredAnnotations && depth == 3:
      if attributes["Namespace"] == StackProvenance.omeNamespace, let id = attributes["ID"] {
        provenanceAnnotation = id
      }
    case "Value" where provenanceAnnotation != nil && depth == 4:
      inProvenanceValue = true
    case "M" where inProvenanceValue && depth == 5:
      if attributes["K"] == StackProvenance.descriptionKey { recordText = "" }
    default: break
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if uuidText != nil { uuidText! += string }
    if recordText != nil { recordText! += string }
  }

  func parser(
    _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
  ) {
    switch name {
    case "Image" where depth == 2:
      inImage = false
      if !images[images.count - 1].hasPixels {
        failure = "Image \(images.count - 1) has no Pixels"
        parser.abortParsing()
      }
    case "TiffData" where depth == 4: inTiffData = false
    case "StructuredAnnotations" where depth == 2: inStructuredAnnotations = false
    case "MapAnnotation" where depth == 3: provenanceAnnotation = nil
    case "Value" where depth == 4: inProvenanceValue = false
    case "M" where depth == 5:
      if let id = provenanceAnnotation, let text = recordText, provenance[id] == nil {
        provenance[id] = text
      }
      recordText = nil
    case "UUID" where inTiffData:
      let last = images[images.count - 1].tiffData.count - 1
      images[images.count - 1].tiffData[last].uuid = uuidText?.trimmingCharacters(
        in: .whitespacesAndNewlines)
      uuidText = nil
    default: break
    }
    depth -= 1
  }
}

extension OMEMetadata {
  /// OME's `Type` name of `dtype` (`uint16`, `float`, `double` …); nil for the types the
  /// OME model lacks (bool, 64-bit integers, float16).
  public static func pixelType(_ dtype: DType) -> String? {
    switch dtype {
    case .uint8, .int8, .uint16, .int16, .uint32, .int32: return dtype.rawValue
    case .float32: return "float"
    case .float64: return "double"
    case .bool, .uint64, .int64, .float16: return nil
    }
  }

  /// The OME-XML of a single-file OME-TIFF holding one image of `timePoints` × `slices`
  /// frames of `channels` planes of `height` × `width` `dtype` pixels, one grayscale IFD a
  /// plane in ImageJ's order (T, then Z, then C fastest: `DimensionOrder="XYCZT"`), with the
  /// pixel size in µm when known. No UUID, so equal stacks give equal files. Returns nil
  /// for a `dtype` OME cannot hold (``pixelType(_:)``).
  ///
  /// A `provenance` record goes where the OME schema puts data of other software: a
  /// `MapAnnotation` (namespace ``StackProvenance/omeNamespace``, one entry `dc_tools` holding
  /// the record's JSON) in the root's `StructuredAnnotations`, after the image, which refers
  /// to it with an `AnnotationRef` after its `Pixels` (the order the schema's sequences
  /// require). OME readers (tifffile, Bio-Formats, OMERO) show it as key–value metadata.
  public static func singleImageXML(
    dtype: DType, height: Int, width: Int, channels: Int, slices: Int, timePoints: Int,
    pixelSize: PixelSize?, provenance: StackProvenance? = nil, name: String = "Image0"
  ) -> String? {
    guard let type = pixelType(dtype) else { return nil }
    func escaped(_ text: String) -> String {
      text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: ">", with: "&gt;")
    }
    var pixels =
      "ID=\"Pixels:0\" DimensionOrder=\"XYCZT\" Type=\"\(type)\" SizeX=\"\(width)\" SizeY=\"\(height)\" SizeZ=\"\(slices)\" SizeC=\"\(channels)\" SizeT=\"\(timePoints)\""
    if let pixelSize {
      pixels +=
        " PhysicalSizeX=\"\(pixelSize.x)\" PhysicalSizeXUnit=\"µm\" PhysicalSizeY=\"\(pixelSize.y)\" PhysicalSizeYUnit=\"µm\""
    }
    let channelElements = (0..<channels).map {
      "<Channel ID=\"Channel:0:\($0)\" SamplesPerPixel=\"1\"/>"
    }.joined()
    let planes = channels * slices * timePoints
    let annotationID = "Annotation:0"
    let reference = provenance == nil ? "" : "<AnnotationRef ID=\"\(annotationID)\"/>"
    let annotations =
      provenance.map {
        "<StructuredAnnotations><MapAnnotation ID=\"\(annotationID)\" Namespace=\"\(StackProvenance.omeNamespace)\"><Value><M K=\"\(StackProvenance.descriptionKey)\">\(escaped($0.json))</M></Value></MapAnnotation></StructuredAnnotations>"
      } ?? ""
    return """
      <?xml version="1.0" encoding="UTF-8"?>\
      <OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" \
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
      xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd" \
      Creator="dc-tools">\
      <Image ID="Image:0" Name="\(escaped(name))"><Pixels \(pixels)>\(channelElements)\
      <TiffData IFD="0" PlaneCount="\(planes)"/></Pixels>\(reference)</Image>\(annotations)</OME>
      """
  }
}
