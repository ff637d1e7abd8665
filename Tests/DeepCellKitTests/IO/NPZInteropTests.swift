import Foundation
import XCTest

@testable import DeepCellKit

/// numpy writes what we read and reads what we write (spec/io.md §2–3), value by value.
final class NPZInteropTests: XCTestCase {
  /// numpy's view of arrays: name → (shape, dtype name, values as float64 in C order).
  struct Expected: Decodable {
    var shape: [Int]
    var dtype: String
    var values: [Double]
  }

  static let numpyWriter = """
    import sys, json, numpy as np
    out = sys.argv[1]
    arrays = {}
    base = (np.arange(24).reshape(2, 3, 4) * 7) % 23
    for t in ['|u1', '|i1', '<u2', '<i2', '<u4', '<i4', '<u8', '<i8', '<f2', '<f4', '<f8',
              '>u2', '>i2', '>u4', '>i4', '>i8', '>f4', '>f8']:
        signed = t[1] in 'if'
        name = ('be_' if t[0] == '>' else '') + t[1:]
        arrays[name] = (base - (10 if signed else 0)).astype(t)
    arrays['fortran'] = np.asfortranarray(np.arange(60, dtype='<f4').reshape(3, 4, 5) / 7)
    arrays['fortran_be'] = np.asfortranarray(np.arange(24, dtype='>i2').reshape(2, 3, 4) - 5)
    arrays['bool'] = np.array([[True, False, True], [False, False, True]])
    arrays['scalar'] = np.array(3.5)
    arrays['empty'] = np.zeros((0, 4), 'u2')
    arrays['X'] = (np.arange(2 * 5 * 6 * 2, dtype='f4').reshape(2, 5, 6, 2) / 3)
    np.savez(out + '/stored.npz', **arrays)
    np.savez_compressed(out + '/deflated.npz', **arrays)
    meta = np.array([['well', 'fov'], ['A1', 3]], dtype=object)
    np.savez(out + '/dataset.npz', X=arrays['X'], y=arrays['i4'], meta=meta)
    np.save(out + '/be.npy', arrays['be_f8'])
    np.save(out + '/fortran.npy', arrays['fortran'])
    np.save(out + '/object.npy', meta)
    with open(out + '/v2.npy', 'wb') as f:
        np.lib.format.write_array(f, arrays['u2'], version=(2, 0))
    with open(out + '/v3.npy', 'wb') as f:
        np.lib.format.write_array(f, arrays['u2'], version=(3, 0))
    with open(out + '/expect.json', 'w') as f:
        json.dump({k: {'shape': list(a.shape), 'dtype': a.dtype.name,
                       'values': a.ravel(order='C').astype('f8').tolist()} for k, a in arrays.items()}, f)
    """

