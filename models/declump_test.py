"""Declumping test: would splitting objects by their shape after the watershed (as
CellProfiler's "declump by shape") separate the touching nuclei the model merges? Reads only
training-side images (VAL_IDS; held-out ids of models/held-out.txt are refused).

Per image, the labels LABELS_DIR/ID-1.tif and maps LABELS_DIR/ID-1.npz that
`models/scale_average_test.py --factors 1` writes (the plain pipe) are post-processed: in each
object, the Euclidean distance transform of its mask; markers = h-maxima of it with
h = H · R, R half the diameter dc-predict recorded in the maps (input pixels); an object with
two or more markers is split by watershed on the negative distance inside its mask. The
labels go to OUT_DIR and dc-metrics scores them.

    python models/declump_test.py LABELS.tsv VAL_IDS LABELS_DIR OUT_DIR --h 0.15

Environment: BIN (default .build/release). Prints `declump H ... F1 ... objects split N | `
and models/pool_metrics.py's table row. Session 14's run and its decision: models/README.md.
"""
import argparse
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import tifffile
from scipy import ndimage
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tune  # noqa: E402


def declump(labels, h):
    """`labels` with every object whose distance transform has two or more h-maxima split
    along the watershed of that transform; and the number of objects split."""
    result = labels.astype(np.int64)
    following = int(result.max()) + 1
    split = 0
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        box = tuple(slice(max(0, s.start - 1), s.stop + 1) for s in box)
        mask = labels[box] == k
        distance = ndimage.distance_transform_edt(mask)
        markers, n = ndimage.label(h_maxima(distance, h) & mask)
        if n < 2:
            continue
        parts = watershed(-distance, markers, mask=mask)
        view = result[box]
        for j in range(2, n + 1):
            view[parts == j] = following
            following += 1
        split += 1
    return result, split


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("labels_tsv", "val_ids", "labels_dir", "out"):
        parser.add_argument(name)
    parser.add_argument("--h", type=float, required=True, help="h as a fraction of the nucleus radius")
    args = parser.parse_args()
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    os.makedirs(args.out, exist_ok=True)
    reports, total = [], 0
    for i in ids:
        labels = tifffile.imread(f"{args.labels_dir}/{i}-1.tif")
        with zipfile.ZipFile(f"{args.labels_dir}/{i}-1.npz") as z:
            diameter = json.loads(z.read("dc_tools.json"))["diameter"]
        result, split = declump(labels, args.h * diameter / 2)
        total += split
        path = f"{args.out}/{i}.tif"
        tifffile.imwrite(path, result.astype(np.uint16 if result.max() < 65536 else np.uint32))
        subprocess.run([f"{tune.BIN}/dc-metrics", path, "--truth", paths[i], "--format", "json", "--quiet",
                        "-o", path[:-4] + ".json"], check=True)
        reports.append(path[:-4] + ".json")
    pool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool_metrics.py")
    row = subprocess.run([sys.executable, pool, "--table"] + reports, capture_output=True, text=True,
                         check=True).stdout.strip()
    print(f"declump H {args.h:g} F1 {tune.pooled_f1(reports):.4f} objects split {total} | {row}", flush=True)


if __name__ == "__main__":
    main()
