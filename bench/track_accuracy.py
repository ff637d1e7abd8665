#!/usr/bin/env python3
"""dc-track accuracy benchmark helper (run by bench/track_accuracy.sh with the oracle Python).

Subcommands:
  prepare SEQ_DIR OUT_DIR SEED [SEG_LABELS]
                                   scrambled inputs (clean, 3 % cell-frames dropped), the
                                   best achievable result on the dropped input, and the plain
                                   IoU-Hungarian baseline's results on both; with SEG_LABELS (a
                                   label stack of our own segmentation of the raw movie) also
                                   input_seg.tif and the IoU linker's result on it.
  score GT_DIR RES_DIR [TRACKED]   py-ctcmetrics TRA/DET/AOGM/BC(0)/BC(1)/CT/TF of a CTC result
                                   folder and traccuracy's division precision/recall/F1 (CTC
                                   matching, frame buffer 0; null where traccuracy refuses a
                                   matching that is not one-to-one), JSON on stdout; with a relabelled
                                   stack TRACKED and OUT_DIR/dropped.json, also the share of
                                   ground-truth tracks that lost a detection and still carry a
                                   single id.

The CTC data is not openly licensed: everything is written under bench/out/ (git-ignored).
"""
import glob
import json
import os
import sys
import tempfile
import time

import numpy as np
import tifffile
from scipy.optimize import linear_sum_assignment


def load_tra(seq):
    files = sorted(glob.glob(os.path.join(seq, "01_GT", "TRA", "man_track*.tif")))
    masks = np.stack([tifffile.imread(f) for f in files])
    table = np.loadtxt(os.path.join(seq, "01_GT", "TRA", "man_track.txt"), dtype=np.int64, ndmin=2)
    return masks, table


def scramble(masks, seed):
    """Per frame, map the labels to a random permutation of 1..n (seed + frame)."""
    out = np.zeros_like(masks)
    for t, f in enumerate(masks):
        labels = np.unique(f)
        labels = labels[labels > 0]
        perm = np.random.default_rng(seed + t).permutation(len(labels)) + 1
        lut = np.zeros(int(f.max()) + 1, dtype=masks.dtype)
        lut[labels] = perm
        out[t] = lut[f]
    return out


def drop(masks, fraction, seed):
    """Remove `fraction` of all cell-frames, chosen at random (seeded); returns masks, list."""
    cells = [(t, int(l)) for t, f in enumerate(masks) for l in np.unique(f) if l > 0]
    rng = np.random.default_rng(seed)
    k = int(round(fraction * len(cells)))
    chosen = sorted(cells[i] for i in rng.choice(len(cells), size=k, replace=False))
    out = masks.copy()
    for t, l in chosen:
        out[t][out[t] == l] = 0
    return out, chosen


def write_ctc(folder, masks, rows):
    os.makedirs(folder, exist_ok=True)
    digits = 4 if len(masks) >= 1000 else 3
    for t, f in enumerate(masks):
        tifffile.imwrite(os.path.join(folder, f"mask{t:0{digits}d}.tif"), f.astype(np.uint16), compression="zlib")
    with open(os.path.join(folder, "res_track.txt"), "w") as fh:
        for r in sorted(rows):
            fh.write(" ".join(str(int(v)) for v in r) + "\n")


def best_achievable(masks_dropped, table):
    """The ground-truth tracks written with the drops' gaps: each run after a gap becomes a new
    label whose parent is the earlier run; daughters hang from their parent's last run."""
    present = {}
    for t, f in enumerate(masks_dropped):
        for l in np.unique(f):
            if l > 0:
                present.setdefault(int(l), []).append(t)
    parent_of = {int(L): int(P) for L, B, E, P in table}
    next_label = int(max(table[:, 0].max(), masks_dropped.max())) + 1
    runs = {}  # label -> [(first, last, newlabel)]
    for l, frames in sorted(present.items()):
        rs = []
        for t in frames:
            if rs and t == rs[-1][1] + 1:
                rs[-1][1] = t
            else:
                rs.append([t, t, None])
        for k, r in enumerate(rs):
            if k == 0:
                r[2] = l
            else:
                r[2] = next_label
                next_label += 1
        runs[l] = rs
    out = masks_dropped.copy()
    rows = []
    for l, rs in runs.items():
        for k, (b, e, new) in enumerate(rs):
            if new != l:
                for t in range(b, e + 1):
                    out[t][masks_dropped[t] == l] = new
            if k > 0:
                p = rs[k - 1][2]
            else:
                p = parent_of.get(l, 0)
                while p and p not in runs:  # a parent dropped entirely: its own parent
                    p = parent_of.get(p, 0)
                p = runs[p][-1][2] if p else 0
            rows.append((new, b, e, p))
    return out, rows


