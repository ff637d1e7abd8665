"""Dim-nucleus test: does a model find dim nuclei beside bright ones? Used to choose training
checkpoints, so it reads only the training-side validation images (VAL_IDS, written by
models/dsb_dataset.py --val-ids; models/train.sh keeps it in /work/train/val-ids.txt) and never
the held-out split (models/held-out.txt): ids listed there are refused.

Method, per validation image:
1. A seeded random subset of nuclei is dimmed in the raw image: with
   numpy.random.default_rng(SEED + crc32(id)), each nucleus (label ids ascending) is chosen with
   probability --fraction and drawn a factor uniform in --factor; inside a chosen nucleus' mask
   x' = bg + (x - bg) * factor, bg = the median of the raw pixels where labels == 0 (per
   channel). With --magnify M the dimmed image is then enlarged M times (bilinear, labels
   nearest, as models/magnify_test.py does); with --noise S Gaussian noise of standard
   deviation S times the image's nucleus contrast (the median of x - bg over all nucleus
   pixels before dimming) is added to every pixel, from the same generator. The dtype is
   kept (rounded and clipped). Dimmed images go to OUT_DIR/dimmed/ in the
   layout of the original (flat, or ID/images/ID.png for the RGBA stage-1 PNGs, which
   models/tune.py reads with --channel 0), the dimmed label ids to OUT_DIR/dimmed.json.
2. The plain pipe `dc-predict IMAGE --model MODEL | dc-watershed` (the model's recorded
   settings) runs on them through models/tune.py's score() (BIN=.build/release), outputs in
   OUT_DIR/pipe/. Scores: the pooled F1 of DeepCell's metrics (dc-metrics, IoU > 0.6, as
   tune.py --score prints it), and the recall of the dimmed and of the undimmed ground-truth
   nuclei: the fraction whose best IoU with a predicted object is >= 0.5.

    python models/dim_test.py MODEL LABELS.tsv VAL_IDS OUT_DIR [--fraction 0.3]
        [--factor 0.1 0.3] [--seed 0] [--magnify 1] [--noise 0]

The noisy test (`--magnify 3 --noise 0.25`) stands in for low-light movies of large nuclei such
as GOWT1's: dim nuclei at about 50 px whose contrast is near the pixel noise.

Prints `dim-test F1 ... dimmed-recall ... (n=N) undimmed-recall ... (n=M)` and writes the same
to OUT_DIR/dim_test.json.
"""
import contextlib
import io
import json
import os
import sys
import zlib

import imageio.v3 as iio
import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import magnify_test  # noqa: E402
import tune  # noqa: E402


def dim(image, labels, rng, fraction, factor, magnify=1.0, noise=0.0):
    """The image with a random subset of its nuclei dimmed (then enlarged `magnify` times and
    given Gaussian noise of `noise` times the nucleus contrast), its labels (enlarged alike),
    and the dimmed label ids."""
    ids = np.unique(labels[labels > 0])
    chosen = rng.random(len(ids)) < fraction
    factors = rng.uniform(factor[0], factor[1], len(ids))
    x = image.astype(np.float64)
    bg = np.median(x[labels == 0], axis=0)  # per channel when x is H x W x C
    contrast = np.median(x[labels > 0] - bg, axis=0) if len(ids) else 0.0
    for label, f in zip(ids[chosen], factors[chosen]):
        mask = labels == label
        x[mask] = bg + (x[mask] - bg) * f
    if magnify != 1:
        x, labels = magnify_test.enlarge(x, labels, magnify)
    if noise > 0:
        x = x + rng.normal(0.0, 1.0, x.shape) * noise * np.abs(contrast)
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        x = np.clip(np.rint(x), info.min, info.max)
    return x.astype(image.dtype), labels, [int(i) for i in ids[chosen]]


