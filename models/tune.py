"""Chooses the settings a model file records, on training-side images only (never the held-out
split): the calibration of `dc-predict --diameter auto` and the deep-watershed settings.

Images: the training-side validation images of the recipe (VAL_IDS, written by
models/dsb_dataset.py --val-ids; they were not trained on, only used to pick the checkpoint).
1. Each image is predicted once with --diameter auto (calibration 1) and once at its true
   median nucleus diameter (from its labels). The calibration is the median ratio of true to
   estimated diameters.
2. On the maps at the true diameter, every watershed setting of the grid (in model pixels,
   converted to each image's pixels with the scale dc-predict recorded, as dc-watershed
   converts a model's settings) is scored by dc-metrics, pooled over the images (F1, IoU > 0.6).

    python models/tune.py MODEL LABELS.tsv VAL_IDS OUT_DIR   (BIN=.build/release)

Prints one line per setting and a JSON line with the choice, which models/train.sh writes into
the model with models/model_file.py. `--score MODEL LABELS.tsv VAL_IDS OUT_DIR` prints the
pooled F1 of the plain pipe with the settings a model file records, to compare candidates on
the same training-side images.
"""
import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import tifffile

BIN = os.environ.get("BIN", ".build/release")


HELD_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "held-out.txt")


def training_side(labels_tsv, val_ids):
    """Label paths by image id, and the ids of VAL_IDS; exits when any of them is held out
    (models/held-out.txt), so that scripts choosing or checking settings never read the split."""
    paths = dict(line.rstrip("\n").split("\t") for line in open(labels_tsv) if line.strip())
    ids = [i.strip() for i in open(val_ids) if i.strip()]
    held = {i.strip() for i in open(HELD_OUT) if i.strip()} if os.path.isfile(HELD_OUT) else set()
    if held & set(ids):
        sys.exit(f"{val_ids} lists held-out ids ({len(held & set(ids))}); use the validation ids")
    return paths, ids


def held_out_side(labels_tsv, ids_file):
    """Label paths by image id, and the ids of IDS_FILE; exits unless every one of them is held
    out: for measurements of a goal on the split (bench/diameter_auto.py --held-out), which
    choose nothing."""
    paths = dict(line.rstrip("\n").split("\t") for line in open(labels_tsv) if line.strip())
    ids = [i.strip() for i in open(ids_file) if i.strip()]
    held = {i.strip() for i in open(HELD_OUT) if i.strip()} if os.path.isfile(HELD_OUT) else set()
    if not ids or set(ids) - held:
        sys.exit(f"{ids_file} must list only held-out ids ({HELD_OUT})")
    return paths, ids


def test_arguments(doc):
    """The parser of a training-side checkpoint test (dim_test.py, magnify_test.py): MODEL
    LABELS.tsv VAL_IDS OUT_DIR, described by the first paragraph of the script's `doc`."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    for name in ("model", "labels_tsv", "val_ids", "out"):
        parser.add_argument(name)
    return parser


def median_diameter(labels):
    _, counts = np.unique(labels[labels > 0], return_counts=True)
    return float(np.median(np.sqrt(4 * counts / np.pi))) if len(counts) else 0.0


def image_path(label_path):
    base = label_path[:-4]
    if os.path.isfile(base + ".png"):
        return base + ".png"  # the flat -more layout
    i = os.path.basename(base)
    return os.path.join(os.path.dirname(os.path.dirname(label_path)), i, "images", i + ".png")


def predict(model, image, maps, extra):
    channel = ["--channel", "0"] if "/images/" in image else []  # RGBA PNGs of the first 31
    run = subprocess.run([f"{BIN}/dc-predict", image, "--model", model, "-o", maps] + channel + extra,
                         capture_output=True, text=True, check=True)
    return run.stderr


def auto_estimate(stderr):
    """The diameter dc-predict's stderr reports for `--diameter auto`, or None."""
    m = re.search(r"nucleus diameter \(auto\): ([0-9.]+) px", stderr)
    return float(m.group(1)) if m else None


def plain_pipe(model, image, labels, extra=()):
    """`dc-predict IMAGE --model MODEL [EXTRA] | dc-watershed -o LABELS` (the model's recorded
    settings); exits when dc-predict fails."""
    channel = ["--channel", "0"] if "/images/" in image else []
    predict = subprocess.Popen([f"{BIN}/dc-predict", image, "--model", model, "--quiet"] + channel + list(extra),
                               stdout=subprocess.PIPE)
    subprocess.run([f"{BIN}/dc-watershed", "--quiet", "-o", labels], stdin=predict.stdout, check=True)
    if predict.wait() != 0:
        sys.exit(f"dc-predict failed on {image}")