def overlap_matrix(a, b, la, lb):
    """Pixel counts of every (label in a, label in b) pair, and the areas."""
    fg = (a > 0) & (b > 0)
    pa = np.searchsorted(la, a[fg])
    pb = np.searchsorted(lb, b[fg])
    inter = np.bincount(pa * len(lb) + pb, minlength=len(la) * len(lb)).reshape(len(la), len(lb))
    area_a = np.bincount(np.searchsorted(la, a[a > 0]), minlength=len(la))
    area_b = np.bincount(np.searchsorted(lb, b[b > 0]), minlength=len(lb))
    return inter, area_a, area_b


def iou_linker(frames, iou_threshold=0.0):
    """The plain baseline: Hungarian assignment on IoU between consecutive frames (pairs with
    IoU > threshold), a new track for every unmatched cell, and a division when an unmatched
    cell overlaps (IoU > threshold) a previous cell whose track continued into another cell:
    that track ends and both cells start daughter tracks. No gap closing."""
    out = np.zeros(frames.shape, dtype=np.uint16)
    tracks = {}  # id -> [B, E, P]
    next_id = 1
    prev_labels, prev_track = None, None
    for t, f in enumerate(frames):
        labels = np.unique(f)
        labels = labels[labels > 0]
        cur_track = {}
        if prev_labels is None or len(prev_labels) == 0 or len(labels) == 0:
            for l in labels:
                cur_track[int(l)] = next_id
                tracks[next_id] = [t, t, 0]
                next_id += 1
        else:
            inter, aa, ab = overlap_matrix(frames[t - 1], f, prev_labels, labels)
            iou = inter / (aa[:, None] + ab[None, :] - inter)
            rows, cols = linear_sum_assignment(-iou)
            matched = {}  # cur index -> prev index
            prev_to_cur = {}
            for r, c in zip(rows, cols):
                if iou[r, c] > iou_threshold:
                    matched[c] = r
                    prev_to_cur[r] = c
            daughters_of = {}
            for c in range(len(labels)):
                if c in matched:
                    continue
                r = int(np.argmax(iou[:, c]))
                if iou[r, c] > iou_threshold and r in prev_to_cur:
                    daughters_of.setdefault(r, []).append(c)
            split = {}
            for r, cs in daughters_of.items():
                for c in [prev_to_cur[r]] + cs:
                    split[c] = prev_track[int(prev_labels[r])]
            for c, l in enumerate(labels):
                if c in split:
                    cur_track[int(l)] = next_id
                    tracks[next_id] = [t, t, split[c]]
                    next_id += 1
                elif c in matched:
                    tid = prev_track[int(prev_labels[matched[c]])]
                    cur_track[int(l)] = tid
                    tracks[tid][1] = t
                else:
                    cur_track[int(l)] = next_id
                    tracks[next_id] = [t, t, 0]
                    next_id += 1
        lut = np.zeros(int(f.max()) + 1, dtype=np.uint16)
        for l, tid in cur_track.items():
            lut[l] = tid
        out[t] = lut[f]
        prev_labels, prev_track = labels, cur_track
    rows = [(tid, b, e, p) for tid, (b, e, p) in tracks.items()]
    return out, rows


def prepare(seq, out, seed, seg=None):
    os.makedirs(out, exist_ok=True)
    masks, table = load_tra(seq)
    if seg and not os.path.exists(os.path.join(out, "RES_iou_seg", "res_track.txt")):
        labels = tifffile.imread(seg).reshape(masks.shape).astype(np.uint16)
        tifffile.imwrite(os.path.join(out, "input_seg.tif"), labels)
        t0 = time.process_time()
        linked, rows = iou_linker(labels)
        write_ctc(os.path.join(out, "RES_iou_seg"), linked, rows)
        with open(os.path.join(out, "iou_seg_timing.json"), "w") as fh:
            json.dump({"seg": (time.process_time() - t0) / len(masks)}, fh)
    if os.path.exists(os.path.join(out, "iou_timings.json")):
        return  # the clean and dropped inputs do not change
    clean = scramble(masks, seed)
    dropped_gt, chosen = drop(masks, 0.03, seed + 7)
    dropped = scramble(dropped_gt, seed + 100)
    tifffile.imwrite(os.path.join(out, "input_clean.tif"), clean.astype(np.uint16))
    tifffile.imwrite(os.path.join(out, "input_drop.tif"), dropped.astype(np.uint16))
    np.save(os.path.join(out, "dropped_gt.npy"), dropped_gt)
    with open(os.path.join(out, "dropped.json"), "w") as fh:
        json.dump({"cell_frames": len([1 for f in masks for l in np.unique(f) if l > 0]),
                   "dropped": chosen}, fh)
    best, rows = best_achievable(dropped_gt, table)
    write_ctc(os.path.join(out, "RES_best_drop"), best, rows)
    timings = {}
    for name, movie in (("clean", clean), ("drop", dropped)):
        t0 = time.process_time()
        linked, rows = iou_linker(movie)
        timings[name] = time.process_time() - t0
        write_ctc(os.path.join(out, f"RES_iou_{name}"), linked, rows)
        tifffile.imwrite(os.path.join(out, f"tracked_iou_{name}.tif"), linked)
    with open(os.path.join(out, "iou_timings.json"), "w") as fh:
        json.dump({k: v / len(masks) for k, v in timings.items()}, fh)


