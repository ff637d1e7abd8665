"""Where a tracking result's detection errors are: which nuclei it misses and which objects it adds,
grouped by track, so an AOGM can be read as "one nucleus missed for 30 frames" rather than as a
count. A diagnosis for the CTC movies (they choose nothing: never tune on them).

Matching is the CTC's DET matching (Matula et al. 2015): a result object matches a reference
marker (GT/TRA/man_trackTTT.tif) when it covers more than half of the marker's pixels. A marker
no object matches is a false negative (FN, AOGM weight 10); an object matching no marker is a
false positive (FP, weight 1); an object matching two or more markers needs splitting (NS,
weight 5). With --raw (the movie, T × H × W) each row also gives the mean raw intensity inside the
marker or object and the frame's background (mean of the pixels outside every marker and object).

    python bench/ctc_detection_errors.py RES_DIR GT_DIR [--raw raw.tif]

RES_DIR holds maskTTT.tif (dc-track --ctc); GT_DIR the sequence's 01_GT. Prints a Markdown
table a row per track with the frames in error, then the totals with their AOGM weights.
"""
import argparse
import glob
import os
import re
import sys

import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from track_division_analysis import cover  # noqa: E402


def frame_errors(marker, result):
    """(FN marker ids, FP object ids, NS object ids) of one frame."""
    matches = {}
    fn = []
    for m in np.unique(marker)[1:]:
        label, share = cover(marker, result, m)
        if label and share > 0.5:
            matches.setdefault(label, []).append(int(m))
        else:
            fn.append(int(m))
    objects = [int(o) for o in np.unique(result)[1:]]
    fp = [o for o in objects if o not in matches]
    ns = [o for o, ms in matches.items() if len(ms) > 1]
    return fn, fp, ns


def frames_text(frames):
    """'3-7, 9' for [3, 4, 5, 6, 7, 9]."""
    runs, start = [], None
    for i, f in enumerate(frames):
        if start is None:
            start = f
        if i + 1 == len(frames) or frames[i + 1] != f + 1:
            runs.append(f"{start}" if start == f else f"{start}-{f}")
            start = None
    return ", ".join(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("res")
    parser.add_argument("gt")
    parser.add_argument("--raw")
    args = parser.parse_args()
    markers = sorted(glob.glob(os.path.join(args.gt, "TRA", "man_track*.tif")))
    if not markers:
        sys.exit(f"ctc_detection_errors.py: no TRA/man_track*.tif in {args.gt}")
    raw = tifffile.imread(args.raw) if args.raw else None
    rows = {}  # (kind, id) -> list of (frame, area, mean, background)
    for path in markers:
        t = int(re.search(r"(\d+)\.tif$", path).group(1))
        result_path = os.path.join(args.res, f"mask{t:03d}.tif")
        if not os.path.exists(result_path):
            sys.exit(f"ctc_detection_errors.py: {result_path} is missing")
        marker = tifffile.imread(path)
        result = tifffile.imread(result_path).reshape(marker.shape)
        outside = (marker == 0) & (result == 0)
        background = float(raw[t][outside].mean()) if raw is not None else None
        fn, fp, ns = frame_errors(marker, result)
        for kind, ids, image in (("FN", fn, marker), ("FP", fp, result), ("NS", ns, result)):
            for i in ids:
                inside = image == i
                mean = float(raw[t][inside].mean()) if raw is not None else None
                rows.setdefault((kind, i), []).append((t, int(inside.sum()), mean, background))
    print("| error | track (reference id for FN, result id else) | frames | mean area (px) "
          "| mean raw inside / background |")
    print("|---|---|---|---|---|")
    for (kind, i), hits in sorted(rows.items(), key=lambda kv: (kv[0][0], -len(kv[1]), kv[0][1])):
        area = np.mean([h[1] for h in hits])
        contrast = (
            f"{np.mean([h[2] for h in hits]):.1f} / {np.mean([h[3] for h in hits]):.1f}"
            if raw is not None else "")
        print(f"| {kind} | {i} | {frames_text([h[0] for h in hits])} ({len(hits)}) "
              f"| {area:.0f} | {contrast} |")
    totals = {k: sum(len(v) for (kind, _), v in rows.items() if kind == k)
              for k in ("FN", "FP", "NS")}
    weighted = 10 * totals["FN"] + totals["FP"] + 5 * totals["NS"]
    print(f"\nFN {totals['FN']} (×10), FP {totals['FP']} (×1), NS {totals['NS']} (×5): "
          f"{weighted} of the AOGM from detection")


if __name__ == "__main__":
    main()
