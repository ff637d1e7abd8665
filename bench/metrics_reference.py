#!/usr/bin/env python3
"""Reference side of bench/metrics.sh: builds the inputs exactly as
../shared/oracle/reference_bench.py does and times the Python reference on them.

  object  — make_dataset(16, (512, 512), 150, SEED) labels vs perturb_labels(seed=SEED+500+i),
            deepcell_toolbox Metrics.calc_object_stats (reference_bench section d)
  ctc     — make_tracked_sequence(seed=SEED+3000) written as CTC folders,
            py-ctcmetrics evaluate_sequence(DET, SEG, TRA, threads=$REF_THREADS, default 1)
            (section g; bench/record.sh sets REF_THREADS)

Usage: metrics_reference.py OUTDIR [--runs N]   (prints one JSON line)
"""
import argparse
import contextlib
import io
import json
import os
import pathlib
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "oracle"))
sys.path.insert(0, "/work/shared/oracle")
import reference_bench as rb  # noqa: E402

warnings.simplefilter("ignore")


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)

    _, y = rb.make_dataset(16, (512, 512), 150, rb.SEED)
    yt = y[..., 0]
    yp = np.stack([rb.perturb_labels(yt[i], seed=rb.SEED + 500 + i)[0] for i in range(16)])
    np.save(out / "truth.npy", yt)
    np.save(out / "pred.npy", yp)

    from deepcell_toolbox.metrics import Metrics

    def objects():
        with contextlib.redirect_stdout(io.StringIO()):
            m = Metrics("bench", seg=False)
            df = m.calc_object_stats(yt, yp, progbar=False)
            return m.summarize_object_metrics_df(df)

    t_obj, summary = timed(objects, args.runs)

    seq = rb.make_tracked_sequence(seed=rb.SEED + 3000)
    gt_dir, res_dir = rb.write_ctc(seq, out / "ctc")
    from ctc_metrics.scripts.evaluate import evaluate_sequence

    def ctc():
        with contextlib.redirect_stdout(io.StringIO()):
            r = evaluate_sequence(str(res_dir), str(gt_dir), metrics=["DET", "SEG", "TRA"],
                                  threads=int(os.environ.get("REF_THREADS", "1")))
        return {k: r[k] for k in ("DET", "SEG", "TRA")}

    t_ctc, ctc_result = timed(ctc, args.runs)
    print(json.dumps({"object_s": t_obj, "object_summary": summary, "ctc_s": t_ctc, "ctc": ctc_result,
                      "gt_dir": str(gt_dir), "res_dir": str(res_dir)}))


if __name__ == "__main__":
    main()
