import Foundation
import XCTest

@testable import DeepCellKit

/// dc-normalize as a converter (issue 20): bit-exact round trips for every dtype, numpy and
/// tifffile reading the outputs with their shapes and pixel size, selection, split and
/// join, and every refusal (one line, its exit code, nothing written).
final class ConvertToolTests: ToolTestCase {
  override var tool: String { "dc-normalize" }

  /// Random bytes for a stack of `shape` `dtype` (floats: ordinary values, no NaN).
  func randomStack(_ dtype: DType, _ shape: [Int], seed: UInt64 = 1) -> NDArray {
    var state = seed
    let count = shape.reduce(1, *)
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 11
    }
    if dtype.isFloat {
      return NDArray(
        shape: shape, values: (0..<count).map { _ in Double(next() % 100_000) / 7 - 5000 }
      )
      .converted(to: dtype)
    }
    return NDArray(
      shape: shape, dtype: dtype,
      bytes: (0..<(count * dtype.size)).map { _ in UInt8(truncatingIfNeeded: next()) })
  }

  func convert(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
    let run = try runTool("dc-normalize", ["--method", "none"] + arguments)
    XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
    XCTAssertEqual(run.stderr, "", file: file, line: line)
  }

  static let types: [DType] = [
    .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64, .float16, .float32, .float64,
  ]

  /// TIFF → NPZ → TIFF and TIFF → NPY → OME-TIFF → TIFF keep every byte, for every dtype;
  /// numpy reads the NPZ with the stack's shape and dtype.
  func testRoundTripsAreBitExact() throws {
    var shapes: [String: String] = [:]
    for (k, dtype) in Self.types.enumerated() {
      let stack = randomStack(dtype, [3, 9, 7, k % 2 == 0 ? 1 : 2], seed: UInt64(k + 1))
      let tif = try write(ArrayBundle([("arr_0", stack)]), "\(dtype).tif")
      try convert([tif, "-o", path("\(dtype).npz")])
      try convert([path("\(dtype).npz"), "-o", path("\(dtype)-back.tif")])
      XCTAssertEqual(try read(path("\(dtype)-back.tif"))["arr_0"], stack, "\(dtype) via NPZ")
      try convert([tif, "-o", path("\(dtype).npy")])
      XCTAssertEqual(try read(path("\(dtype).npy"))["arr_0"], stack, "\(dtype) NPY")
      if OMEMetadata.pixelType(dtype) != nil {
        try convert([path("\(dtype).npy"), "-o", path("\(dtype).ome.tif")])
        try convert([path("\(dtype).ome.tif"), "-o", path("\(dtype)-ome-back.tif")])
        XCTAssertEqual(try read(path("\(dtype)-ome-back.tif"))["arr_0"], stack, "\(dtype) OME")
      }
      shapes["\(dtype)"] = "\(stack.shape)"
    }
    let script = """
      import sys, json, numpy as np
      for t, shape in sorted(json.loads(sys.argv[2]).items()):
          x = np.load(f'{sys.argv[1]}/{t}.npz')['X']
          assert str(list(x.shape)) == shape and x.dtype == np.dtype(t), (t, x.shape, x.dtype)
      print('ok')
      """
    let json = String(decoding: try JSONSerialization.data(withJSONObject: shapes), as: UTF8.self)
    XCTAssertEqual(try runPython(script, [folder.path, json]), "ok\n")
  }

  /// A stack split into frames and joined again is the same stack: PNG frames for uint8 and
  /// uint16 (16-bit PNGs), TIFF and NPY frames for every dtype; NPZ frames hold (1, H, W, C).
  func testSplitAndJoinRoundTrip() throws {
    for (k, dtype) in Self.types.enumerated() {
      let stack = randomStack(dtype, [12, 5, 6, 1], seed: UInt64(40 + k))
      let input = try write(ArrayBundle([("X", stack)]), "\(dtype).npz")
      var patterns = ["t{:03d}.tif", "f{}.npy"]
      if dtype == .uint8 || dtype == .uint16 { patterns.append("t{:03d}.png") }
      if OMEMetadata.pixelType(dtype) != nil { patterns.append("t{:02d}.ome.tiff") }
      for pattern in patterns {
        let dir = path("\(dtype)-\(pattern.suffix(3))")
        try convert([input, "--split", dir, "--pattern", pattern])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(files.count, 12, "\(dtype) \(pattern)")
        XCTAssertTrue(files.contains(try SplitPattern(pattern).name(11)), "\(files)")
        try convert([dir, "-o", path("joined.npz")])
        XCTAssertEqual(try read(path("joined.npz"))["X"], stack, "\(dtype) \(pattern)")
      }
    }
    // The PNGs are 16-bit for uint16, 8-bit for uint8, as libpng sees them.
    XCTAssertEqual(try PNGCodec.read(path: path("uint16-png") + "/t000.png").dtype, .uint16)
    XCTAssertEqual(try PNGCodec.read(path: path("uint8-png") + "/t000.png").dtype, .uint8)
  }

  /// Folders and globs in natural order (t2 before t10), files of several frames each.
  func testJoinReadsNaturalOrder() throws {
    let dir = path("ctc")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    var frames: [NDArray] = []
    for t in [0, 1, 2, 10, 11] {
      let frame = randomStack(.uint16, [1, 4, 4, 1], seed: UInt64(t + 100))
      frames.append(frame.frame(0))
      try writeBundle(
        ArrayBundle([("a", frame)]), to: OutputFile(path: "\(dir)/t\(t).tif", arrayCount: 1))
    }
    try "not an image".write(toFile: "\(dir)/man_track.txt", atomically: true, encoding: .utf8)
    try convert([dir, "-o", path("all.tif")])
    XCTAssertEqual(try read(path("all.tif"))["arr_0"], NDArray.stacking(frames))
    try convert(["\(dir)/t1*.tif", "-o", path("ones.npy")])
    XCTAssertEqual(
      try read(path("ones.npy"))["arr_0"], NDArray.stacking([frames[1], frames[3], frames[4]]))
    // A file of two frames contributes both, in place.
    let two = NDArray.stacking([frames[0], frames[1]])!.reshaped([2, 4, 4, 1])
    try writeBundle(ArrayBundle([("a", two)]), to: OutputFile(path: "\(dir)/t5.tif", arrayCount: 1))
    try convert([dir, "-o", path("more.npy")])
    XCTAssertEqual(
      try read(path("more.npy"))["arr_0"],
      NDArray.stacking([
        frames[0], frames[1], frames[2], frames[0], frames[1], frames[3], frames[4],
      ]))
  }

  /// --frames, --channel, --dtype and --rescale choose and map what numpy would.
  func testSelectionAndRescale() throws {
    let stack = randomStack(.uint16, [10, 6, 5, 3], seed: 9)
    let input = try write(ArrayBundle([("arr_0", stack)]), "in.tif")
    try convert([input, "--frames", "8:1:-3", "--channel", "2,0", "-o", path("sel.npy")])
    let picked = try read(path("sel.npy"))["arr_0"]!
    XCTAssertEqual(picked.shape, [3, 6, 5, 2])
    let values = stack.values(UInt16.self)
    let got = picked.values(UInt16.self)
    for (k, f) in [8, 5, 2].enumerated() {
      for p in 0..<30 {
        XCTAssertEqual(got[(k * 30 + p) * 2], values[(f * 30 + p) * 3 + 2])
        XCTAssertEqual(got[(k * 30 + p) * 2 + 1], values[(f * 30 + p) * 3])
      }
    }
    // A negative start needs no '=' (the value is taken whatever it looks like).
    try convert([input, "--frames", "-2:", "-o", path("last.npy")])
    XCTAssertEqual(
      try read(path("last.npy"))["arr_0"], NDArray.stacking([stack.frame(8), stack.frame(9)]))
    try convert([input, "--dtype", "uint8", "--rescale", "-o", path("u8.npy")])
    let script = """
      import sys, numpy as np, tifffile
      a = tifffile.imread(sys.argv[1]).astype('float64')  # (T, C, Y, X)
      b = np.load(sys.argv[2])  # (T, Y, X, C)
      lo, hi = a.min(), a.max()
      want = np.round((a - lo) * 255 / (hi - lo)).astype('uint8').transpose(0, 2, 3, 1)
      assert b.dtype == np.uint8 and np.array_equal(b, want), 'minmax'
      lo, hi = np.percentile(a, [2, 98])
      c = np.load(sys.argv[3])
      want = np.clip((a - lo) / (hi - lo), 0, 1).astype('float32').transpose(0, 2, 3, 1)
      assert c.dtype == np.float32 and np.allclose(c, want, atol=1e-6), 'percentiles'
      print('ok')
      """
    try convert([input, "--dtype", "float32", "--percentiles", "2,98", "-o", path("f.npy")])
    XCTAssertEqual(
      try runPython(script, [input, path("u8.npy"), path("f.npy")]), "ok\n")
  }

  /// The pixel size travels: OME-TIFF → NPZ (pixel_size_um) → ImageJ TIFF → OME-TIFF, and an
  /// OME-TIFF's Z slices to an OME-TIFF output; numpy and tifffile read them.
  func testMetadataTravels() throws {
    let script = """
      import sys, numpy as np, tifffile
      d = sys.argv[1]
      if sys.argv[2] == 'write':
          a = np.arange(2 * 3 * 2 * 8 * 8, dtype='uint16').reshape(2, 3, 2, 8, 8)
          tifffile.imwrite(f'{d}/in.ome.tif', a, ome=True, metadata={'axes': 'TZCYX',
                           'PhysicalSizeX': 0.65, 'PhysicalSizeY': 0.65})
      else:
          assert np.allclose(np.load(f'{d}/a.npz')['pixel_size_um'], [0.65, 0.65])
          with tifffile.TiffFile(f'{d}/b.tif') as t:
              assert t.is_imagej and t.imagej_metadata['unit'] == 'micron'
              assert abs(1 / t.pages[0].get_resolution()[0] - 0.65) < 1e-6
          with tifffile.TiffFile(f'{d}/c.ome.tif') as t:
              assert t.series[0].axes == 'TCYX' and 'PhysicalSizeX="0.65"' in t.ome_metadata
          with tifffile.TiffFile(f'{d}/z.ome.tif') as t:
              assert t.series[0].axes == 'TZCYX', t.series[0].axes
              a = tifffile.imread(f'{d}/in.ome.tif')
              assert np.array_equal(t.series[0].asarray(), a)
          # --z 1 --t -1: one plane set; --z 2,0: two slices of each time point, still TZCYX.
          assert np.array_equal(np.load(f'{d}/zsel.npy'), a[-1, 1].transpose(1, 2, 0)[None])
          with tifffile.TiffFile(f'{d}/zz.ome.tif') as t:
              assert t.series[0].axes == 'TZCYX', t.series[0].axes
              assert np.array_equal(t.series[0].asarray(), a[:, [2, 0]])
      print('ok')
      """
    XCTAssertEqual(try runPython(script, [folder.path, "write"]), "ok\n")
    try convert([path("in.ome.tif"), "-o", path("a.npz")])
    try convert([path("a.npz"), "-o", path("b.tif")])
    try convert([path("b.tif"), "-o", path("c.ome.tif")])
    try convert([path("in.ome.tif"), "-o", path("z.ome.tif")])
    try convert([path("in.ome.tif"), "--z", "1", "--t", "-1", "-o", path("zsel.npy")])
    try convert([path("in.ome.tif"), "--z", "2,0", "-o", path("zz.ome.tif")])
    try assertFails(
      ["--method", "none", path("in.ome.tif"), "--z", "3", "-o", path("o.tif")], status: 64,
      mentioning: "Z slice 3 does not exist (the stack has 3 Z slices)")
    try assertFails(
      ["--method", "none", path("in.ome.tif"), "--t", "0,x", "-o", path("o.tif")], status: 64,
      mentioning: "--t takes indices")
    XCTAssertEqual(try runPython(script, [folder.path, "check"]), "ok\n")
    XCTAssertEqual(try TIFFStackReader(path: path("c.ome.tif")).pixelSizeMicrons, 0.65)
  }

  /// An existing output that is no regular file (here a named pipe; `/dev/null` alike) is
  /// written into, not replaced by the finished temporary file.
  func testSpecialOutputIsWrittenIntoNotReplaced() throws {
    let stack = randomStack(.int16, [2, 5, 4, 1])
    let input = try write(ArrayBundle([("arr_0", stack)]), "in.npy")
    let fifo = path("pipe.npy")
    XCTAssertEqual(mkfifo(fifo, 0o644), 0)
    final class Received: @unchecked Sendable { var data = Data() }
    let received = Received()
    let done = DispatchSemaphore(value: 0)
    Thread {
      received.data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
      done.signal()
    }.start()
    try convert([input, "-o", fifo])
    // Replaced by a rename, the pipe would never see a writer: fail instead of hanging.
    XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "nothing was written into the pipe")
    XCTAssertEqual(try NPY.decode([UInt8](received.data), subject: "pipe"), stack)
    var info = stat()
    XCTAssertEqual(stat(fifo, &info), 0)
    XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the pipe was replaced")
    XCTAssertEqual(try folderContents(), ["in.npy", "pipe.npy"])
  }

  func testRefusals() throws {
    let wide = NDArray(shape: [3, 4, 4, 1], values: (0..<48).map { UInt16($0 * 20) })
    let input = try write(ArrayBundle([("arr_0", wide)]), "wide.tif")
    try assertFails(
      ["--method", "none", input, "--dtype", "uint8", "-o", path("o.tif")], status: 65,
      mentioning: "frame 0 holds 260 at y=3, x=1, channel 0, which does not fit uint8")
    let floats = try write(
      ArrayBundle([
        ("arr_0", NDArray(shape: [2, 4, 4, 1], values: [Float](repeating: 1.5, count: 32)))
      ]),
      "f.npy")
    try assertFails(
      ["--method", "none", floats, "--dtype", "uint16", "-o", path("o.npz")], status: 65,
      mentioning: "holds 1.5")
    var withNaN = [Float](repeating: 1, count: 32)
    withNaN[20] = .nan
    let nan = try write(
      ArrayBundle([("arr_0", NDArray(shape: [2, 4, 4, 1], values: withNaN))]), "nan.npy")
    try assertFails(
      ["--method", "none", nan, "--dtype", "uint8", "--rescale", "-o", path("o.tif")], status: 65,
      mentioning: "frame 1 holds NaN")
    // Float frames cannot be PNGs: the split stops and leaves no folder, no file.
    try assertFails(
      ["--method", "none", floats, "--split", path("pngs"), "--pattern", "t{:03d}.png"],
      status: 65, mentioning: "t000.png")
    // A split into an existing folder that fails at a later frame leaves the folder as it was.
    let dir = path("existing")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    let late = try write(
      ArrayBundle([
        ("arr_0", NDArray(shape: [3, 4, 4, 1], values: (0..<48).map { UInt16($0 * 8) }))
      ]),
      "late.tif")
    try assertFails(
      ["--method", "none", late, "--split", dir, "--pattern", "t{}.png", "--dtype", "uint8"],
      status: 65, mentioning: "frame 2 holds 256")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    // Sequences whose files differ: the first that differs is named.
    let seq = path("seq")
    try FileManager.default.createDirectory(atPath: seq, withIntermediateDirectories: false)
    let frame = NDArray(shape: [1, 4, 4, 1], values: [UInt16](repeating: 3, count: 16))
    for (name, array) in [
      ("t0.tif", frame), ("t1.tif", frame), ("t2.tif", frame.converted(to: .uint8)),
      ("t3.tif", NDArray(shape: [1, 4, 5, 1], values: [UInt16](repeating: 3, count: 20))),
    ] {
      try writeBundle(
        ArrayBundle([("a", array)]), to: OutputFile(path: "\(seq)/\(name)", arrayCount: 1))
    }
    try assertFails(
      ["--method", "none", seq, "-o", path("o.tif")], status: 65,
      mentioning: "t2.tif: frames of 4×4×1 uint8 differ from \(seq)/t0.tif's 4×4×1 uint16")
    try FileManager.default.removeItem(atPath: "\(seq)/t2.tif")
    try assertFails(
      ["--method", "none", seq, "-o", path("o.tif")], status: 65,
      mentioning: "t3.tif: frames of 4×5×1")
    // PNG series: the size is checked as each is decoded; still nothing is written.
    let pngs = path("pngs2")
    try FileManager.default.createDirectory(atPath: pngs, withIntermediateDirectories: false)
    try PNGCodec.write(
      NDArray(shape: [4, 4, 1], values: [UInt8](repeating: 1, count: 16)), to: "\(pngs)/a1.png")
    try PNGCodec.write(
      NDArray(shape: [4, 4, 1], values: [UInt8](repeating: 1, count: 16)), to: "\(pngs)/a2.png")
    try PNGCodec.write(
      NDArray(shape: [4, 3, 1], values: [UInt8](repeating: 1, count: 12)), to: "\(pngs)/a10.png")
    try assertFails(
      ["--method", "none", pngs, "-o", path("o.tif")], status: 65,
      mentioning: "a10.png: frames of 4×3×1")
    try assertFails(
      ["--method", "none", path("nothing-*.tif"), "-o", path("o.tif")], status: 66,
      mentioning: "no file matches")
    // Usage errors.
    let usage: [([String], String)] = [
      ([input, "--dtype", "uint8", "-o", path("o.tif")], "need --method none"),
      (["--method", "none", input, "--frames", "1:2:0", "-o", path("o.tif")], "--frames"),
      (["--method", "none", input, "--frames", "5:", "-o", path("o.tif")], "selects no frame"),
      (
        ["--method", "none", input, "--frames", "7", "-o", path("o.tif")], "frame 7 does not exist"
      ),
      (["--method", "none", input, "--percentiles", "99,1", "-o", path("o.tif")], "--percentiles"),
      (["--method", "none", input, "--split", path("s"), "-o", path("o.tif")], "leave out -o"),
      (["--method", "none", input, "--pattern", "x{}.tif", "-o", path("o.tif")], "--split"),
      (["--method", "none", input, "--split", path("s"), "--pattern", "x.tif"], "field"),
      (
        [
          "--method", "none", input, "--dtype", "uint16", "--rescale", "-o", path("o.ome.tif"),
          "--channel", "3",
        ], "channel 3"
      ),
      (
        [
          "--method", "none", floats, "-o", path("o.ome.tif"), "--dtype", "int32", "--rescale",
          "--array", "zz",
        ], "'zz'"
      ),
    ]
    for (arguments, text) in usage {
      let status: Int32 = text == "'zz'" ? 65 : 64
      try assertFails(arguments, status: status, mentioning: text)
    }
    let int64 = try write(
      ArrayBundle([("arr_0", NDArray(shape: [1, 2, 2, 1], values: [1, 2, 3, 4] as [Int64]))]),
      "i64.npy")
    try assertFails(
      ["--method", "none", int64, "-o", path("o.ome.tif")], status: 64,
      mentioning: "OME-TIFF has no int64 pixel type")
  }
}
