import Foundation
import XCTest

@testable import DeepCellKit

/// OME-TIFF input (issue 20): tifffile's OME-TIFFs (TCYX, TZCYX, CYX, RGB, several series,
/// with and without pixel sizes) and hand-written OME-XML for other dimension orders and
/// the refusals; pixel sizes from OME-XML and from TIFF resolution tags.
final class OMETIFFReadTests: ToolTestCase {
  override var tool: String { "dc-normalize" }

  /// Writes NAME.tif and NAME.npy (the (N, H, W, C) stack we must read) for each case, and
  /// NAME.px holding the pixel size in µm ("none" when the file states none).
  static let writerScript = #"""
    import sys, numpy as np, tifffile
    d = sys.argv[1]
    r = np.random.default_rng(3)
    def ints(dtype, shape):
        info = np.iinfo(dtype)
        return r.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    def save(name, expected, px, write):
        write(f'{d}/{name}.tif')
        np.save(f'{d}/{name}.npy', np.ascontiguousarray(expected))
        open(f'{d}/{name}.px', 'w').write('none' if px is None else repr(px))
    # tifffile's OME writer: TCYX with a pixel size, TZCYX in nm, CYX without one.
    a = ints('uint16', (3, 2, 16, 12))
    save('tcyx', a.transpose(0, 2, 3, 1), 0.5, lambda p: tifffile.imwrite(p, a, ome=True,
         metadata={'axes': 'TCYX', 'PhysicalSizeX': 0.5, 'PhysicalSizeY': 0.5}))
    a = ints('uint8', (2, 3, 2, 8, 10))
    save('tzcyx', a.reshape(6, 2, 8, 10).transpose(0, 2, 3, 1), 0.25, lambda p: tifffile.imwrite(
         p, a, ome=True, metadata={'axes': 'TZCYX', 'PhysicalSizeX': 250, 'PhysicalSizeXUnit': 'nm',
                                   'PhysicalSizeY': 250, 'PhysicalSizeYUnit': 'nm'}))
    a = r.random((3, 8, 8), dtype='float32')
    save('cyx', a.transpose(1, 2, 0)[None], None, lambda p: tifffile.imwrite(
         p, a, ome=True, photometric='minisblack', metadata={'axes': 'CYX'}))
    a = ints('uint8', (2, 8, 8, 3))
    save('rgb', a, 1.25, lambda p: tifffile.imwrite(p, a, ome=True, photometric='rgb',
         metadata={'axes': 'TYXS', 'PhysicalSizeX': 1.25}))
    a = ints('int16', (4, 8, 8))
    save('zyx', a[..., None], 0.1, lambda p: tifffile.imwrite(p, a, ome=True,
         metadata={'axes': 'ZYX', 'PhysicalSizeX': 0.1, 'PhysicalSizeY': 0.1}))
    # Two series of different types: the first is read.
    a = r.random((2, 8, 8), dtype='float32')
    def two(p):
        with tifffile.TiffWriter(p, ome=True) as w:
            w.write(a, metadata={'axes': 'ZYX'})
            w.write(ints('uint8', (3, 4, 4)), photometric='minisblack', metadata={'axes': 'CYX'})
    save('series', a[..., None], None, two)
    # Hand-written OME-XML: T fastest, then C (XYTCZ), pages in that order.
    a = ints('uint16', (2, 3, 8, 8))  # (C, T, Y, X) as stored: page = c * 3 + t
    xml = ('<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">'
           '<Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYTCZ" Type="uint16" SizeX="8" SizeY="8" '
           'SizeZ="1" SizeC="2" SizeT="3" PhysicalSizeX="2" PhysicalSizeXUnit="mm" PhysicalSizeY="2" PhysicalSizeYUnit="mm">'
           '<Channel ID="Channel:0:0"/><Channel ID="Channel:0:1"/>'
           '<TiffData IFD="0" PlaneCount="6"/></Pixels></Image></OME>')
    save('xytcz', a.transpose(1, 2, 3, 0), 2000.0, lambda p: tifffile.imwrite(
         p, a.reshape(6, 8, 8), description=xml, metadata=None))
    # Pixel sizes from resolution tags: ImageJ's unit, and a centimetre ResolutionUnit.
    a = ints('uint16', (2, 8, 8))
    save('imagej_um', a[..., None], 0.325, lambda p: tifffile.imwrite(
         p, a, imagej=True, resolution=(1 / 0.325, 1 / 0.325), metadata={'unit': 'um', 'axes': 'TYX'}))
    save('resolution_cm', a[..., None], 0.5, lambda p: tifffile.imwrite(
         p, a, resolution=(20000, 20000), resolutionunit='CENTIMETER'))
    save('resolution_inch', a[..., None], None, lambda p: tifffile.imwrite(
         p, a, resolution=(72, 72), resolutionunit='INCH'))
    print('written')
    """#

  func testWeReadTifffileOMETIFFs() throws {
    let dir = try TestPaths.temporaryFolder(self)
    XCTAssertEqual(
      try runPython(Self.writerScript, [dir.path]).trimmingCharacters(in: .whitespacesAndNewlines),
      "written")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
      $0.hasSuffix(".tif")
    }.sorted()
    XCTAssertEqual(names.count, 10)
    for name in names {
      let base = String(name.dropLast(4))
      let url = dir.appendingPathComponent(base)
      let expected = try NPY.decode(
        [UInt8](try Data(contentsOf: url.appendingPathExtension("npy"))), subject: base)
      let px = try String(contentsOf: url.appendingPathExtension("px"), encoding: .utf8)
      let reader = try TIFFStackReader(path: url.appendingPathExtension("tif").path)
      XCTAssertEqual(reader.dtype, expected.dtype, base)
      XCTAssertEqual([reader.frameCount] + reader.frameShape, expected.shape, base)
      XCTAssertTrue(try reader.readAll() == expected, "\(base): values differ")
      XCTAssertEqual(reader.ome != nil, !base.hasPrefix("imagej") && !base.hasPrefix("resolution"))
      if px == "none" {
        XCTAssertNil(reader.pixelSizeMicrons, base)
      } else {
        XCTAssertEqual(reader.pixelSizeMicrons ?? .nan, Double(px)!, accuracy: 1e-9, base)
        XCTAssertEqual(reader.pixelSize?.y ?? .nan, Double(px)!, accuracy: 1e-9, base)
      }
      if base == "series" {
        XCTAssertEqual(reader.warnings.count, 1, base)
        XCTAssertTrue(reader.warnings.first?.contains("2 images") ?? false, "\(reader.warnings)")
      } else {
        XCTAssertEqual(reader.warnings, [], base)
      }
      // Frame by frame, last first: the page map serves any order.
      for i in stride(from: reader.frameCount - 1, through: 0, by: -1) {
        XCTAssertTrue(try reader.readFrame(i) == expected.frame(i), "\(base) frame \(i)")
      }
    }
    // The tools see the same stack: --channel 1 of the TCYX file is its second channel.
    let run = try runTool(
      "dc-normalize",
      [dir.appendingPathComponent("tcyx.tif").path, "--channel", "1", "-o", path("c1.npy")])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertEqual(try read(path("c1.npy"))["arr_0"]?.shape, [3, 16, 12, 1])
  }

  /// Writes NAME.tif with the OME-XML description given, over 6 pages of 4×4 uint8.
  func writeOME(_ name: String, description: String) throws -> String {
    let script = #"""
      import sys, numpy as np, tifffile
      tifffile.imwrite(sys.argv[1], np.zeros((6, 4, 4), 'uint8'), photometric='minisblack', description=sys.argv[2], metadata=None)
      """#
    try runPython(script, [path(name), description])
    return path(name)
  }

  static func omeXML(pixels: String, tiffData: String = "<TiffData/>", root: String = "")
    -> String
  {
    """
    <?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"\
     \(root)><Image ID="Image:0"><Pixels ID="Pixels:0" \(pixels)>\(tiffData)</Pixels></Image></OME>
    """
  }

  func testRefusals() throws {
    let good = "DimensionOrder=\"XYCZT\" Type=\"uint8\" SizeX=\"4\" SizeY=\"4\" SizeZ=\"1\""
    let cases: [(String, String)] = [
      ("<?xml version=\"1.0\"?><OME><Image ID=\"Image:0\"><Pixels SizeX=", "malformed OME-XML"),
      (Self.omeXML(pixels: good + " SizeC=\"2\""), "malformed OME-XML: Image 0 has no SizeT"),
      (
        Self.omeXML(
          pixels:
            "DimensionOrder=\"XYZ\" SizeX=\"4\" SizeY=\"4\" SizeZ=\"1\" SizeC=\"1\" SizeT=\"6\""),
        "DimensionOrder"
      ),
      (
        Self.omeXML(
          pixels: good + " SizeC=\"2\" SizeT=\"3\"",
          tiffData: "<TiffData IFD=\"0\" PlaneCount=\"3\"/>"),
        "maps no IFD to plane Z=0, C=1, T=1"
      ),
      (
        Self.omeXML(
          pixels:
            "DimensionOrder=\"XYCZT\" SizeX=\"5\" SizeY=\"4\" SizeZ=\"1\" SizeC=\"1\" SizeT=\"6\""),
        "SizeX×SizeY"
      ),
      (
        Self.omeXML(
          pixels: good + " SizeC=\"1\" SizeT=\"6\"",
          tiffData:
            "<TiffData IFD=\"0\" PlaneCount=\"6\"><UUID FileName=\"other.ome.tif\">urn:uuid:2</UUID></TiffData>",
          root: " UUID=\"urn:uuid:1\""),
        "multi-file OME-TIFF dataset (planes stored in other.ome.tif)"
      ),
      (
        Self.omeXML(
          pixels: good + " SizeC=\"1\" SizeT=\"6\"",
          tiffData: "<TiffData IFD=\"3\" PlaneCount=\"6\"/>"),
        "in IFD 6, which holds no full image"
      ),
      (
        Self.omeXML(
          pixels: good + " SizeC=\"1\" SizeT=\"6\"", tiffData: "<TiffData PlaneCount=\"7\"/>"),
        "maps 7 planes"
      ),
      (
        Self.omeXML(pixels: good + " SizeC=\"4\" SizeT=\"1000000000\""),
        "need more planes than the 6 pages"
      ),
    ]
    for (k, (xml, message)) in cases.enumerated() {
      let input = try writeOME("bad\(k).tif", description: xml)
      XCTAssertThrowsError(try TIFFStackReader(path: input), "case \(k)") { error in
        XCTAssertEqual((error as? DeepCellError)?.kind, .badData, "case \(k)")
        XCTAssertTrue("\(error)".contains(message), "case \(k): \(error)")
      }
      try assertFails([input, "-o", path("out.tif")], status: 65, mentioning: message)
    }
    // A TiffData naming this very file (same UUID) is fine.
    let own = try writeOME(
      "own.tif",
      description: Self.omeXML(
        pixels: good + " SizeC=\"2\" SizeT=\"3\"",
        tiffData: "<TiffData><UUID FileName=\"x.ome.tif\">urn:uuid:1</UUID></TiffData>",
        root: " UUID=\"urn:uuid:1\""))
    let reader = try TIFFStackReader(path: own)
    XCTAssertEqual([reader.frameCount] + reader.frameShape, [3, 4, 4, 2])
  }

  func testDimensionOrderPlaneIndex() throws {
    let xml = Self.omeXML(
      pixels:
        "DimensionOrder=\"XYZTC\" Type=\"uint8\" SizeX=\"4\" SizeY=\"4\" SizeZ=\"2\" SizeC=\"3\" SizeT=\"5\""
    )
    let image = try OMEMetadata(xml: xml, subject: "x").images[0]
    // Z fastest, then T, then C.
    XCTAssertEqual(image.planeIndex(z: 1, c: 0, t: 0, channels: 3), 1)
    XCTAssertEqual(image.planeIndex(z: 0, c: 0, t: 1, channels: 3), 2)
    XCTAssertEqual(image.planeIndex(z: 1, c: 2, t: 4, channels: 3), 1 + 2 * 4 + 10 * 2)
    XCTAssertTrue(OMEMetadata.isOMEXML("  <?xml version=\"1.0\"?>\n<!-- c --><ome:OME>"))
    XCTAssertFalse(OMEMetadata.isOMEXML("<?xml version=\"1.0\"?><Other/>"))
    XCTAssertFalse(OMEMetadata.isOMEXML("ImageJ=1.11a\nimages=3\n"))
  }
}
