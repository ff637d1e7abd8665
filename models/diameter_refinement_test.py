"""Diameter refinement test: would re-measuring the nucleus size from a segmentation at the
automatic estimate (as Cellpose refines its size model's guess) give a better scale than
`dc-predict --diameter auto` alone? Reads only training-side images (IDS; held-out ids of
models/held-out.txt are refused).

Method, per image of IDS:
1. `dc-predict IMAGE --model MODEL --no-augment` with its automatic diameter: the estimate
   `est` (stderr) and maps at it; `dc-watershed` (the model's settings) segments them, and the
   median equivalent diameter √(4·area/π) of all objects, in input pixels, is `refined`.
   `true` is the labels' median equivalent diameter.
2. The refinement's calibration c = median(true / refined) over IDS.
3. The plain pipe `dc-predict IMAGE --model MODEL | dc-watershed` (the model's defaults, flips
   included) runs at the automatic diameter and at `--diameter refined·c`; dc-metrics scores
   both, pooled over IDS (F1, IoU > 0.6).

    python models/diameter_refinement_test.py MODEL LABELS.tsv IDS OUT_DIR

Environment: BIN (default .build/release). Writes one JSON line per image to
OUT_DIR/diameters.jsonl (true, est, refined, object counts), prints the log errors of `est`
and `refined` against `true` (centred on their medians), c, and a last line
`refinement F1 auto ... refined ...`. Session 14's run and its decision: models/README.md.
"""
import json
import os
import subprocess
import sys

import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tune  # noqa: E402


def spread(values):
    """Median, 75th and 90th percentile of |log x − median log x|."""
    logs = np.log(np.asarray(values))
    deviation = np.abs(logs - np.median(logs))
    return "median %.3f, p75 %.3f, p90 %.3f (bias %+.3f)" % (
        np.median(deviation), np.percentile(deviation, 75), np.percentile(deviation, 90), np.median(logs))


def main():
    args = tune.test_arguments(__doc__).parse_args()
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    os.makedirs(args.out, exist_ok=True)
    rows = []
    with open(f"{args.out}/diameters.jsonl", "w") as log:
        for i in ids:
            truth = tifffile.imread(paths[i])
            image = tune.image_path(paths[i])
            stderr = tune.predict(args.model, image, f"{args.out}/{i}-est.npz", ["--no-augment"])
            est = tune.auto_estimate(stderr)
            if est is None:
                sys.exit(f"{i}: no automatic estimate ({stderr.strip()})")
            subprocess.run([f"{tune.BIN}/dc-watershed", f"{args.out}/{i}-est.npz", "--quiet",
                            "-o", f"{args.out}/{i}-est.tif"], check=True)
            objects = tifffile.imread(f"{args.out}/{i}-est.tif")
            row = {"id": i, "shape": list(truth.shape[:2]), "true": tune.median_diameter(truth), "est": est,
                   "refined": tune.median_diameter(objects), "n_true": int(len(np.unique(truth[truth > 0]))),
                   "n_objects": int(len(np.unique(objects[objects > 0])))}
            log.write(json.dumps(row) + "\n")
            rows.append(row)
    if any(r["refined"] <= 0 for r in rows):
        sys.exit("an image had no objects at its estimate")
    print("est / true:     |log error| " + spread([r["est"] / r["true"] for r in rows]))
    print("refined / true: |log error| " + spread([r["refined"] / r["true"] for r in rows]))
    c = float(np.median([r["true"] / r["refined"] for r in rows]))
    print(f"calibration c = {c:.4f}")
    reports = {"auto": [], "refined": []}
    for r in rows:
        image = tune.image_path(paths[r["id"]])
        for name, extra in (("auto", []), ("refined", ["--diameter", str(r["refined"] * c)])):
            labels = f"{args.out}/{r['id']}-{name}.tif"
            tune.plain_pipe(args.model, image, labels, extra)
            reports[name].append(tune.score_labels(labels, paths[r["id"]]))
    print(f"refinement F1 auto {tune.pooled_f1(reports['auto']):.4f} "
          f"refined {tune.pooled_f1(reports['refined']):.4f} on {len(rows)} images", flush=True)


if __name__ == "__main__":
    main()
