"""Is `--diameter auto` as good as the best hand-picked scale? (issue 14 §3)

For each image of the training-side validation ids and for each CTC sequence, the default pipe
runs once with dc-predict's automatic diameter D and once for each hand-picked diameter f·D
(f in FACTORS); the estimate is read from dc-predict's stderr.

DSB: images are grouped by shape (the sizes of DSB-2018); per group the pooled F1 (DeepCell's
Metrics through dc-metrics) of auto against the best single factor for the group (one scale
hand-picked for all images of that size) and against the per-image best (an oracle).
CTC: `dc-normalize raw | dc-predict [--diameter] | dc-watershed | dc-track --ctc`, TRA by
dc-metrics track, auto against each factor.

    python bench/diameter_auto.py LABELS.tsv VAL_IDS OUT_DIR [--ctc SEQ_DIR ...]
        [--model models/nuclear.npz] [--factors 0.6,0.75,0.9,1.1,1.25,1.5] [--held-out]

VAL_IDS must not list held-out images (models/held-out.txt), unless --held-out is given: then
it must list only held-out images, and the run measures the goal on images never tuned on.
Such a run is a measurement only: no scale, factor or setting may be chosen from it.
Environment: BIN (default .build/release). Prints Markdown tables.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
from collections import defaultdict

import numpy as np
import tifffile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import tune  # noqa: E402  (training_side, image_path, median_diameter)

BIN = os.environ.get("BIN", ".build/release")


def estimate(stderr):
    d = tune.auto_estimate(stderr)
    if d is None:
        sys.exit(f"no automatic diameter in dc-predict's stderr: {stderr.strip()}")
    return d


def dsb_image(image, truth, out, factors, model):
    """Counts (correct, predicted, true) for auto and each factor, and the estimate."""
    channel = ["--channel", "0"] if "/images/" in image else []
    counts = {}
    runs = [("auto", [])] + [(f, None) for f in factors]
    d = None
    for key, flags in runs:
        if flags is None:
            flags = ["--diameter", f"{key * d:.4f}"]
        maps = f"{out}-{key}.npz"
        r = subprocess.run([f"{BIN}/dc-predict", image, "--model", model, "-o", maps] + channel + flags,
                           capture_output=True, text=True, check=True)
        if key == "auto":
            d = estimate(r.stderr)
        subprocess.run([f"{BIN}/dc-watershed", maps, "--quiet", "-o", f"{out}-{key}.tif"], check=True)
        subprocess.run([f"{BIN}/dc-metrics", f"{out}-{key}.tif", "--truth", truth, "--format", "json",
                        "--quiet", "-o", f"{out}-{key}.json"], check=True)
        s = json.load(open(f"{out}-{key}.json"))["summary"]
        counts[key] = (s["correct_detections"], s["n_pred"], s["n_true"])
        os.remove(maps)
    return counts, d


def f1(counts):
    c, p, t = (sum(x[i] for x in counts) for i in range(3))
    return 2 * c / (p + t) if p + t else 1.0


def ctc(seq, out, factors, model):
    os.makedirs(out, exist_ok=True)
    raw = f"{out}/raw.tif"
    files = sorted(glob.glob(f"{seq}/01/t*.tif"))
    tifffile.imwrite(raw, np.stack([tifffile.imread(f) for f in files]))
    subprocess.run([f"{BIN}/dc-normalize", raw, "--model", model, "--quiet", "-o", f"{out}/norm.tif"], check=True)
    rows, d = [], None
    for key in ["auto"] + factors:
        flags = [] if key == "auto" else ["--diameter", f"{key * d:.4f}"]
        r = subprocess.run([f"{BIN}/dc-predict", f"{out}/norm.tif", "--model", model, "-o", f"{out}/maps.npz"]
                           + flags, capture_output=True, text=True, check=True)
        if key == "auto":
            d = estimate(r.stderr)
        res = f"{out}/RES-{key}"
        subprocess.run(f"'{BIN}/dc-watershed' '{out}/maps.npz' --quiet | '{BIN}/dc-track' --ctc '{res}' --quiet",
                       shell=True, check=True)
        subprocess.run([f"{BIN}/dc-metrics", "track", res, "--truth", f"{seq}/01_GT", "--division-tolerance", "1",
                        "--format", "json", "--quiet", "-o", f"{out}/ctc-{key}.json"], check=True)
        r = json.load(open(f"{out}/ctc-{key}.json"))
        rows.append((key, (d if key == "auto" else key * d), r.get("summary", r)["TRA"]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labels_tsv")
    ap.add_argument("val_ids")
    ap.add_argument("out")
    ap.add_argument("--ctc", nargs="*", default=[])
    ap.add_argument("--model", default="models/nuclear.npz")
    ap.add_argument("--factors", default="0.6,0.75,0.9,1.1,1.25,1.5")
    ap.add_argument("--held-out", action="store_true",
                    help="VAL_IDS lists held-out images: measure on them (choose nothing from it)")
    a = ap.parse_args()
    factors = [float(f) for f in a.factors.split(",")]
    side = tune.held_out_side if a.held_out else tune.training_side
    paths, ids = side(a.labels_tsv, a.val_ids)
    os.makedirs(a.out, exist_ok=True)
    groups = defaultdict(list)  # shape -> [(id, counts, estimate, true diameter)]
    for i in ids:
        truth = tifffile.imread(paths[i])
        counts, d = dsb_image(tune.image_path(paths[i]), paths[i], f"{a.out}/{i}", factors, a.model)
        groups[truth.shape].append((i, counts, d, tune.median_diameter(truth)))
        print(f"{i[:12]} {truth.shape} auto {d:.1f} px (true median {tune.median_diameter(truth):.1f})",
              file=sys.stderr, flush=True)
    print("| image size | images | auto F1 | best single scale (factor of auto) F1 | auto − best | per-image best F1 |")
    print("|---|---|---|---|---|---|")
    everything = []
    for shape in sorted(groups, key=lambda s: (s[0] * s[1], s)):
        g = groups[shape]
        everything += g
        auto = f1([c["auto"] for _, c, _, _ in g])
        best_f, best = max(((f, f1([c[f] for _, c, _, _ in g])) for f in factors), key=lambda x: x[1])
        best = max(best, auto)
        oracle = f1([max(c.values(), key=lambda x: (2 * x[0] / (x[1] + x[2]) if x[1] + x[2] else 1)) for _, c, _, _ in g])
        print(f"| {shape[0]}×{shape[1]} | {len(g)} | {auto:.4f} | {best:.4f} ({best_f if best > auto else 'auto'}) "
              f"| {auto - best:+.4f} | {oracle:.4f} |")
    auto = f1([c["auto"] for _, c, _, _ in everything])
    print(f"| all | {len(everything)} | {auto:.4f} | " + ", ".join(
        f"{f}: {f1([c[f] for _, c, _, _ in everything]):.4f}" for f in factors) + " | | |")
    for seq in a.ctc:
        rows = ctc(seq, f"{a.out}/{os.path.basename(seq)}", factors, a.model)
        print(f"\n{os.path.basename(seq)}: TRA by diameter")
        print("| diameter | px | TRA |\n|---|---|---|")
        for key, d, tra in rows:
            print(f"| {key if key == 'auto' else f'{key} × auto'} | {d:.1f} | {tra:.4f} |")
        best = max(r[2] for r in rows)
        print(f"auto − best hand-picked: {rows[0][2] - best:+.4f}")


if __name__ == "__main__":
    main()
