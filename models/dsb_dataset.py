"""Builds the training and validation NPZ files of the shipped nuclear model from DSB-2018.

Inputs: a folder of whole images already normalized by dc-normalize (one TIFF per image id)
and a file listing `id<TAB>labels.tif` for every image with ground truth. Images named in
--held-out are skipped entirely (they belong to models/evaluate.sh). Of the rest, every
--val-every-th image (sorted by median nucleus size, so validation spans the sizes) goes to
the validation file, the others to the training file: validation comes from the training side.

Scale: each image is resized so that its median nucleus diameter (equivalent diameter of the
labels, sqrt(4·area/π)) becomes --diameter pixels: the model learns one nucleus size and
dc-predict rescales other images to it (--diameter). Images are resized as dc-predict resizes
them (OpenCV INTER_AREA when shrinking, INTER_LINEAR when enlarging), labels with
nearest-neighbour sampling; the output size is int(n · scale), as dc-predict computes it.

Every resized image is cut into square tiles of --tile pixels (overlapping where the image is
not a multiple of the tile; zero-padded with background labels where it is smaller; tiles with
almost no nucleus area are dropped), because a DeepCell dataset NPZ holds one shape:
X (N, tile, tile, 1) float32 and y (N, tile, tile, 1) int32.

    python models/dsb_dataset.py NORMALIZED_DIR LABELS.tsv --held-out models/held-out.txt \
        -o train.npz --val val.npz --diameter 17
"""

import argparse
import math
import os
import sys

import cv2
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


def median_diameter(labels):
    _, counts = np.unique(labels[labels > 0], return_counts=True)
    return float(np.median(np.sqrt(4 * counts / np.pi))) if len(counts) else 0.0


def rescale(image, labels, scale):
    h, w = image.shape
    nh, nw = max(1, int(h * scale)), max(1, int(w * scale))
    if (nh, nw) == (h, w):
        return image, labels
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = cv2.resize(image, (nw, nh), interpolation=interp)
    labels = cv2.resize(labels.astype(np.float32), (nw, nh), interpolation=cv2.INTER_NEAREST)
    return image, labels.astype(np.int32)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("normalized")
    p.add_argument("labels", help="TSV: image id, path of its label TIFF")
    p.add_argument("--held-out", required=True, help="file with one held-out image id a line")
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--diameter", type=float, default=0,
                   help="median nucleus diameter to resize every image to (0: keep sizes)")
    p.add_argument("--val-every", type=int, default=20)
    p.add_argument("--min-foreground", type=float, default=0.005,
                   help="drop tiles with less nucleus area than this fraction")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--val", required=True)
    p.add_argument("--val-ids", help="write the validation image ids here")
    a = p.parse_args()
    with open(a.held_out) as fh:
        held = {line.strip() for line in fh if line.strip()}
    with open(a.labels) as fh:
        label_paths = dict(line.rstrip("\n").split("\t") for line in fh if line.strip())
    ids = sorted(i for i in label_paths if i not in held)
    images = {}
    for i in ids:
        image = tifffile.imread(os.path.join(a.normalized, i + ".tif")).astype(np.float32)
        if image.ndim != 2:
            sys.exit(f"dsb_dataset.py: {i}: expected a 2-D normalized image, got {image.shape}")
        labels = tifffile.imread(label_paths[i]).astype(np.int32)
        if image.shape != labels.shape:
            sys.exit(f"dsb_dataset.py: {i}: image {image.shape} and labels {labels.shape} differ")
        images[i] = (median_diameter(labels), image, labels)
    by_size = sorted(ids, key=lambda i: (images[i][0], i))
    val_ids = set(by_size[a.val_every // 2::a.val_every])
    if a.val_ids:
        with open(a.val_ids, "w") as fh:
            fh.writelines(i + "\n" for i in sorted(val_ids))
    sets = {"train": ([], []), "val": ([], [])}
    for i in ids:
        diameter, image, labels = images[i]
        if diameter == 0:
            continue
        if a.diameter > 0:
            image, labels = rescale(image, labels, a.diameter / diameter)
        xs, ys = sets["val" if i in val_ids else "train"]
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
        n = sum(len(np.unique(t)) - 1 for t in ys)
        print(f"{path}: X {X.shape}, y {y.shape}, {n} nuclei (tiles)")


if __name__ == "__main__":
    main()
