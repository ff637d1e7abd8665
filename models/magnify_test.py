"""Magnification test: does a model, with `--diameter auto`, still segment nuclei much larger
than its training images' (as in microscopy at higher magnification, e.g. the CTC movies' 50 px
nuclei)? Used to choose training checkpoints, so it reads only the training-side validation
images (VAL_IDS, written by models/dsb_dataset.py --val-ids) and refuses held-out ids
(models/held-out.txt).

Method, per validation image and per factor f of --factors:
1. The raw image is enlarged f times (bilinear, scikit-image `rescale`, order 1, dtype kept),
   its labels with nearest-neighbour sampling (order 0), written to OUT_DIR/xF/ in the layout
   of the original (flat, or ID/images/ID.png for the RGBA stage-1 PNGs, read with --channel 0).
2. The plain pipe `dc-predict IMAGE --model MODEL | dc-watershed` (no flags: automatic
   diameter, the model's recorded settings) runs on it, and dc-metrics scores it against the
   enlarged labels.
Scores per factor: the pooled F1 (DeepCell's metrics, IoU > 0.6), and the median and worst
|log2(estimated / true)| of the automatic diameter, true being the enlarged labels' median
equivalent diameter.

    python models/magnify_test.py MODEL LABELS.tsv VAL_IDS OUT_DIR [--factors 2,3]

Environment: BIN (default .build/release). Prints one line per factor and a last line
`magnify-test F1 ...` (pooled over all factors), and writes them to OUT_DIR/magnify_test.json.
"""
import json
import math
import os
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import tifffile
from skimage.transform import rescale

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tune  # noqa: E402


def enlarge(image, labels, factor):
    """The image (bilinear, dtype kept) and labels (nearest) enlarged `factor` times."""
    axes = None if image.ndim == 2 else -1
    big = rescale(image.astype(np.float64), factor, order=1, preserve_range=True,
                  anti_aliasing=False, channel_axis=axes)
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        big = np.clip(np.rint(big), info.min, info.max)
    big_labels = rescale(labels, factor, order=0, preserve_range=True, anti_aliasing=False)
    return big.astype(image.dtype), big_labels.astype(labels.dtype)


def run(model, image, truth, out):
    """The dc-metrics report of the plain pipe on one image, and its automatic diameter."""
    try:
        stderr = tune.predict(model, image, f"{out}.npz", [])
    except subprocess.CalledProcessError as e:
        sys.exit(f"dc-predict failed on {image}: {e.stderr.strip()}")
    subprocess.run([f"{tune.BIN}/dc-watershed", f"{out}.npz", "--quiet", "-o", f"{out}.tif"],
                   check=True)
    return tune.score_labels(f"{out}.tif", truth), tune.auto_estimate(stderr)


def main():
    ap = tune.test_arguments(__doc__)
    ap.add_argument("--factors", default="2,3")
    a = ap.parse_args()
    paths, ids = tune.training_side(a.labels_tsv, a.val_ids)
    factors = [float(f) for f in a.factors.split(",")]
    result, everything = {"model": a.model, "n_images": len(ids), "factors": {}}, []
    for factor in factors:
        root = os.path.join(a.out, f"x{factor:g}")
        reports, errors = [], []
        for i in ids:
            original = tune.image_path(paths[i])
            image, labels = enlarge(iio.imread(original), tifffile.imread(paths[i]), factor)
            stage1 = "/images/" in original
            path = (os.path.join(root, i, "images", i + ".png") if stage1
                    else os.path.join(root, i + ".png"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            iio.imwrite(path, image)
            truth = os.path.join(root, i + "-labels.tif")
            tifffile.imwrite(truth, labels)
            report, estimate = run(a.model, path, truth, os.path.join(root, i))
            reports.append(report)
            true = tune.median_diameter(labels)
            errors.append(abs(math.log2(estimate / true)) if estimate and true else math.inf)
        everything += reports
        r = {"f1": round(tune.pooled_f1(reports), 4),
             "median_log2_error": round(float(np.median(errors)), 3),
             "worst_log2_error": round(float(np.max(errors)), 3)}
        result["factors"][f"{factor:g}"] = r
        print(f"x{factor:g}: F1 {r['f1']:.4f} diameter |log2 error| median "
              f"{r['median_log2_error']:.3f} worst {r['worst_log2_error']:.3f}", flush=True)
    result["f1"] = round(tune.pooled_f1(everything), 4)
    print(f"magnify-test F1 {result['f1']:.4f} over factors {a.factors} ({len(ids)} images each)",
          flush=True)
    with open(os.path.join(a.out, "magnify_test.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
