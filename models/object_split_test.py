"""Object-split test: would splitting the objects of the plain pipe after the watershed separate
the touching nuclei it merges? Two methods, each session 14's experiment (models/README.md):
- `--method shape` (declumping by shape, as CellProfiler's): every object whose mask's
  Euclidean distance transform has two or more h-maxima (markers 4-connected), h = H · R with
  R half the diameter dc-predict recorded in the maps, is split by watershed on the negative
  distance inside its mask;
- `--method inner`: every object larger than GATE times the median object area of its image
  whose inner-distance map has two or more h-maxima inside it (8-connected), h = H, is split
  by watershed on the negative inner distance inside its mask.
Reads only training-side images (VAL_IDS; held-out ids of models/held-out.txt are refused):
the labels LABELS_DIR/ID-1.tif and maps LABELS_DIR/ID-1.npz that
`models/scale_average_test.py --factors 1` writes. The split labels go to OUT_DIR and
dc-metrics scores them.

    python models/object_split_test.py LABELS.tsv VAL_IDS LABELS_DIR OUT_DIR
        --method shape|inner --h H [--gate 1.5]

Environment: BIN (default .build/release). Prints `object-split METHOD h ... F1 ... objects
split N | ` and models/pool_metrics.py's table row.
"""
import argparse
import io
import json
import os
import sys
import zipfile

import numpy as np
import tifffile
from scipy import ndimage
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pool_metrics  # noqa: E402
import tune  # noqa: E402


def split_objects(labels, relief, h, min_area=0, structure=None):
    """`labels` with each object over `min_area` pixels split by watershed on −relief inside
    it, from the h-maxima of relief(mask, box) when there are two or more; and the number of
    objects split."""
    result = labels.astype(np.int64)
    area = np.bincount(result.ravel())
    following = int(result.max()) + 1
    split = 0
    for k, box in enumerate(ndimage.find_objects(result), start=1):
        if box is None or area[k] <= min_area:
            continue
        box = tuple(slice(max(0, s.start - 1), s.stop + 1) for s in box)
        mask = result[box] == k
        height = relief(mask, box)
        markers, n = ndimage.label(h_maxima(height, h) & mask, structure=structure)
        if n < 2:
            continue
        parts = watershed(-height, markers, mask=mask)
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
    parser.add_argument("--method", choices=("shape", "inner"), required=True)
    parser.add_argument("--h", type=float, required=True,
                        help="shape: h as a fraction of the nucleus radius; inner: h of the inner distance")
    parser.add_argument("--gate", type=float, default=1.5, help="inner: objects over this × the median area")
    args = parser.parse_args()
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    os.makedirs(args.out, exist_ok=True)
    reports, total = [], 0
    for i in ids:
        labels = tifffile.imread(f"{args.labels_dir}/{i}-1.tif")
        with zipfile.ZipFile(f"{args.labels_dir}/{i}-1.npz") as z:
            record = json.loads(z.read("dc_tools.json"))
            inner = np.load(io.BytesIO(z.read("inner_distance.npy")))[0, ..., 0].astype(np.float64)
        if args.method == "shape":
            result, split = split_objects(
                labels, lambda mask, box: ndimage.distance_transform_edt(mask), args.h * record["diameter"] / 2)
        else:
            area = np.bincount(labels.ravel().astype(np.int64))[1:]
            median = np.median(area[area > 0]) if (area > 0).any() else 0
            result, split = split_objects(
                labels, lambda mask, box: np.where(mask, inner[box], 0), args.h, args.gate * median,
                structure=np.ones((3, 3)))
        total += split
        path = f"{args.out}/{i}.tif"
        tifffile.imwrite(path, result.astype(np.uint16 if result.max() < 65536 else np.uint32))
        reports.append(tune.score_labels(path, paths[i]))
    print(f"object-split {args.method} h {args.h:g} F1 {tune.pooled_f1(reports):.4f} objects split {total} | "
          f"{pool_metrics.table_row(reports)}", flush=True)


if __name__ == "__main__":
    main()
