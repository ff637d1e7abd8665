"""Re-split test: would splitting oversized objects at the peaks of the model's inner-distance
map separate the touching nuclei the watershed merges? Reads only training-side images
(VAL_IDS; held-out ids of models/held-out.txt are refused).

Per image, the labels LABELS_DIR/ID-1.tif and maps LABELS_DIR/ID-1.npz that
`models/scale_average_test.py --factors 1` writes (the plain pipe) are post-processed: an
object larger than GATE times the median object area of its image, whose inner-distance map
has two or more h-maxima inside it (8-connected), is split by watershed on the negative inner
distance within its mask, from those maxima. The labels go to OUT_DIR; dc-metrics scores them.

    python models/resplit_test.py LABELS.tsv VAL_IDS LABELS_DIR OUT_DIR --h 0.02 [--gate 1.5]

Environment: BIN (default .build/release). Prints `resplit h ... F1 ... objects split N | `
and models/pool_metrics.py's table row. Session 14's run and its decision: models/README.md.
"""
import argparse
import io
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


def resplit(labels, inner, h, gate):
    """`labels` with each object over `gate` × the median area split at the h-maxima of
    `inner` inside it (when there are two or more); and the number of objects split."""
    result = labels.astype(np.int64)
    area = np.bincount(result.ravel())
    present = area[1:][area[1:] > 0]
    if not len(present):
        return result, 0
    median = np.median(present)
    following = int(result.max()) + 1
    split = 0
    for k, box in enumerate(ndimage.find_objects(result), start=1):
        if box is None or area[k] <= gate * median:
            continue
        box = tuple(slice(max(0, s.start - 1), s.stop + 1) for s in box)
        mask = result[box] == k
        local = np.where(mask, inner[box], 0)
        markers, n = ndimage.label(h_maxima(local, h) & mask, structure=np.ones((3, 3)))
        if n < 2:
            continue
        parts = watershed(-local, markers, mask=mask)
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
    parser.add_argument("--h", type=float, required=True, help="h of the h-maxima of the inner distance")
    parser.add_argument("--gate", type=float, default=1.5, help="objects over this × the median area")
    args = parser.parse_args()
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    os.makedirs(args.out, exist_ok=True)
    reports, total = [], 0
    for i in ids:
        labels = tifffile.imread(f"{args.labels_dir}/{i}-1.tif")
        with zipfile.ZipFile(f"{args.labels_dir}/{i}-1.npz") as z:
            inner = np.load(io.BytesIO(z.read("inner_distance.npy")))[0, ..., 0].astype(np.float64)
        result, split = resplit(labels, inner, args.h, args.gate)
        total += split
        path = f"{args.out}/{i}.tif"
        tifffile.imwrite(path, result.astype(np.uint16 if result.max() < 65536 else np.uint32))
        subprocess.run([f"{tune.BIN}/dc-metrics", path, "--truth", paths[i], "--format", "json", "--quiet",
                        "-o", path[:-4] + ".json"], check=True)
        reports.append(path[:-4] + ".json")
    pool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool_metrics.py")
    row = subprocess.run([sys.executable, pool, "--table"] + reports, capture_output=True, text=True,
                         check=True).stdout.strip()
    print(f"resplit h {args.h:g} gate {args.gate:g} F1 {tune.pooled_f1(reports):.4f} objects split {total} | {row}",
          flush=True)


if __name__ == "__main__":
    main()