def score_labels(labels, truth):
    """dc-metrics' JSON report of LABELS against TRUTH, written beside LABELS (.json); its path."""
    report = os.path.splitext(labels)[0] + ".json"
    subprocess.run([f"{BIN}/dc-metrics", labels, "--truth", truth, "--format", "json", "--quiet", "-o", report],
                   check=True)
    return report


def scale_of(maps):
    return json.loads(zipfile.ZipFile(maps).read("dc_tools.json"))["scale"]


def pooled_f1(reports):
    c = p = t = 0
    for r in reports:
        s = json.load(open(r))["summary"]
        c, p, t = c + s["correct_detections"], p + s["n_pred"], t + s["n_true"]
    return 2 * c / (p + t) if p + t else 1.0


def score(model, labels_tsv, val_ids, out):
    """Pooled F1 of the plain pipe `dc-predict IMAGE --model MODEL | dc-watershed` (the model's
    recorded settings, no flags) on the images of VAL_IDS."""
    os.makedirs(out, exist_ok=True)
    paths = dict(line.rstrip("\n").split("\t") for line in open(labels_tsv) if line.strip())
    reports = []
    for i in (i.strip() for i in open(val_ids) if i.strip()):
        plain_pipe(model, image_path(paths[i]), f"{out}/{i}-s.tif")
        reports.append(score_labels(f"{out}/{i}-s.tif", paths[i]))
    print(f"{model}: plain pipe F1 {pooled_f1(reports):.4f} on {len(reports)} images", flush=True)


def main(model, labels_tsv, val_ids, out):
    os.makedirs(out, exist_ok=True)
    paths = dict(line.rstrip("\n").split("\t") for line in open(labels_tsv) if line.strip())
    ids = [i.strip() for i in open(val_ids) if i.strip()]
    ratios, oracle = [], {}
    for i in ids:
        truth = paths[i]
        d = median_diameter(tifffile.imread(truth))
        log = predict(model, image_path(truth), f"{out}/{i}-auto.npz", [])
        est = auto_estimate(log) or float("nan")
        if os.environ.get("GRID", "1") != "0":  # the grid's maps, at the true diameter
            predict(model, image_path(truth), f"{out}/{i}-true.npz", ["--diameter", str(d), "--quiet"])
            oracle[i] = (truth, f"{out}/{i}-true.npz", scale_of(f"{out}/{i}-true.npz"))
        ratios.append(d / est)
        print(f"{i}: true {d:.1f} estimated {est:.1f} ratio {d / est:.2f}", flush=True)
    calibration = float(np.nanmedian(ratios))
    logr = np.log(np.array(ratios) / calibration)
    print(f"calibration {calibration:.3f}; after it, |log error| median {np.nanmedian(np.abs(logr)):.3f}, "
          f"max {np.nanmax(np.abs(logr)):.3f}", flush=True)
    if os.environ.get("GRID", "1") == "0":  # calibration only
        print(json.dumps({"calibration": round(calibration, 3)}))
        return
    grid = itertools.product([2, 3, 4, 5, 7], [0.05, 0.1], [0.01, 0.05, 0.1], [0, 10])
    best = None
    for radius, h, interior, small in grid:
        reports = []
        for i, (truth, maps, s) in oracle.items():
            flags = ["--radius", str(max(1, round(radius / s))), "--maxima-threshold", str(h),
                     "--interior-threshold", str(interior), "--interior-smooth", f"{1 / s:.4f}",
                     "--small-objects-threshold", str(round(small / s / s))]
            subprocess.run([f"{BIN}/dc-watershed", maps, "-o", f"{out}/{i}-l.tif", "--quiet"] + flags, check=True)
            subprocess.run([f"{BIN}/dc-metrics", f"{out}/{i}-l.tif", "--truth", truth, "--format", "json",
                            "--quiet", "-o", f"{out}/{i}-m.json"], check=True)
            reports.append(f"{out}/{i}-m.json")
        f1 = pooled_f1(reports)
        print(f"F1 {f1:.4f} radius {radius} maxima_threshold {h} interior_threshold {interior} "
              f"small_objects {small}", flush=True)
        if best is None or f1 > best[0]:
            best = (f1, radius, h, interior, small)
    f1, radius, h, interior, small = best
    choice = {"calibration": round(calibration, 3), "f1": round(f1, 4),
              "watershed": {"radius": radius, "maximaThreshold": h, "interiorThreshold": interior,
                            "interiorSmooth": 1, "smallObjectsThreshold": small}}
    print(json.dumps(choice))


if __name__ == "__main__":
    if sys.argv[1] == "--score":  # python models/tune.py --score MODEL LABELS.tsv VAL_IDS OUT_DIR
        score(*sys.argv[2:6])
    else:
        main(*sys.argv[1:5])
