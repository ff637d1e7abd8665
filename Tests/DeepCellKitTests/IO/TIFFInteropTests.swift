import Foundation
import XCTest

@testable import DeepCellKit

/// Interop with the real client: tifffile writes what we read, and reads what we write
/// (issue 2, CI: "numpy and tifffile read what we write and write what we read, including
/// BigTIFF, ImageJ hyperstacks, tiled and compressed files").
final class TIFFInteropTests: XCTestCase {
  /// tifffile writes each case NAME.tif plus NAME.npy holding the (N, H, W, C) stack we
  /// must read from it.
  static let writerScript = #"""
    import sys, numpy as np, tifffile
    d = sys.argv[1]
    r = np.random.default_rng(7)
    def ints(dtype, shape):
        info = np.iinfo(dtype)
        return r.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    def save(name, expected, data, **kw):
        tifffile.imwrite(f'{d}/{name}.tif', data, **kw)
        np.save(f'{d}/{name}.npy', np.ascontiguousarray(expected))
    def stack(a):  # (N, H, W) -> (N, H, W, 1)
        return a[..., None]
    a = ints('uint16', (5, 16, 16)); save('classic', stack(a), a)
    a = r.random((2, 16, 16), dtype='float32'); save('bigtiff', stack(a), a, bigtiff=True)
    a = ints('int16', (5, 16, 16)); save('bigendian', stack(a), a, byteorder='>')
    a = ints('uint16', (3, 2, 16, 16)); save('imagej_tcyx', a.transpose(0, 2, 3, 1), a, imagej=True, metadata={'axes': 'TCYX'})
    a = ints('uint8', (2, 3, 2, 16, 16)); save('imagej_tzcyx', a.reshape(6, 2, 16, 16).transpose(0, 2, 3, 1), a, imagej=True, metadata={'axes': 'TZCYX'})
    a = r.random((2, 3, 16, 16), dtype='float32'); save('imagej_bigendian', a.transpose(0, 2, 3, 1), a, imagej=True, byteorder='>', metadata={'axes': 'TCYX'})
    a = ints('uint16', (4, 3, 16, 16)); save('imagej_contiguous', a.transpose(0, 2, 3, 1), a, imagej=True, truncate=True, metadata={'axes': 'TCYX'})
    # An ImageJ description over pages that are not back to back (each page its own
    # series: IFD, data, IFD, data): read page by page, never as one run of planes.
    a = ints('uint16', (3, 16, 16))
    with tifffile.TiffWriter(f'{d}/imagej_pages_apart.tif') as w:
        w.write(a[0], description='ImageJ=1.11a\nimages=3\nframes=3\nloop=false\n', metadata=None)
        for p in a[1:]:
            w.write(p, metadata=None)
    np.save(f'{d}/imagej_pages_apart.npy', stack(a))
    a = ints('uint16', (2, 40, 50)); save('tiled', stack(a), a, tile=(16, 16))
    a = ints('uint8', (5, 16, 16)); save('lzw', stack(a), a, compression='lzw')
    a = ints('int32', (2, 16, 16)); save('deflate_predictor', stack(a), a, compression='zlib', predictor=True)
    a = (r.random((2, 16, 16)) * 1000).astype('float32'); save('float_predictor', stack(a), a, compression='zlib', predictor=True)
    a = ints('uint8', (5, 16, 16)) // 64; save('packbits', stack(a), a, compression='packbits')
    a = ints('uint16', (5, 16, 16)); save('zstd', stack(a), a, compression='zstd')
    a = ints('uint8', (3, 16, 16)); save('planar_rgb', a.transpose(1, 2, 0)[None], a, photometric='rgb', planarconfig='separate')
    a = ints('uint16', (5, 70, 90)) // 7; save('tiled_deflate', stack(a), a, tile=(16, 32), compression='zlib', predictor=True)
    a = ints('uint16', (3, 40, 40)); save('planar_tiled_deflate', a.transpose(1, 2, 0)[None], a, photometric='rgb', planarconfig='separate', tile=(16, 16), compression='zlib')
    a = ints('uint8', (2, 16, 16, 3)); save('rgb_stack', a, a, photometric='rgb')
    a = ints('uint16', (3, 8, 8, 2)); save('shaped_channels', a, a)
    a = ints('uint16', (2, 37, 16)); save('strips', stack(a), a, rowsperstrip=5)
    for t in ('int8', 'uint32', 'int64', 'uint64'):
        a = ints(t, (2, 8, 8)); save(t, stack(a), a)
    a = r.random((2, 8, 8)); save('float64', stack(a), a)
    a = r.random((2, 8, 8)).astype('float16'); save('float16', stack(a), a)
    print('written')
    """#

  func testWeReadWhatTifffileWrites() throws {
    let dir = try TestPaths.temporaryFolder(self)
    XCTAssertEqual(
      try runPython(Self.writerScript, [dir.path]).trimmingCharacters(in: .whitespacesAndNewlines),
      "written")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
      $0.hasSuffix(".tif")
    }.sorted()
    XCTAssertEqual(names.count, 26)
    for name in names {
      let base = String(name.dropLast(4))
      let expected = try NPY.decode(
        [UInt8](try Data(contentsOf: dir.appendingPathComponent(base + ".npy"))), subject: base)
      do {
        let reader = try TIFFStackReader(path: dir.appendingPathComponent(name).path)
        XCTAssertEqual(reader.dtype, expected.dtype, base)
        XCTAssertEqual([reader.frameCount] + reader.frameShape, expected.shape, base)
        let got = try reader.readAll()
        XCTAssertTrue(got == expected, "\(base): values differ")
        XCTAssertEqual(reader.isBigTIFF, base == "bigtiff", base)
        XCTAssertEqual(reader.imageJ != nil, base.hasPrefix("imagej"), base)
        // ImageJ stacks tifffile writes are read as ImageJ reads them: planes back to back
        // from page 0's data, the other IFDs never loaded.
        XCTAssertEqual(
          reader.readsPlanesDirectly, base.hasPrefix("imagej") && base != "imagej_pages_apart",
          base)
        XCTAssertTrue(reader.warnings.isEmpty, "\(base): \(reader.warnings)")
        // Frame by frame, last first: streaming reads give the same frames, and compressed
        // tiles, decoded by several workers, the same for any thread count.
        let saved = Parallel.defaultThreads
        defer { Parallel.defaultThreads = saved }
        for threads in base.contains("tiled") ? [1, 2, 5] : [saved] {
          Parallel.defaultThreads = threads
          let reader = try TIFFStackReader(path: dir.appendingPathComponent(name).path)
          for i in stride(from: reader.frameCount - 1, through: 0, by: -1) {
            XCTAssertTrue(
              try reader.readFrame(i) == expected.frame(i), "\(base) frame \(i) \(threads)")
          }
        }
      } catch {
        XCTFail("\(base): \(error)")
      }
    }
  }

  /// tifffile reads back what we write: values, shape, axes and ImageJ metadata.
  static let readerScript = #"""
    import sys, json, numpy as np, tifffile
    d = sys.argv[1]
    for name in sorted(json.loads(sys.argv[2])):
        spec = json.loads(open(f'{d}/{name}.json').read())
        expected = np.load(f'{d}/{name}.npy')  # (N, H, W, C)
        with tifffile.TiffFile(f'{d}/{name}.tif') as tif:
            series = tif.series[0]
            data = series.asarray()
            assert tif.is_bigtiff == spec['bigtiff'], (name, 'bigtiff')
            assert tif.pages[0].compression == (8 if spec['deflate'] else 1), (name, tif.pages[0].compression)
            if spec['imagej']:
                assert tif.is_imagej, name
                meta = tif.imagej_metadata
                n, h, w, c = expected.shape
                assert meta['images'] == n * c, (name, meta)
                assert meta.get('channels', 1) == c and meta.get('frames', 1) == n, (name, meta)
                assert meta.get('hyperstack') is True and meta.get('mode') == 'grayscale', (name, meta)
                axes = ('T' if n > 1 else '') + ('C' if c > 1 else '') + 'YX'
                assert series.axes == axes, (name, series.axes, axes)
                want = expected.transpose(0, 3, 1, 2).reshape(data.shape)
            else:
                assert not tif.is_imagej, name
                assert data.shape == tuple(spec['shape']), (name, data.shape)
                want = expected.reshape(data.shape)
            assert data.dtype == expected.dtype, (name, data.dtype)
            assert np.array_equal(data, want, equal_nan=True), (name, 'values')
            assert np.array_equal(tifffile.imread(f'{d}/{name}.tif'), data, equal_nan=True), name
        print('ok', name)
    """#

  func testTifffileReadsWhatWeWrite() throws {
    let dir = try TestPaths.temporaryFolder(self)
    struct Case {
      var name: String
      var dtype: DType
      var shape: [Int]
      var options: TIFFWriteOptions = .init()
    }
    let cases = [
      Case(name: "imagej_u16_tc", dtype: .uint16, shape: [4, 12, 10, 2]),
      Case(name: "imagej_u8_c3", dtype: .uint8, shape: [1, 12, 10, 3]),
      Case(name: "imagej_f32_t", dtype: .float32, shape: [3, 12, 10, 1]),
      Case(name: "imagej_u16_single", dtype: .uint16, shape: [1, 12, 10, 1]),
      Case(
        name: "imagej_deflate", dtype: .uint16, shape: [3, 300, 200, 2],
        options: .init(compression: .deflate)),
      Case(
        name: "imagej_bigtiff", dtype: .float32, shape: [2, 12, 10, 2],
        options: .init(bigTIFF: .always)),
      Case(name: "shaped_i32_c2", dtype: .int32, shape: [3, 12, 10, 2]),
      Case(
        name: "shaped_u8_rgb", dtype: .uint8, shape: [2, 12, 10, 3], options: .init(imageJ: false)),
      Case(
        name: "shaped_u16", dtype: .uint16, shape: [3, 12, 10, 1], options: .init(imageJ: false)),
      Case(
        name: "shaped_f64_deflate", dtype: .float64, shape: [2, 12, 10, 1],
        options: .init(compression: .deflate)),
      Case(
        name: "shaped_i16_bigtiff", dtype: .int16, shape: [2, 12, 10, 1],
        options: .init(compression: .deflate, bigTIFF: .always)),
      Case(name: "shaped_u32", dtype: .uint32, shape: [2, 12, 10, 1]),
      Case(name: "shaped_i8_c4", dtype: .int8, shape: [2, 12, 10, 4]),
    ]
    for c in cases {
      let stack = makeTestStack(
        c.dtype, frames: c.shape[0], height: c.shape[1], width: c.shape[2], channels: c.shape[3])
      try writeTestStack(
        stack, to: dir.appendingPathComponent("\(c.name).tif").path, options: c.options)
      try Data(NPY.encode(stack)).write(to: dir.appendingPathComponent("\(c.name).npy"))
      let imageJ = c.options.imageJ && TIFFStackWriter.isImageJType(c.dtype)
      let shape = [c.shape[0], c.shape[1], c.shape[2]] + (c.shape[3] > 1 ? [c.shape[3]] : [])
      let spec: [String: Any] = [
        "imagej": imageJ, "bigtiff": c.options.bigTIFF == .always,
        "deflate": c.options.compression == .deflate, "shape": shape,
      ]
      try JSONSerialization.data(withJSONObject: spec).write(
        to: dir.appendingPathComponent("\(c.name).json"))
    }
    let names = String(
      decoding: try JSONSerialization.data(withJSONObject: cases.map(\.name)), as: UTF8.self)
    let output = try runPython(Self.readerScript, [dir.path, names])
    for c in cases {
      XCTAssertTrue(
        output.contains("ok \(c.name)\n"), "tifffile did not accept \(c.name): \(output)")
    }
  }
}
