import Foundation
import XCTest

@testable import DeepCellKit

/// OME-TIFF output (issue 20): tifffile sees an OME-TIFF (`is_ome`) with the right series
/// axes, shape, values and physical pixel size; we read it back the same; pixel sizes in
/// ImageJ and plain TIFF outputs; the types OME lacks are refused.
final class OMETIFFWriteTests: ToolTestCase {
  override var tool: String { "dc-normalize" }

  /// For each NAME in argv[2]: NAME.tif is what we wrote, NAME.npy the (N, H, W, C) stack,
  /// NAME.json the axes tifffile must report, the Z slices and the pixel size (or null).
  static let readerScript = #"""
    import sys, re, json, numpy as np, tifffile
    d = sys.argv[1]
    for name in json.loads(sys.argv[2]):
        spec = json.load(open(f'{d}/{name}.json'))
        stack = np.load(f'{d}/{name}.npy')
        n, h, w, c = stack.shape
        z = spec['slices']
        with tifffile.TiffFile(f'{d}/{name}.tif') as tif:
            assert tif.is_ome == spec['ome'], (name, 'is_ome')
            series = tif.series[0]
            assert series.axes == spec['axes'], (name, series.axes)
            data = series.asarray()
            want = stack.reshape(n // z, z, h, w, c).transpose(0, 1, 4, 2, 3).reshape(data.shape)
            assert data.dtype == stack.dtype, (name, data.dtype)
            assert np.array_equal(data, want), (name, 'values')
            px = spec['pixel']
            if spec['ome']:
                pixels = tif.ome_metadata.split('<Pixels ')[1].split('>')[0]
                sizes = re.findall(r'PhysicalSize([XY])="([^"]*)" PhysicalSize[XY]Unit="µm"', pixels)
                assert [(k, float(v)) for k, v in sizes] == ([('X', px), ('Y', px)] if px else []), (name, pixels)
                assert f'DimensionOrder="XYCZT"' in pixels and f'SizeZ="{z}"' in pixels, (name, pixels)
            elif px:
                page = tif.pages[0]
                x, y = page.get_resolution()
                if tif.is_imagej:
                    assert tif.imagej_metadata['unit'] == 'micron', (name, tif.imagej_metadata)
                    assert abs(1 / x - px) < 1e-6 and abs(1 / y - px) < 1e-6, (name, x, y)
                else:
                    assert page.resolutionunit == 3, (name, page.resolutionunit)
                    assert abs(1e4 / x - px) < 1e-6, (name, x)
        print('ok', name)
    """#

  struct Case {
    var name: String
    var dtype: DType
    var shape: [Int]  // (N, H, W, C)
    var ome: Bool
    var slices = 1
    var pixel: Double?
    var axes: String
    var deflate = false
  }

  func testTifffileReadsWhatWeWrite() throws {
    let cases = [
      Case(
        name: "tcyx", dtype: .uint16, shape: [3, 12, 10, 2], ome: true, pixel: 0.5, axes: "TCYX"),
      Case(name: "yx", dtype: .float32, shape: [1, 9, 7, 1], ome: true, axes: "YX"),
      Case(
        name: "tzcyx", dtype: .int32, shape: [4, 6, 5, 3], ome: true, slices: 2, pixel: 0.125,
        axes: "TZCYX"),
      Case(
        name: "tyx_deflate", dtype: .uint8, shape: [5, 8, 8, 1], ome: true, axes: "TYX",
        deflate: true),
      Case(
        name: "float64", dtype: .float64, shape: [2, 4, 4, 1], ome: true, pixel: 2, axes: "TYX"),
      Case(
        name: "imagej", dtype: .uint16, shape: [2, 8, 8, 2], ome: false, pixel: 0.325, axes: "TCYX"),
      Case(
        name: "shaped", dtype: .int16, shape: [2, 8, 8, 1], ome: false, pixel: 0.65, axes: "QYX"),
    ]
    var generator = SystemRandomNumberGenerator()
    for c in cases {
      let count = c.shape.reduce(1, *)
      let bytes = (0..<(count * c.dtype.size)).map { _ in
        UInt8.random(in: 0...255, using: &generator)
      }
      var stack = NDArray(shape: c.shape, dtype: c.dtype, bytes: bytes)
      if c.dtype.isFloat {  // random bit patterns may be NaN; use ordinary values
        stack = NDArray(shape: c.shape, values: (0..<count).map { Double($0) * 0.5 - 3 }).converted(
          to: c.dtype)
      }
      let options = TIFFWriteOptions(
        compression: c.deflate ? .deflate : .none, ome: c.ome, slices: c.slices,
        pixelSize: c.pixel.map { PixelSize($0) })
      let file = path("\(c.name).tif")
      let writer = try TIFFStackWriter(
        path: file, dtype: c.dtype, frameShape: Array(c.shape.dropFirst()), frameCount: c.shape[0],
        options: options)
      for i in 0..<c.shape[0] { try writer.append(stack.frame(i)) }
      try writer.finish()
      XCTAssertEqual(writer.writesOME, c.ome)
      try Data(NPY.encode(stack)).write(to: URL(fileURLWithPath: path("\(c.name).npy")))
      let spec: [String: Any] = [
        "ome": c.ome, "slices": c.slices, "pixel": c.pixel as Any? ?? NSNull(), "axes": c.axes,
      ]
      try JSONSerialization.data(withJSONObject: spec).write(
        to: URL(fileURLWithPath: path("\(c.name).json")))
      // We read back the same stack and pixel size.
      let reader = try TIFFStackReader(path: file)
      XCTAssertEqual(reader.ome != nil, c.ome, c.name)
      XCTAssertTrue(try reader.readAll() == stack, c.name)
      XCTAssertEqual(reader.pixelSizeMicrons, c.pixel, c.name)
      XCTAssertEqual(reader.ome?.images[0].sizeZ ?? 1, c.slices, c.name)
      XCTAssertEqual(reader.warnings, [], c.name)
    }
    let names = cases.map(\.name)
    let json = String(decoding: try JSONSerialization.data(withJSONObject: names), as: UTF8.self)
    let out = try runPython(Self.readerScript, [folder.path, json])
    XCTAssertEqual(out.split(separator: "\n").count, cases.count, out)
  }

  func testTypesOMELacksAreRefused() throws {
    for dtype in [DType.int64, .uint64, .float16] {
      XCTAssertThrowsError(
        try TIFFStackWriter(
          path: path("x.ome.tif"), dtype: dtype, frameShape: [4, 4, 1], frameCount: 1,
          options: TIFFWriteOptions(ome: true))
      ) { error in
        XCTAssertEqual((error as? DeepCellError)?.kind, .usage)
        XCTAssertTrue("\(error)".contains("OME-TIFF has no \(dtype) pixel type"), "\(error)")
      }
    }
    XCTAssertEqual(try folderContents(), [])
  }

  func testOutputNameOrFormatChoosesOMETIFF() throws {
    XCTAssertEqual(FileFormat.fromExtension("a/b.ome.tif"), .omeTIFF)
    XCTAssertEqual(FileFormat.fromExtension("B.OME.TIFF"), .omeTIFF)
    XCTAssertEqual(FileFormat.fromExtension("b.tif"), .tiff)
    let input = try write(
      ArrayBundle([("arr_0", NDArray(shape: [2, 16, 16, 1], values: (0..<512).map { Float($0) }))]),
      "raw.npy")
    for arguments in [["-o", path("n.ome.tif")], ["-o", path("n.tif"), "--format", "ome-tiff"]] {
      let run = try runTool("dc-normalize", [input] + arguments)
      XCTAssertEqual(run.status, 0, run.stderr)
      let reader = try TIFFStackReader(path: arguments[1])
      XCTAssertNotNil(reader.ome, "\(arguments)")
      XCTAssertEqual([reader.frameCount] + reader.frameShape, [2, 16, 16, 1])
    }
  }
}
