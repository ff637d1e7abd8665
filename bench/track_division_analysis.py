#!/usr/bin/env python3
"""What happens to each true division in a segmentation and in a tracker's result (issue 18).

Usage: track_division_analysis.py GT_DIR SEG_LABELS RES_DIR [--frames K]

GT_DIR is a CTC ground-truth folder (its TRA masks and man_track.txt), SEG_LABELS the label
stack the tracker was given (our segmentation of the raw movie), RES_DIR the tracker's CTC
result folder (maskTTT.tif + res_track.txt). For every ground-truth parent with two daughters
it prints, for the K frames (default 2) before and after the division, how each of parent and
daughters is segmented (the label covering most of it and the share it covers, "merged" when
that label covers most of another true cell too, "-" when nothing covers half of it) and which
result track carries it (label, first frame, parent), then one verdict:

  found          both daughters' result tracks start on the daughters' first frame with the
                 parent's result track as parent (what BC(0) counts),
  late           as found but one or both daughters start later,
  one-continues  one daughter carries on the parent's result track and the other starts a new
                 track with no parent,
  no-parent      the daughters start new tracks with no parent (or other parents),
  merged         the two daughters share one segmented object in their first frame,
  missing        a daughter is not segmented in its first frame.

Matching as the CTC measures do: a segmented object matches a true cell when it covers more
than half of it.
"""
import argparse
import glob
import os

import numpy as np
import tifffile


def load_masks(folder, prefix):
    files = sorted(glob.glob(os.path.join(folder, prefix + "*.tif")))
    masks = [tifffile.imread(f) for f in files]
    return np.stack([np.squeeze(m) for m in masks])


def load_table(path):
    table = {}
    if os.path.getsize(path) == 0:
        return table
    for row in np.loadtxt(path, dtype=np.int64, ndmin=2):
        table[int(row[0])] = (int(row[1]), int(row[2]), int(row[3]))
    return table


def cover(truth, other, label):
    """The label of `other` covering most of `label` in `truth`, and the share covered."""
    m = truth == label
    n = int(m.sum())
    if n == 0:
        return None, 0.0
    v = other[m]
    v = v[v > 0]
    if v.size == 0:
        return 0, 0.0
    counts = np.bincount(v)
    best = int(counts.argmax())
    return best, counts[best] / n


def majority_owner(truth, other, label):
    """The true cells of which the object `label` of `other` covers more than half."""
    owners = []
    m = other == label
    for g in np.unique(truth[m]):
        if g > 0 and (m & (truth == g)).sum() > 0.5 * (truth == g).sum():
            owners.append(int(g))
    return owners


def describe(gt, seg, res, res_table, t, g):
    if t < 0 or t >= len(gt) or not (gt[t] == g).any():
        return "absent"
    s, share = cover(gt[t], seg[t], g)
    if share <= 0.5:
        seg_text = f"seg - ({share:.2f})"
    else:
        owners = majority_owner(gt[t], seg[t], s)
        area = int((seg[t] == s).sum())
        seg_text = f"seg {s} a{area}" + (" merged" if len(owners) > 1 else "")
    r, rshare = cover(gt[t], res[t], g)
    if rshare <= 0.5:
        res_text = "res -"
    else:
        b, e, p = res_table.get(r, (-1, -1, -1))
        res_text = f"res {r}[{b}-{e} p{p}]"
    return f"{seg_text}, {res_text}"


def verdict(gt, seg, res, res_table, parent, daughters, first):
    if first >= len(gt):
        return "past the end"
    segs = [cover(gt[first], seg[first], d) for d in daughters]
    if any(share <= 0.5 for _, share in segs):
        return "missing"
    if segs[0][0] == segs[1][0]:
        return "merged"
    # the parent's result track in its last frame
    last = first - 1
    rp, rshare = cover(gt[last], res[last], parent)
    rp = rp if rshare > 0.5 else None
    tracks = []
    for d in daughters:
        r, share = cover(gt[first], res[first], d)
        tracks.append(r if share > 0.5 else None)
    if None in tracks or tracks[0] == tracks[1]:
        return "missing"
    rows = [res_table.get(r, (-1, -1, 0)) for r in tracks]
    parents = [row[2] for row in rows]
    if rp is not None and all(p == rp for p in parents):
        return "found" if all(row[0] == first for row in rows) else "late"
    if rp is not None and rp in tracks:
        return "one-continues"
    # found a frame or more late: the daughters' first result runs hang from the parent
    lineage = []
    for r in tracks:
        p = res_table.get(r, (0, 0, 0))[2]
        lineage.append(p)
    if rp is not None and all(p == rp for p in lineage):
        return "late"
    return "no-parent"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gt")
    ap.add_argument("seg")
    ap.add_argument("res")
    ap.add_argument("--frames", type=int, default=2)
    a = ap.parse_args()
    gt = load_masks(os.path.join(a.gt, "TRA"), "man_track")
    gt_table = load_table(os.path.join(a.gt, "TRA", "man_track.txt"))
    seg = tifffile.imread(a.seg).reshape(gt.shape)
    res = load_masks(a.res, "mask")
    res_table = load_table(os.path.join(a.res, "res_track.txt"))
    children = {}
    for label, (b, e, p) in gt_table.items():
        if p:
            children.setdefault(p, []).append(label)
    tally = {}
    for parent, kids in sorted(children.items()):
        if len(kids) != 2:
            continue
        kids.sort()
        first = min(gt_table[k][0] for k in kids)
        end = gt_table[parent][1]
        v = verdict(gt, seg, res, res_table, parent, kids, first)
        tally[v] = tally.get(v, 0) + 1
        print(f"parent {parent} (ends {end}) -> {kids[0]}, {kids[1]} (start "
              f"{gt_table[kids[0]][0]}, {gt_table[kids[1]][0]}): {v}")
        for t in range(end - a.frames + 1, first + a.frames):
            cells = [f"P {describe(gt, seg, res, res_table, t, parent)}"]
            for k in kids:
                cells.append(f"D{k} {describe(gt, seg, res, res_table, t, k)}")
            print(f"  t{t}: " + " | ".join(cells))
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))


if __name__ == "__main__":
    main()
