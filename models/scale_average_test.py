"""Multi-scale test-time averaging, emulated with the tools: would averaging the maps a model
predicts at several nucleus scales segment better than its single automatic scale? Reads only
training-side images (VAL_IDS, written by models/dsb_dataset.py --val-ids; held-out ids of
models/held-out.txt are refused).

Method, per image (LABELS.tsv maps ids to label files; the images beside them, as in
models/tune.py, so the dim test's OUT_DIR/dimmed-labels.tsv of models/dim_test.py works too):
1. `dc-predict IMAGE --model MODEL` (its defaults: automatic diameter D, the model's test-time
   flips) gives maps M1 and D (recorded in the maps' dc_tools.json).
2. For each other factor f of --factors, `dc-predict IMAGE --diameter D·f` gives maps Mf, at
   the input's resolution like M1.
3. The inner and outer distance maps are averaged over the factors and written with M1's
   record (settings and scale), and `dc-watershed` (no flags) segments them; dc-metrics scores
   the labels. `--factors 1` reproduces the plain pipe of models/tune.py --score.

    python models/scale_average_test.py MODEL LABELS.tsv VAL_IDS OUT_DIR [--factors 0.8,1,1.25]

Environment: BIN (default .build/release). Prints one line: `scale-average F1 ... | ` and models/pool_metrics.py's table row
(pooled over the images: images, true, predicted, precision, recall, F1, F1@0.5, AP@0.5,
AP@0.9). Session 14's run and its decision: models/README.md.
"""
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pool_metrics  # noqa: E402
import tune  # noqa: E402


def read_maps(path):
    """The .npy members of an NPZ of maps by name, and its dc_tools.json record (bytes)."""
    with zipfile.ZipFile(path) as z:
        arrays = {n[:-4]: np.load(io.BytesIO(z.read(n))) for n in z.namelist() if n.endswith(".npy")}
        return arrays, z.read("dc_tools.json")


def write_maps(path, arrays, record):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("dc_tools.json", record)
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            z.writestr(name + ".npy", buffer.getvalue())


def main():
    parser = tune.test_arguments(__doc__)
    parser.add_argument("--factors", default="0.8,1,1.25",
                        help="diameter factors of the automatic estimate; must include 1")
    args = parser.parse_args()
    factors = [float(f) for f in args.factors.split(",")]
    if 1.0 not in factors or any(f <= 0 for f in factors):
        parser.error("--factors must be positive and include 1")
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    os.makedirs(args.out, exist_ok=True)
    tag = "_".join(f"{f:g}" for f in factors)
    reports = []
    for i in ids:
        image = tune.image_path(paths[i])
        base = f"{args.out}/{i}-1.npz"
        tune.predict(args.model, image, base, ["--quiet"])
        maps, record = read_maps(base)
        diameter = json.loads(record)["diameter"]
        total = {k: v.astype(np.float64) for k, v in maps.items()}
        for f in factors:
            if f == 1:
                continue
            scaled = f"{args.out}/{i}-{f:g}.npz"
            tune.predict(args.model, image, scaled, ["--quiet", "--diameter", str(diameter * f)])
            for k, v in read_maps(scaled)[0].items():
                total[k] += v
        averaged = f"{args.out}/{i}-average-{tag}.npz"
        write_maps(averaged, {k: (v / len(factors)).astype(np.float32) for k, v in total.items()}, record)
        labels = f"{args.out}/{i}-{tag}.tif"
        subprocess.run([f"{tune.BIN}/dc-watershed", averaged, "--quiet", "-o", labels], check=True)
        reports.append(tune.score_labels(labels, paths[i]))
    print(f"scale-average F1 {tune.pooled_f1(reports):.4f} factors {tag} | {pool_metrics.table_row(reports)}",
          flush=True)


if __name__ == "__main__":
    main()
