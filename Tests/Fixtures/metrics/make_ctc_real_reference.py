#!/usr/bin/env python3
"""py-ctcmetrics numbers for the real CTC sequences in ../shared/data (not committed:
the data are not openly licensed; only these derived scores are). The result compared with
the ground truth is the TRA markers themselves, perturbed deterministically (the Swift test
TrackingRealDataTests builds the very same result in memory):

  A, B, C, D = the four smallest labels of tracks spanning every frame with no parent.
  - A is deleted from frame 20 on (its track ends at 19);
  - B is relabelled NEW = max label + 1 from frame 10 on (new track, no parent);
  - C and D swap labels from frame 15 on;
  - a false positive NEW + 1 fills the background pixels of rows 0-6, cols 0-6 in frames 5-8.

Run: .oracle/bin/python Tests/Fixtures/metrics/make_ctc_real_reference.py
"""
import contextlib
import io
import json
import pathlib
import tempfile

import numpy as np
import tifffile
from ctc_metrics.scripts.evaluate import evaluate_sequence

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parents[2].parent / "shared" / "data"


def perturb(gt_tra, tracks):
    T = len(gt_tra)
    full = sorted(int(l) for l, b, e, p in tracks if b == 0 and e == T - 1 and p == 0)
    A, B, C, D = full[:4]
    new = int(tracks[:, 0].max()) + 1
    res = [m.copy() for m in gt_tra]
    for t in range(T):
        if t >= 20:
            res[t][gt_tra[t] == A] = 0
        if t >= 10:
            res[t][gt_tra[t] == B] = new
        if t >= 15:
            res[t][gt_tra[t] == C] = D
            res[t][gt_tra[t] == D] = C
        if 5 <= t <= 8:
            win = res[t][0:7, 0:7]
            win[win == 0] = new + 1
    rows = []
    for l, b, e, p in tracks.tolist():
        if l == A:
            e = 19
        if l == B:
            e = 9
        rows.append([l, b, e, p])
    rows.append([new, 10, T - 1, 0])
    rows.append([new + 1, 5, 8, 0])
    return res, np.array(rows)


def main():
    out = {}
    keys = ["DET", "SEG", "TRA", "LNK", "AOGM", "AOGM_0", "AOGM_NS", "AOGM_FN", "AOGM_FP", "AOGM_ED",
            "AOGM_EA", "AOGM_EC", "BC(0)", "tp_div(0)", "fp_div(0)", "fn_div(0)"]
    for name in ("ctc-fluo-n2dh-gowt1-01", "ctc-fluo-n2dh-sim-plus-01"):
        gt = DATA / name / "01_GT"
        files = sorted((gt / "TRA").glob("man_track*.tif"))
        tra = [tifffile.imread(f) for f in files]
        tracks = np.loadtxt(gt / "TRA" / "man_track.txt", dtype=np.int64)
        res, res_tracks = perturb(tra, tracks)
        with tempfile.TemporaryDirectory() as td:
            rdir = pathlib.Path(td) / "01_RES"
            rdir.mkdir()
            for t, m in enumerate(res):
                tifffile.imwrite(rdir / f"mask{t:03d}.tif", m)
            np.savetxt(rdir / "res_track.txt", res_tracks, fmt="%d")
            with contextlib.redirect_stdout(io.StringIO()):
                r = evaluate_sequence(str(rdir), str(gt), metrics=["DET", "SEG", "TRA", "LNK", "BC(0)"], threads=1)
        out[name] = {k: (None if r.get(k) is None else float(r[k])) for k in keys}
    with open(HERE / "reference_ctc_real.json", "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