def identity_kept(out_dir, tracked_path):
    """Of the ground-truth tracks that lost a detection, the share whose cells carry one id
    (the majority id of their pixels, per frame) in every frame where they are present."""
    info = json.load(open(os.path.join(out_dir, "dropped.json")))
    truth = np.load(os.path.join(out_dir, "dropped_gt.npy"))
    tracked = tifffile.imread(tracked_path)
    tracked = tracked.reshape(truth.shape)
    affected = sorted({l for _, l in info["dropped"]})
    kept = 0
    for l in affected:
        ids = set()
        for t in range(truth.shape[0]):
            m = truth[t] == l
            if m.any():
                v = tracked[t][m]
                v = v[v > 0]
                if v.size:
                    ids.add(int(np.bincount(v).argmax()))
        kept += len(ids) == 1
    return kept, len(affected)


def traccuracy_divisions(gt, res):
    """traccuracy's DivisionMetrics (frame buffer 0) with its CTC matcher."""
    import contextlib
    import io
    import logging
    import warnings
    from traccuracy import run_metrics
    from traccuracy.loaders import load_ctc_data
    from traccuracy.matchers import CTCMatcher
    from traccuracy.metrics import DivisionMetrics
    logging.disable(logging.WARNING)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = load_ctc_data(os.path.join(gt, "TRA"), os.path.join(gt, "TRA", "man_track.txt"))
        with tempfile.TemporaryDirectory() as flat:  # dc-track writes (H, W, 1) masks
            for f in sorted(glob.glob(os.path.join(res, "mask*.tif"))):
                m = tifffile.imread(f)
                tifffile.imwrite(os.path.join(flat, os.path.basename(f)), m.reshape(m.shape[-3:-1] if m.ndim == 3 and m.shape[-1] == 1 else m.shape[-2:]))
            p = load_ctc_data(flat, os.path.join(res, "res_track.txt"))
        try:
            out, _ = run_metrics(g, p, CTCMatcher(), [DivisionMetrics()])
        except TypeError:  # traccuracy refuses a matching that is not one-to-one (merges)
            return {"div_precision": None, "div_recall": None, "div_f1": None}
    d = out[0]["results"]["Frame Buffer 0"]
    return {"div_precision": d["Division Precision"], "div_recall": d["Division Recall"],
            "div_f1": d["Division F1"]}


def score(gt, res, tracked=None, out_dir=None):
    from ctc_metrics.scripts.evaluate import evaluate_sequence
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        r = evaluate_sequence(res, gt, metrics=["Valid", "DET", "TRA", "BC(0)", "BC(1)", "CT", "TF"],
                              threads=1)
    result = {k: (float(v) if v is not None else None) for k, v in r.items()
              if k in ("Valid", "DET", "TRA", "AOGM", "AOGM_NS", "AOGM_FN", "AOGM_FP", "AOGM_ED", "AOGM_EA",
                       "AOGM_EC", "tp_div(0)", "fp_div(0)", "fn_div(0)", "gt_divisions", "BC(0)", "BC(1)",
                       "CT", "TF")}
    result.update(traccuracy_divisions(gt, res))
    if tracked and out_dir:
        kept, affected = identity_kept(out_dir, tracked)
        result["id_kept"] = kept
        result["id_affected"] = affected
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prepare":
        prepare(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)
    elif cmd == "score":
        score(sys.argv[2], sys.argv[3], *(sys.argv[4:6] if len(sys.argv) > 5 else (None, None)))
    else:
        sys.exit(f"unknown command {cmd}")
