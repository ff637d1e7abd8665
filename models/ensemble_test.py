"""Output ensemble, emulated with the tools: would averaging the maps of several model files
segment better than the first file alone? Reads only training-side images (VAL_IDS, written by
models/dsb_dataset.py --val-ids; held-out ids of models/held-out.txt are refused).

Method, per image (LABELS.tsv maps ids to label files, as in models/tune.py):
1. `dc-predict IMAGE --model FIRST` (automatic diameter D, the file's test-time flips unless
   --no-augment) gives maps and D (recorded in the maps' dc_tools.json).
2. Every other file of --members predicts the image at the same diameter (`--diameter D`),
   so all maps share one scale and the input's resolution.
3. The maps are averaged elementwise and written with the first file's record (its watershed
   settings and scale); `dc-watershed` (no flags) segments them and dc-metrics scores the
   labels, one JSON report per image (for models/paired_bootstrap.py). With only MODEL the
   script reproduces the plain pipe of models/tune.py --score.

    python models/ensemble_test.py MODEL LABELS.tsv VAL_IDS OUT_DIR [--members B.npz,...] [--no-augment]

Environment: BIN (default .build/release). Prints one line: `ensemble F1 ... | ` and
models/pool_metrics.py's table row. Session 21's run and its decision: models/README.md.
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pool_metrics  # noqa: E402
import tune  # noqa: E402
from scale_average_test import read_maps, write_maps  # noqa: E402


def main():
    parser = tune.test_arguments(__doc__)
    parser.add_argument("--members", default="", help="further model files, comma-separated")
    parser.add_argument("--no-augment", action="store_true", help="no test-time flips for any file")
    args = parser.parse_args()
    members = [m for m in args.members.split(",") if m]
    extra = ["--quiet"] + (["--no-augment"] if args.no_augment else [])
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    os.makedirs(args.out, exist_ok=True)
    reports = []
    for i in ids:
        image = tune.image_path(paths[i])
        first = f"{args.out}/{i}-0.npz"
        tune.predict(args.model, image, first, extra)
        maps, record = read_maps(first)
        diameter = json.loads(record)["diameter"]
        total = {k: v.astype(np.float64) for k, v in maps.items()}
        for n, member in enumerate(members, 1):
            other = f"{args.out}/{i}-{n}.npz"
            tune.predict(member, image, other, extra + ["--diameter", str(diameter)])
            for k, v in read_maps(other)[0].items():
                total[k] += v
        averaged = f"{args.out}/{i}-average.npz"
        write_maps(averaged, {k: (v / (1 + len(members))).astype(np.float32) for k, v in total.items()}, record)
        labels = f"{args.out}/{i}.tif"
        subprocess.run([f"{tune.BIN}/dc-watershed", averaged, "--quiet", "-o", labels], check=True)
        reports.append(tune.score_labels(labels, paths[i]))
    print(f"ensemble F1 {tune.pooled_f1(reports):.4f} members {len(members) + 1} | "
          f"{pool_metrics.table_row(reports)}", flush=True)


if __name__ == "__main__":
    main()
