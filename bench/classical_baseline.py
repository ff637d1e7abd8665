"""The classical nuclear segmentation baseline of issue 5, tuned and scored on our DSB split.

Pipeline (scikit-image / scipy): Gaussian smoothing (sigma), Otsu threshold, hole filling and
removal of specks, Euclidean distance transform of the mask, peak_local_max markers
(min_distance, one peak per connected blob at least), marker watershed of the negated distance
inside the mask. sigma and min_distance are tuned on the *training* images by pooled F1, then
the best setting segments the held-out images (models/held-out.txt), written as label TIFFs that
models/evaluate.sh-style scoring (dc-metrics, pooled) compares with the model's.

    .oracle/bin/python bench/classical_baseline.py DATA HELD_OUT.txt OUT_DIR
    python bench/classical_baseline.py DATA HELD_OUT.txt OUT_DIR --sigma 1 --min-distance 9

The second form segments the held-out images with a setting chosen before (issue 5 chose
sigma 1, min_distance 9 on the 25 training images of dsb2018-stage1-fluo-nuclei) and needs only
scikit-image and scipy; DATA may also be the flat dsb2018-stage1-fluo-nuclei-more folder.
"""
import contextlib
import itertools
import json
import os
import sys
import warnings

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage import filters, io, measure, morphology, segmentation
from skimage.feature import peak_local_max

warnings.filterwarnings("ignore")


def segment(image, sigma, min_distance):
    smooth = filters.gaussian(image, sigma=sigma, preserve_range=True)
    if smooth.max() == smooth.min():
        return np.zeros(image.shape, np.int32)
    mask = smooth > filters.threshold_otsu(smooth)
    mask = ndi.binary_fill_holes(mask)
    mask = morphology.remove_small_objects(mask, 10)
    distance = ndi.distance_transform_edt(mask)
    blobs = measure.label(mask)
    peaks = peak_local_max(distance, min_distance=min_distance, labels=blobs, exclude_border=False)
    markers = np.zeros(image.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    # A blob without a peak (plateau smaller than min_distance) still gets a marker.
    for region in measure.regionprops(blobs):
        if not markers[blobs == region.label].any():
            r, c = map(int, region.coords[len(region.coords) // 2])
            markers[r, c] = markers.max() + 1
    return segmentation.watershed(-distance, markers, mask=mask).astype(np.int32)


def pooled_f1(pairs):
    from deepcell_toolbox.metrics import Metrics

    correct = n_pred = n_true = 0
    for truth, pred in pairs:
        m = Metrics("baseline")
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            s = m.calc_object_stats(truth[None], pred[None], progbar=False)
        correct += int(s["correct_detections"].sum())
        n_pred += int(s["n_pred"].sum())
        n_true += int(s["n_true"].sum())
    return 2 * correct / (n_pred + n_true)


def load(data, i):
    flat = os.path.join(data, i + ".png")  # dsb2018-stage1-fluo-nuclei-more: <id>.png, <id>.tif
    if os.path.isfile(flat):
        return io.imread(flat).astype(np.float32), tifffile.imread(os.path.join(data, i + ".tif"))
    image = io.imread(os.path.join(data, i, "images", i + ".png"))
    image = image[..., 0] if image.ndim == 3 else image
    return image.astype(np.float32), tifffile.imread(os.path.join(data, "labels", i + ".tif"))


def main(data, held_out_file, out, setting=None):
    held = open(held_out_file).read().split()
    if setting:  # a setting chosen before (on training images): segment the held-out images
        os.makedirs(out, exist_ok=True)
        for i in held:
            x, _ = load(data, i)
            tifffile.imwrite(os.path.join(out, i + "-labels.tif"), segment(x, *setting).astype(np.uint16))
        return
    ids = sorted(d for d in os.listdir(data) if os.path.isfile(os.path.join(data, d, "images", d + ".png")))
    train = [load(data, i) for i in ids if i not in held]
    best = None
    for sigma, md in itertools.product([1, 2], [3, 5, 7, 9, 12]):
        f = pooled_f1([(y, segment(x, sigma, md)) for x, y in train])
        print(f"train sigma {sigma} min_distance {md}: pooled F1 {f:.4f}", flush=True)
        if best is None or f > best[0]:
            best = (f, sigma, md)
    f, sigma, md = best
    print(f"best on the training images: sigma {sigma} min_distance {md} (F1 {f:.4f})")
    os.makedirs(out, exist_ok=True)
    for i in held:
        x, _ = load(data, i)
        tifffile.imwrite(os.path.join(out, i + "-labels.tif"), segment(x, sigma, md).astype(np.uint16))
    with open(os.path.join(out, "setting.json"), "w") as fh:
        json.dump({"sigma": sigma, "min_distance": md, "train_f1": f}, fh)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--sigma" in args:  # DATA HELD_OUT OUT --sigma S --min-distance D: no tuning
        s = float(args[args.index("--sigma") + 1])
        d = int(args[args.index("--min-distance") + 1])
        main(*args[:3], setting=(s, d))
    else:
        main(*args[:3])
