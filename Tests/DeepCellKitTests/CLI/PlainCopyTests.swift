import Foundation
import XCTest

@testable import DeepCellKit

/// Plain copies (`dc-normalize --method none`, issue 20's throughput): bit-exact for the
/// uncompressed layouts tifffile writes, and outputs opened for writing are emptied without
/// `O_TRUNC` (``openEmptiedForWriting(_:flags:mode:)``).
final class PlainCopyTests: ToolTestCase {
  override var tool: String { "dc-normalize" }

  /// A new file is created empty; an empty one stays; one with content is emptied; a path in
  /// a missing folder fails with errno set.
  func testOpenEmptiedForWriting() throws {
    for (name, content) in [("new", nil), ("empty", Data()), ("full", Data(count: 5000))] {
      if let content { _ = FileManager.default.createFile(atPath: path(name), contents: content) }
      let fd = openEmptiedForWriting(path(name), flags: O_WRONLY | O_CLOEXEC, mode: 0o644)
      XCTAssertGreaterThanOrEqual(fd, 0, name)
      XCTAssertEqual(Glibc.write(fd, "ab", 2), 2)
      XCTAssertEqual(close(fd), 0)
      XCTAssertEqual(FileManager.default.contents(atPath: path(name)), Data("ab".utf8), name)
    }
    errno = 0
    XCTAssertEqual(
      openEmptiedForWriting(path("missing/x"), flags: O_WRONLY | O_CLOEXEC, mode: 0o644), -1)
    XCTAssertEqual(errno, ENOENT)
  }

  /// dc-normalize --method none copies tifffile's uncompressed stacks bit-exactly to TIFF and
  /// OME-TIFF (one strip a page, several strips a page, ImageJ hyperstacks, big-endian), the
  /// same file whether the frames stream through one path or another (`--channel 0` adds a
  /// channel selection) and whether the output existed before (emptied, not appended to).
  func testConversionCopiesAreBitExact() throws {
    let script = """
      import sys, numpy as np, tifffile
      d = sys.argv[1]
      r = np.random.default_rng(3)
      a = r.integers(0, 65535, (6, 33, 17), dtype='uint16')
      if sys.argv[2] == 'write':
          np.save(f'{d}/a.npy', a)
          tifffile.imwrite(f'{d}/ij.tif', a, imagej=True, metadata={'axes': 'TYX'})
          tifffile.imwrite(f'{d}/strips.tif', a, rowsperstrip=5)
          tifffile.imwrite(f'{d}/be.tif', a, byteorder='>')
          tifffile.imwrite(f'{d}/hyper.tif', a.reshape(3, 2, 33, 17), imagej=True, metadata={'axes': 'TCYX'})
      else:
          for name in ['ij', 'strips', 'be']:
              for ext in ['tif', 'ome.tif']:
                  out = tifffile.imread(f'{d}/{name}-out.{ext}')
                  assert np.array_equal(out, a), (name, ext)
          assert np.array_equal(tifffile.imread(f'{d}/hyper-out.tif'), a.reshape(3, 2, 33, 17))
      print('ok')
      """
    XCTAssertEqual(try runPython(script, [folder.path, "write"]), "ok\n")
    for name in ["ij", "strips", "be", "hyper"] {
      for ext in name == "hyper" ? ["tif"] : ["tif", "ome.tif"] {
        let run = try runTool(
          "dc-normalize",
          ["--method", "none", path("\(name).tif"), "-o", path("\(name)-out.\(ext)")])
        XCTAssertEqual(run.status, 0, run.stderr)
        if name != "hyper" {
          // An existing longer output is replaced whole: nothing of it survives.
          _ = FileManager.default.createFile(
            atPath: path("r.\(ext)"), contents: Data(repeating: 0xAB, count: 1 << 20))
          let read = try runTool(
            "dc-normalize",
            ["--method", "none", path("\(name).tif"), "--channel", "0", "-o", path("r.\(ext)")])
          XCTAssertEqual(read.status, 0, read.stderr)
          XCTAssertEqual(
            FileManager.default.contents(atPath: path("\(name)-out.\(ext)")),
            FileManager.default.contents(atPath: path("r.\(ext)")), "\(name).\(ext)")
        }
      }
    }
    XCTAssertEqual(try runPython(script, [folder.path, "check"]), "ok\n")
  }
}
