"""Watershed settings scored on saved maps: which radius and maxima threshold would give the
highest AP@0.5 on the training-side validation images? Reads only training-side images
(VAL_IDS; held-out ids of models/held-out.txt are refused).

MAPS_DIR holds one NPZ of maps per image, `ID-0.npz`, as models/ensemble_test.py writes them
with only the model file (the plain pipe's maps: automatic diameter, the file's flips). Each
setting of the grid is in model pixels and converted with the scale each NPZ records, as
dc-watershed converts a model's settings; the other settings are the recorded ones. Every
label image is scored by dc-metrics (one JSON report per image and setting under OUT_DIR, for
models/paired_bootstrap.py).

    python models/watershed_grid_test.py MAPS_DIR LABELS.tsv VAL_IDS OUT_DIR \
        [--radius 2,3,4] [--maxima-threshold 0.03,0.05,0.075,0.1,0.15]

Environment: BIN (default .build/release). Prints one models/pool_metrics.py table row per
setting. Session 21's run and its decision: models/README.md.
"""
import argparse
import itertools
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pool_metrics  # noqa: E402
import tune  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("maps", "labels_tsv", "val_ids", "out"):
        parser.add_argument(name)
    parser.add_argument("--radius", default="2,3,4", help="marker radii, model pixels")
    parser.add_argument("--maxima-threshold", default="0.03,0.05,0.075,0.1,0.15", help="h of h-maxima")
    args = parser.parse_args()
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    radii = [float(r) for r in args.radius.split(",")]
    heights = [float(h) for h in args.maxima_threshold.split(",")]
    for radius, h in itertools.product(radii, heights):
        out = f"{args.out}/r{radius:g}-h{h:g}"
        os.makedirs(out, exist_ok=True)
        reports = []
        for i in ids:
            maps = f"{args.maps}/{i}-0.npz"
            pixels = max(1, int(radius / tune.scale_of(maps) + 0.5))  # dc-watershed's rounding
            subprocess.run([f"{tune.BIN}/dc-watershed", maps, "-o", f"{out}/{i}.tif", "--quiet",
                            "--radius", str(pixels), "--maxima-threshold", str(h)], check=True)
            reports.append(tune.score_labels(f"{out}/{i}.tif", paths[i]))
        print(f"radius {radius:g} maxima threshold {h:g} | {pool_metrics.table_row(reports)}", flush=True)


if __name__ == "__main__":
    main()
