"""What the unmatched objects of a segmentation are, on training-side images (VAL_IDS; held-out
ids of models/held-out.txt are refused): a diagnosis of where AP@0.5 is lost.

Per image, the labels SEG_DIR/ID-SUFFIX.tif are compared with the annotations (LABELS.tsv).
An annotated nucleus is matched when some object has IoU ≥ 0.5 with it; otherwise it is
- merged: the object holding most of it also holds ≥ 30 % of another nucleus;
- missed: no object covers ≥ 20 % of it;
- loose: one object covers ≥ 50 % of it (or it meets only one object), without IoU 0.5;
- split: its pixels are shared among several objects, none holding half.
An object with no IoU ≥ 0.5 is: spurious (≥ 80 % of it on background), merged (it holds ≥ 30 %
of two or more nuclei), a fragment (of a matched nucleus, or under half of its nucleus's
area), else a loose outline.

    python models/error_breakdown.py LABELS.tsv VAL_IDS SEG_DIR [--suffix 1]

Prints the two counts and, per image, the merged nuclei and the objects holding them.
"""
import argparse
import os
import sys

import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tune  # noqa: E402


def breakdown(truth, labels, nuclei, objects):
    """Adds the classes of `truth`'s nuclei and of `labels`' objects to the two tallies;
    returns (merged nuclei, merged objects) of this image."""
    both = (truth > 0) & (labels > 0)
    pairs, counts = np.unique(np.stack([truth[both], labels[both]]), axis=1, return_counts=True)
    truth_area = np.bincount(truth.ravel())
    label_area = np.bincount(labels.ravel())
    best_truth, best_label, held, pieces = {}, {}, {}, {}
    for (t, o), c in zip(pairs.T, counts):
        iou = c / (truth_area[t] + label_area[o] - c)
        best_truth[t] = max(best_truth.get(t, 0), iou)
        best_label[o] = max(best_label.get(o, 0), iou)
        held.setdefault(o, []).append((t, c))
        pieces.setdefault(t, []).append((o, c))

    def holds_several(o):
        return sum(1 for t, c in held[o] if c >= 0.3 * truth_area[t]) >= 2

    for t in np.unique(truth[truth > 0]):
        if best_truth.get(t, 0) >= 0.5:
            nuclei["matched"] += 1
            continue
        parts = pieces.get(t, [])
        if not parts or max(c for _, c in parts) < 0.2 * truth_area[t]:
            nuclei["missed"] += 1
            continue
        o, c = max(parts, key=lambda p: p[1])
        if holds_several(o):
            nuclei["merged"] += 1
        elif c >= 0.5 * truth_area[t] or len(parts) == 1:
            nuclei["loose"] += 1
        else:
            nuclei["split"] += 1
    merged_nuclei = merged_objects = 0
    for o in np.unique(labels[labels > 0]):
        if o in held and holds_several(o):
            merged_objects += 1
            merged_nuclei += sum(1 for t, c in held[o] if c >= 0.3 * truth_area[t])
        if best_label.get(o, 0) >= 0.5:
            continue
        if o not in held or max(c for _, c in held[o]) < 0.2 * label_area[o]:
            objects["spurious"] += 1
        elif holds_several(o):
            objects["merged"] += 1
        else:
            t, _ = max(held[o], key=lambda p: p[1])
            fragment = best_truth.get(t, 0) >= 0.5 or label_area[o] < 0.5 * truth_area[t]
            objects["fragment" if fragment else "loose"] += 1
    return merged_nuclei, merged_objects


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labels_tsv")
    parser.add_argument("val_ids")
    parser.add_argument("seg_dir")
    parser.add_argument("--suffix", default="1")
    args = parser.parse_args()
    paths, ids = tune.training_side(args.labels_tsv, args.val_ids)
    nuclei = dict.fromkeys(("matched", "merged", "missed", "loose", "split"), 0)
    objects = dict.fromkeys(("spurious", "merged", "fragment", "loose"), 0)
    for i in ids:
        truth = tifffile.imread(paths[i])
        labels = tifffile.imread(f"{args.seg_dir}/{i}-{args.suffix}.tif")
        n, o = breakdown(truth, labels, nuclei, objects)
        if n:
            print(f"{i[:12]} {truth.shape}: {n} merged nuclei in {o} objects")
    print("annotated nuclei:", ", ".join(f"{k} {v}" for k, v in nuclei.items()))
    print("unmatched objects:", ", ".join(f"{k} {v}" for k, v in objects.items()))


if __name__ == "__main__":
    main()