  func testReadsWhatNumpyWrites() throws {
    let folder = try TestPaths.temporaryFolder(self)
    try runPython(Self.numpyWriter, [folder.path])
    let expected = try JSONDecoder().decode(
      [String: Expected].self, from: Data(contentsOf: folder.appendingPathComponent("expect.json")))
    XCTAssertEqual(expected.count, 24)
    for file in ["stored.npz", "deflated.npz"] {
      let reader = try NPZReader(path: folder.appendingPathComponent(file).path)
      XCTAssertEqual(Set(reader.names), Set(expected.keys), file)
      for (name, e) in expected {
        let a = try reader.readArray(name)
        XCTAssertEqual(a.shape, e.shape, "\(file) \(name)")
        XCTAssertEqual(a.dtype.rawValue, e.dtype, "\(file) \(name)")
        XCTAssertEqual(a.doubleValues(), e.values, "\(file) \(name)")
      }
      // frame streaming of big-endian and Fortran members gives the same frames
      for name in ["be_f8", "fortran", "fortran_be", "X"] {
        let whole = try reader.readArray(name)
        let stack = try reader.stackReader(name)
        XCTAssertEqual(try stack.readAll().bytes, whole.bytes, "\(file) \(name)")
      }
    }
    let dataset = try InputFile(path: folder.appendingPathComponent("dataset.npz").path)
    XCTAssertEqual(dataset.format, .npz)
    XCTAssertEqual(dataset.arrayNames, ["X", "y"])
    XCTAssertEqual(dataset.warnings.count, 1)
    XCTAssertTrue(
      dataset.warnings[0].contains("'meta'") && dataset.warnings[0].contains("object"),
      dataset.warnings[0])
    XCTAssertEqual(try dataset.readBundle().names, ["X", "y"])

    for (file, name) in [
      ("be.npy", "be_f8"), ("fortran.npy", "fortran"), ("v2.npy", "u2"), ("v3.npy", "u2"),
    ] {
      let input = try InputFile(path: folder.appendingPathComponent(file).path)
      XCTAssertEqual(input.format, .npy)
      XCTAssertEqual(input.arrayNames, ["arr_0"])
      let a = try input.readArray()
      XCTAssertEqual(a.shape, expected[name]!.shape, file)
      XCTAssertEqual(a.doubleValues(), expected[name]!.values, file)
      XCTAssertEqual(try input.stackReader().readAll().doubleValues(), expected[name]!.values, file)
    }
    assertDeepCellError(.badData, "object array") {
      try InputFile(path: folder.appendingPathComponent("object.npy").path)
    }
  }

  static let numpyReader = """
    import sys, json, zipfile, numpy as np
    result = {}
    for path in sys.argv[1:]:
        if path.endswith('.npz'):
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None, path + ': CRC check failed'
        loaded = np.load(path)
        items = loaded.items() if hasattr(loaded, 'items') else [('arr_0', loaded)]
        result[path] = {k: {'shape': list(a.shape), 'dtype': a.dtype.name,
                            'values': a.ravel(order='C').astype('f8').tolist()} for k, a in items}
    print(json.dumps(result))
    """

  func testNumpyReadsWhatWeWrite() throws {
    _ = try interopPython()
    let folder = try TestPaths.temporaryFolder(self)
    var paths: [String] = []
    for compressed in [false, true] {
      for zip64 in [false, true] {
        let path = folder.appendingPathComponent("file-\(compressed)-\(zip64).npz").path
        let writer = try NPZWriter(path: path, compressed: compressed)
        if zip64 { writer.zip64Limit = 0 }
        try writer.write(NPZSamples.bundle)
        try writer.finish()
        let piped = try collectThroughPipe { fd in
          let w = try NPZWriter(fileDescriptor: fd, compressed: compressed)
          if zip64 { w.zip64Limit = 0 }
          try w.write(NPZSamples.bundle)
          try w.finish()
        }
        let pipedPath = folder.appendingPathComponent("pipe-\(compressed)-\(zip64).npz").path
        try piped.write(to: URL(fileURLWithPath: pipedPath))
        paths += [path, pipedPath]
      }
    }
    let npyPath = folder.appendingPathComponent("x.npy").path
    try writeBundle(ArrayBundle([("X", NPZSamples.bundle["X"]!)]), to: OutputFile(path: npyPath))
    paths.append(npyPath)
    let json = try runPython(Self.numpyReader, paths)
    let loaded = try JSONDecoder().decode([String: [String: Expected]].self, from: Data(json.utf8))
    for path in paths {
      let arrays = try XCTUnwrap(loaded[path], path)
      let bundle =
        path.hasSuffix(".npy")
        ? ArrayBundle([("arr_0", NPZSamples.bundle["X"]!)]) : NPZSamples.bundle
      XCTAssertEqual(Set(arrays.keys), Set(bundle.names), path)
      for (name, array) in bundle.entries {
        let e = try XCTUnwrap(arrays[name], "\(path) \(name)")
        XCTAssertEqual(e.shape, array.shape, "\(path) \(name)")
        XCTAssertEqual(e.dtype, array.dtype.rawValue, "\(path) \(name)")
        XCTAssertEqual(e.values, array.doubleValues(), "\(path) \(name)")
      }
    }
  }
}
