import Foundation
import XCTest

@testable import DeepCellKit

/// The provenance record in OME-TIFF outputs (issue 20, point 4): written as a MapAnnotation
/// the image refers to, read back in process, still an OME-TIFF with the right series to
/// tifffile and well-formed XML to `xml.etree`; carried by conversions and the dc-normalize
/// → dc-predict composition; foreign or dangling annotations ignored, a malformed record
/// refused with exit 65 and one line.
final class OMEProvenanceTests: ToolTestCase {
  override var tool: String { "dc-normalize" }

  let record = StackProvenance(normalization: "clahe", scale: 0.5, tool: "dc-normalize")

  /// The OME-XML of `tcyx` (2 time points, 2 channels of 3 × 4 uint16) with `extra` inside
  /// the image after its Pixels and `annotations` after it.
  func omeXML(extra: String, annotations: String) -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>\
    <OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">\
    <Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint16" \
    SizeX="4" SizeY="3" SizeZ="1" SizeC="2" SizeT="2">\
    <Channel ID="Channel:0:0" SamplesPerPixel="1"/><Channel ID="Channel:0:1" SamplesPerPixel="1"/>\
    <TiffData IFD="0" PlaneCount="4"/></Pixels>\(extra)</Image>\(annotations)</OME>
    """
  }

  func testRecordRoundTripsInProcess() throws {
    let stack = NDArray(shape: [2, 3, 4, 2], values: (0..<48).map { UInt16($0) })
    let writer = try TIFFStackWriter(
      path: path("p.ome.tif"), dtype: .uint16, frameShape: [3, 4, 2], frameCount: 2,
      options: .init(ome: true, provenance: record))
    for f in 0..<2 { try writer.append(stack.frame(f)) }
    try writer.finish()
    let input = try InputFile(path: path("p.ome.tif"))
    XCTAssertEqual(try input.provenance(), record)
    XCTAssertEqual(try input.readArray(), stack)
    let ome = try XCTUnwrap(try TIFFStackReader(path: path("p.ome.tif")).ome)
    XCTAssertEqual(ome.images[0].annotationRefs, ["Annotation:0"])
    XCTAssertEqual(ome.provenanceRecord, record.json)
    // Without a record the XML holds no annotation.
    let plain = try XCTUnwrap(
      OMEMetadata.singleImageXML(
        dtype: .uint16, height: 3, width: 4, channels: 2, slices: 1, timePoints: 2,
        pixelSize: nil))
    XCTAssertFalse(plain.contains("Annotation"))
    XCTAssertNil(try OMEMetadata(xml: plain, subject: "x").provenanceRecord)
    // Text that needs escaping comes back as it was.
    let odd = StackProvenance(tool: "a<b>&\"c\"")
    let xml = try XCTUnwrap(
      OMEMetadata.singleImageXML(
        dtype: .uint8, height: 1, width: 1, channels: 1, slices: 1, timePoints: 1,
        pixelSize: nil, provenance: odd))
    XCTAssertEqual(try StackProvenance.parse(description: xml, subject: "x"), odd)
  }

  /// tifffile reads the annotated file as an OME-TIFF with its series axes and values, and
  /// `xml.etree` finds the record where the schema puts it: a MapAnnotation in
  /// StructuredAnnotations after the Image, referred to by an AnnotationRef after Pixels.
  func testTifffileAndXMLParserReadTheAnnotatedFile() throws {
    let input = try write(
      ArrayBundle([("arr_0", NDArray(shape: [3, 5, 4, 2], values: (0..<120).map { Float($0) }))]),
      "in.tif")
    // Normalizing into an OME-TIFF records the method; a conversion carries it on.
    let run = try runTool(
      "dc-normalize", ["--method", "zscore", input, "-o", path("z.ome.tif"), "--quiet"])
    XCTAssertEqual(run.status, 0, run.stderr)
    let carried = try runTool(
      "dc-normalize",
      ["--method", "none", path("z.ome.tif"), "-o", path("c.ome.tif"), "--quiet"])
    XCTAssertEqual(carried.status, 0, carried.stderr)
    let script = """
      import sys, json, numpy as np, tifffile, xml.etree.ElementTree as ET
      d = sys.argv[1]
      ns = {'ome': 'http://www.openmicroscopy.org/Schemas/OME/2016-06'}
      for name in ['z', 'c']:
          with tifffile.TiffFile(f'{d}/{name}.ome.tif') as t:
              assert t.is_ome, name
              assert t.series[0].axes == 'TCYX' and t.series[0].shape == (3, 2, 5, 4), t.series[0].shape
              data = t.series[0].asarray()
              assert data.dtype == np.float32 and np.isfinite(data).all()
              root = ET.fromstring(t.ome_metadata)
          image = root.find('ome:Image', ns)
          children = [c.tag.split('}')[1] for c in image]
          assert children == ['Pixels', 'AnnotationRef'], children
          ref = image.find('ome:AnnotationRef', ns).get('ID')
          top = [c.tag.split('}')[1] for c in root]
          assert top == ['Image', 'StructuredAnnotations'], top
          ann = root.find('ome:StructuredAnnotations/ome:MapAnnotation', ns)
          assert ann.get('ID') == ref and ann.get('Namespace') == 'dc-tools/provenance'
          entries = ann.findall('ome:Value/ome:M', ns)
          assert [m.get('K') for m in entries] == ['dc_tools'], entries
          assert json.loads(entries[0].text) == {'normalization': 'zscore', 'tool': 'dc-normalize'}
      print('ok')
      """
    XCTAssertEqual(try runPython(script, [folder.path]), "ok\n")
    XCTAssertEqual(try InputFile(path: path("c.ome.tif")).provenance()?.normalization, "zscore")
  }

  /// Conversions carry the record to every format that holds one while the values are kept,
  /// drop it with --rescale, and a normalizing conversion (--frames) records its method.
  func testConversionsCarryTheRecord() throws {
    let stack = NDArray(shape: [4, 6, 5, 1], values: (0..<120).map { Float($0) / 7 })
    let writer = try TIFFStackWriter(
      path: path("n.ome.tif"), dtype: .float32, frameShape: [6, 5, 1], frameCount: 4,
      options: .init(ome: true, provenance: record))
    for f in 0..<4 { try writer.append(stack.frame(f)) }
    try writer.finish()
    for (output, extra) in [
      ("a.npz", []), ("b.tif", ["--frames", "1:3"]), ("c.ome.tif", ["--dtype", "float32"]),
      ("d.tif", ["--compress"]),
    ] {
      let run = try runTool(
        "dc-normalize",
        ["--method", "none", path("n.ome.tif"), "-o", path(output), "--quiet"] + extra)
      XCTAssertEqual(run.status, 0, run.stderr)
      XCTAssertEqual(try InputFile(path: path(output)).provenance(), record, output)
    }
    let rescaled = try runTool(
      "dc-normalize",
      ["--method", "none", path("n.ome.tif"), "--dtype", "uint8", "--rescale", "-o", path("r.tif")])
    XCTAssertEqual(rescaled.status, 0, rescaled.stderr)
    XCTAssertNil(try InputFile(path: path("r.tif")).provenance())
    let normalized = try runTool(
      "dc-normalize",
      ["--method", "percentile", path("n.ome.tif"), "--frames", "0:2", "-o", path("p.ome.tif")])
    XCTAssertEqual(normalized.status, 0, normalized.stderr)
    XCTAssertEqual(
      try InputFile(path: path("p.ome.tif")).provenance(),
      StackProvenance(normalization: "percentile", tool: "dc-normalize"))
  }

  /// Annotations of other software, references to missing annotations and a dc-tools
  /// annotation the image does not refer to are ignored: no record, pixels read. A record
  /// that is not valid JSON is refused by what consults it (exit 65, one line), while the
  /// pixels still read.
  func testForeignAndMalformedAnnotations() throws {
    let foreign = omeXML(
      extra: #"<AnnotationRef ID="Annotation:1"/><AnnotationRef ID="Annotation:9"/>"#,
      annotations: """
        <StructuredAnnotations>\
        <MapAnnotation ID="Annotation:1" Namespace="openmicroscopy.org/omero/client/mapAnnotation">\
        <Value><M K="dc_tools">not ours</M><M K="Purpose">Nuclear</M></Value></MapAnnotation>\
        <MapAnnotation ID="Annotation:2" Namespace="dc-tools/provenance">\
        <Value><M K="dc_tools">{"normalization": "clahe"}</M></Value></MapAnnotation>\
        <CommentAnnotation ID="Annotation:3"><Value>hello</Value></CommentAnnotation>\
        <MapAnnotation ID="Annotation:4" Namespace="dc-tools/provenance"/>\
        </StructuredAnnotations>
        """)
    let malformed = omeXML(
      extra: #"<AnnotationRef ID="Annotation:0"/>"#,
      annotations: """
        <StructuredAnnotations><MapAnnotation ID="Annotation:0" Namespace="dc-tools/provenance">\
        <Value><M K="dc_tools">{"normalization": </M></Value></MapAnnotation></StructuredAnnotations>
        """)
    let script = """
      import sys, numpy as np, tifffile
      d = sys.argv[1]
      a = np.arange(2 * 2 * 3 * 4, dtype='uint16').reshape(2, 2, 3, 4)
      for name, xml in [('foreign', sys.argv[2]), ('malformed', sys.argv[3])]:
          tifffile.imwrite(f'{d}/{name}.ome.tif', a.reshape(4, 3, 4), description=xml, metadata=None, photometric='minisblack')
      print('ok')
      """
    XCTAssertEqual(try runPython(script, [folder.path, foreign, malformed]), "ok\n")
    // Page t · 2 + c holds channel c of time point t.
    var values: [UInt16] = []
    for t in 0..<2 {
      for p in 0..<12 {
        for c in 0..<2 { values.append(UInt16(t * 24 + c * 12 + p)) }
      }
    }
    let expected = NDArray(shape: [2, 3, 4, 2], values: values)
    for name in ["foreign", "malformed"] {
      XCTAssertEqual(try InputFile(path: path("\(name).ome.tif")).readArray(), expected, name)
    }
    XCTAssertNil(try InputFile(path: path("foreign.ome.tif")).provenance())
    let copied = try runTool(
      "dc-normalize",
      ["--method", "none", path("foreign.ome.tif"), "-o", path("f.npz"), "--quiet"])
    XCTAssertEqual(copied.status, 0, copied.stderr)
    XCTAssertNil(try InputFile(path: path("f.npz")).provenance())
    XCTAssertThrowsError(try InputFile(path: path("malformed.ome.tif")).provenance()) {
      XCTAssertEqual(($0 as? DeepCellError)?.kind, .badData)
    }
    try assertFails(
      ["--method", "none", path("malformed.ome.tif"), "-o", path("m.tif")], status: 65,
      mentioning: "dc_tools metadata is not valid JSON")
  }
}