def best_iou(truth, pred):
    """For each label 1..truth.max(), its best IoU with a predicted object (0 when none)."""
    nt, n_p = int(truth.max()) + 1, int(pred.max()) + 1
    both = (truth > 0) & (pred > 0)
    pairs, inter = np.unique(truth[both].astype(np.int64) * n_p + pred[both], return_counts=True)
    t, p = pairs // n_p, pairs % n_p
    area_t = np.bincount(truth.ravel(), minlength=nt)
    area_p = np.bincount(pred.ravel(), minlength=n_p)
    best = np.zeros(nt)
    np.maximum.at(best, t, inter / (area_t[t] + area_p[p] - inter))
    return best


def main():
    ap = tune.test_arguments(__doc__)
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--factor", type=float, nargs=2, default=[0.1, 0.3])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--magnify", type=float, default=1.0)
    ap.add_argument("--noise", type=float, default=0.0)
    a = ap.parse_args()
    if not a.magnify > 0 or not a.noise >= 0:
        ap.error(f"--magnify must be > 0 and --noise >= 0 (got {a.magnify}, {a.noise})")
    paths, ids = tune.training_side(a.labels_tsv, a.val_ids)
    root = os.path.join(a.out, "dimmed")
    os.makedirs(os.path.join(root, "labels"), exist_ok=True)
    dimmed, truths, tsv = {}, {}, []
    for i in ids:
        original = tune.image_path(paths[i])
        labels = tifffile.imread(paths[i])
        rng = np.random.default_rng(a.seed + zlib.crc32(i.encode()))
        image, labels, dimmed[i] = dim(iio.imread(original), labels, rng, a.fraction, a.factor,
                                       a.magnify, a.noise)
        # The original's layout, so that tune.image_path finds the image and --channel 0 is
        # passed exactly when it is for the original.
        stage1 = "/images/" in original
        truth = os.path.join(root, "labels" if stage1 else "", i + ".tif")
        path = os.path.join(root, i, "images", i + ".png") if stage1 else truth[:-4] + ".png"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        iio.imwrite(path, image)
        if ("/images/" in path) != stage1 or tune.image_path(truth) != path:
            sys.exit(f"OUT_DIR {a.out} breaks tune.py's image layout; choose another")
        if os.path.lexists(truth):
            os.remove(truth)
        if a.magnify == 1:
            os.symlink(os.path.abspath(paths[i]), truth)
        else:
            tifffile.imwrite(truth, labels)
        truths[i] = truth
        tsv.append(f"{i}\t{truth}\n")
    with open(os.path.join(a.out, "dimmed.json"), "w") as f:
        json.dump(dimmed, f, indent=1)
    with open(os.path.join(a.out, "dimmed-labels.tsv"), "w") as f:
        f.writelines(tsv)
    pipe = os.path.join(a.out, "pipe")
    with contextlib.redirect_stdout(io.StringIO()):  # its line names the F1 pooled below
        tune.score(a.model, os.path.join(a.out, "dimmed-labels.tsv"), a.val_ids, pipe)
    f1 = tune.pooled_f1([f"{pipe}/{i}-s.json" for i in ids])
    hits = {True: [], False: []}  # dimmed?: hit per nucleus
    for i in ids:
        truth = tifffile.imread(truths[i])  # the labels scored, enlarged with --magnify
        best = best_iou(truth, tifffile.imread(f"{pipe}/{i}-s.tif"))
        chosen = set(dimmed[i])
        for label in np.unique(truth[truth > 0]):
            hits[int(label) in chosen].append(bool(best[label] >= 0.5))
    r = {"f1": round(f1, 4), "n_images": len(ids), "fraction": a.fraction, "factor": a.factor,
         "seed": a.seed, "magnify": a.magnify, "noise": a.noise, "model": a.model}
    for key, d in (("dimmed", True), ("undimmed", False)):
        r[f"{key}_recall"] = round(float(np.mean(hits[d])), 4) if hits[d] else None
        r[f"n_{key}"] = len(hits[d])
    fmt = (lambda v: "n/a" if v is None else f"{v:.4f}")
    print(f"dim-test F1 {f1:.4f} dimmed-recall {fmt(r['dimmed_recall'])} (n={r['n_dimmed']}) "
          f"undimmed-recall {fmt(r['undimmed_recall'])} (n={r['n_undimmed']})", flush=True)
    with open(os.path.join(a.out, "dim_test.json"), "w") as f:
        json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
