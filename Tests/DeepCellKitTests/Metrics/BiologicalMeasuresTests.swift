import Foundation
import XCTest

@testable import DeepCellKit

/// CT, TF, CCA and BIO of `dc-metrics track` against py-ctcmetrics 1.3.3 itself (installed in
/// the test venv by `make venv`), on sequences with divisions, gaps, swaps and shared matches.
final class BiologicalMeasuresTests: XCTestCase {
  /// Writes a CTC truth and result pair made by a seeded generator, runs py-ctcmetrics on it
  /// and returns its measures.
  private func makeSequence(in dir: URL, seed: Int) throws -> [String: Double?] {
    let out = try runPython(
      """
      import contextlib, io, json, pathlib, sys
      import numpy as np, tifffile
      from ctc_metrics.scripts.evaluate import evaluate_sequence
      root = pathlib.Path(sys.argv[1]); rng = np.random.default_rng(int(sys.argv[2]))
      T, H, W = 12, 64, 64
      gt = np.zeros((T, H, W), np.uint16)
      tracks = []  # label, begin, end, parent
      def box(img, lab, y, x, r=4):
          img[max(y - r, 0):y + r, max(x - r, 0):x + r] = lab
      # Three lineages: a cell dividing twice (a complete cycle for its first daughter), and
      # two plain tracks, one leaving early.
      tracks += [[1, 0, 3, 0], [2, 4, 8, 1], [3, 4, 11, 1], [4, 9, 11, 2], [5, 9, 11, 2]]
      tracks += [[6, 0, 11, 0], [7, 0, 6, 0]]
      pos = {1: (16, 16), 2: (10, 10), 3: (24, 24), 4: (6, 6), 5: (14, 16), 6: (48, 48), 7: (48, 16)}
      for lab, b, e, p in tracks:
          for t in range(b, e + 1):
              y, x = pos[lab]; box(gt[t], lab, y + int(rng.integers(-1, 2)), x + int(rng.integers(-1, 2)))
      res = gt.copy(); rt = [list(r) for r in tracks]
      kind = int(sys.argv[2]) % 4
      if kind == 1:  # a gap: track 6 missing at frame 5, split into 6 and 8
          res[5][res[5] == 6] = 0; res[6:][res[6:] == 6] = 8
          rt = [r for r in rt if r[0] != 6] + [[6, 0, 4, 0], [8, 6, 11, 0]]
      elif kind == 2:  # a missed division: daughters 4 and 5 merged into track 2
          res[9:][res[9:] == 4] = 2; res[9:][res[9:] == 5] = 0
          rt = [r for r in rt if r[0] not in (4, 5)]; rt = [[2, 4, 11, 1] if r[0] == 2 else r for r in rt]
      elif kind == 3:  # a swap of 6 and 7 at frame 3 and a false split
          a = res[3:7] == 6; b = res[3:7] == 7; res[3:7][a] = 7; res[3:7][b] = 6
          res[10][res[10] == 3] = 0; res[10][20:24, 20:28] = 9
          rt = [[3, 4, 9, 1] if r[0] == 3 else r for r in rt] + [[9, 10, 10, 3]]
          res[11][res[11] == 3] = 10; rt += [[10, 11, 11, 3]]
      tra, seg, rdir = root / "GT" / "TRA", root / "GT" / "SEG", root / "RES"
      for d in (tra, seg, rdir): d.mkdir(parents=True, exist_ok=True)
      for t in range(T):
          tifffile.imwrite(tra / f"man_track{t:03d}.tif", gt[t])
          tifffile.imwrite(seg / f"man_seg{t:03d}.tif", gt[t])
          tifffile.imwrite(rdir / f"mask{t:03d}.tif", res[t])
      np.savetxt(tra / "man_track.txt", np.array(tracks), fmt="%d")
      np.savetxt(rdir / "res_track.txt", np.array(sorted(rt)), fmt="%d")
      with contextlib.redirect_stdout(io.StringIO()):
          r = evaluate_sequence(str(rdir), str(root / "GT"), metrics=["CT", "TF", "CCA", "BC(0)", "TRA"], threads=1)
      print(json.dumps({k: r.get(k) for k in ("CT", "TF", "CCA", "BC(0)", "BIO(0)", "TRA")}))
      """, [dir.path, String(seed)])
    let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    return object.mapValues { $0 as? Double }
  }

  func testEqualToPyCTCMetrics() throws {
    for seed in 0..<4 {
      let dir = try TestPaths.temporaryFolder(self)
      let reference = try makeSequence(in: dir, seed: seed)
      let run = try runTool(
        "dc-metrics",
        [
          "track", dir.appendingPathComponent("RES").path, "--truth",
          dir.appendingPathComponent("GT").path, "--format", "json", "--quiet",
        ])
      XCTAssertEqual(run.status, 0, run.stderr)
      let ours = try JSONSerialization.jsonObject(with: run.stdout) as! [String: Any]
      let flat = (ours["summary"] as? [String: Any]) ?? ours
      for key in ["CT", "TF", "CCA", "BC(0)", "BIO(0)", "TRA"] {
        let mine = flat[key] as? Double
        switch reference[key] ?? nil {
        case .some(let value):
          XCTAssertEqual(
            try XCTUnwrap(mine, "seed \(seed) \(key)"), value, accuracy: 1e-9, "seed \(seed) \(key)"
          )
        case .none:
          XCTAssertTrue(
            mine == nil || mine!.isNaN, "seed \(seed) \(key): \(String(describing: mine))")
        }
      }
    }
  }
}
