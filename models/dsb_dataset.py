"""Builds the DeepCell-style training and validation NPZ files for the shipped nuclear model.

Inputs: a folder of whole DSB-2018 images already normalized by dc-normalize (one TIFF per image
id) and the dataset's label folder (uint16 TIFF per id). Every image is cut into square tiles of
--tile pixels (overlapping where the image is not a multiple of the tile; zero-padded with
background labels where it is smaller; tiles with almost no nucleus area are dropped), because a DeepCell dataset NPZ holds one shape:
X (N, tile, tile, 1) float32 and y (N, tile, tile, 1) int32. Images named in --held-out go to
the validation file, the rest to the training file.

    python models/dsb_dataset.py NORMALIZED_DIR LABEL_DIR --held-out ID,ID -o train.npz --val val.npz
"""

import argparse
import math
import os
import sys

import numpy as np
import tifffile


def starts(length, tile):
    """Tile origins covering [0, length): evenly spread, overlapping, first 0 and last length-tile."""
    if length <= tile:
        return [0]
    n = math.ceil(length / tile)
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def tiles(image, labels, tile):
    h, w = image.shape
    ph, pw = max(h, tile), max(w, tile)
    img = np.zeros((ph, pw), np.float32)
    lab = np.zeros((ph, pw), np.int32)
    img[:h, :w] = image
    lab[:h, :w] = labels
    for r in starts(ph, tile):
        for c in starts(pw, tile):
            yield img[r:r + tile, c:c + tile], lab[r:r + tile, c:c + tile]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("normalized")
    p.add_argument("labels")
    p.add_argument("--held-out", required=True, help="comma-separated image ids for validation")
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--min-foreground", type=float, default=0.005,
                   help="drop tiles with less nucleus area than this fraction")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--val", required=True)
    a = p.parse_args()
    held = set(a.held_out.split(","))
    ids = sorted(f[:-4] for f in os.listdir(a.normalized) if f.endswith(".tif"))
    missing = held - set(ids)
    if missing:
        sys.exit(f"dsb_dataset.py: held-out ids not found: {sorted(missing)}")
    sets = {"train": ([], []), "val": ([], [])}
    for i in ids:
        image = tifffile.imread(os.path.join(a.normalized, i + ".tif")).astype(np.float32)
        if image.ndim != 2:
            sys.exit(f"dsb_dataset.py: {i}: expected a 2-D normalized image, got {image.shape}")
        labels = tifffile.imread(os.path.join(a.labels, i + ".tif"))
        if image.shape != labels.shape:
            sys.exit(f"dsb_dataset.py: {i}: image {image.shape} and labels {labels.shape} differ")
        xs, ys = sets["val" if i in held else "train"]
        for x, y in tiles(image, labels, a.tile):
            if np.count_nonzero(y) < a.min_foreground * y.size:
                continue  # crops of it would show no nucleus (the generator's min_objects redraw)
            xs.append(x)
            ys.append(y)
    for name, path in (("train", a.output), ("val", a.val)):
        xs, ys = sets[name]
        X = np.stack(xs)[..., None]
        y = np.stack(ys)[..., None]
        np.savez(path, X=X, y=y)
        print(f"{path}: X {X.shape}, y {y.shape}, {sum(len(np.unique(t)) - 1 for t in ys)} nuclei (tiles)")


if __name__ == "__main__":
    main()
