#!/usr/bin/env python3
"""Builds the dc-metrics test fixtures from the golden files and the reference.

Run from the package root with the oracle venv (deepcell-toolbox 0.12.1,
py-ctcmetrics 1.3.3):

    .oracle/bin/python Tests/Fixtures/metrics/make_fixtures.py

Inputs: ../shared/golden/deepcell-toolbox/{metrics,deep_watershed,ctc_sequence}.npz
and ../shared/golden/spec-synthetic/metrics_{true,pred}.npy (all synthetic). Writes .npy
label fixtures and reference_*.json files holding the reference's outputs at full
precision (the golden JSON files are rounded to 6 or 4 digits).
"""
import contextlib
import io
import json
import pathlib
import sys
import tempfile
import warnings

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
GOLD = ROOT.parent / "shared" / "golden"
sys.path.insert(0, str(ROOT.parent / "shared" / "oracle"))

warnings.simplefilter("ignore")


def clean(o):
    if isinstance(o, dict):
        return {str(k): clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return clean(o.tolist())
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, (np.floating, float)):
        f = float(o)
        return None if np.isnan(f) else f
    return o


def object_stats(yt, yp, **kw):
    from deepcell_toolbox.metrics import Metrics
    m = Metrics("fixture", **kw)
    with contextlib.redirect_stdout(io.StringIO()):
        df = m.calc_object_stats(yt, yp, progbar=False)
        summary = m.summarize_object_metrics_df(df)
    return {"per_image": df.to_dict("records"), "summary": summary}


def stardist_matching(yt, yp, thresholds):
    """StarDist's `matching` (stardist/matching.py) per threshold, on one frame."""
    from scipy.optimize import linear_sum_assignment
    from skimage.segmentation import relabel_sequential
    yt = relabel_sequential(yt)[0]
    yp = relabel_sequential(yp)[0]
    nt, npred = yt.max(), yp.max()
    overlap = np.zeros((nt + 1, npred + 1), np.int64)
    np.add.at(overlap, (yt.ravel(), yp.ravel()), 1)
    at = overlap.sum(1, keepdims=True)
    ap = overlap.sum(0, keepdims=True)
    iou = (overlap / np.maximum(at + ap - overlap, 1))[1:, 1:]
    out = []
    for thr in thresholds:
        n_matched = min(nt, npred)
        not_trivial = n_matched > 0 and np.any(iou >= thr)
        if not_trivial:
            costs = -(iou >= thr).astype(float) - iou / (2 * n_matched)
            ti, pi = linear_sum_assignment(costs)
            ok = iou[ti, pi] >= thr
            tp = int(np.count_nonzero(ok))
            sum_iou = float(np.sum(iou[ti, pi][ok]))
        else:
            tp, sum_iou = 0, 0.0
        fp, fn = int(npred - tp), int(nt - tp)
        out.append({"thresh": thr, "tp": tp, "fp": fp, "fn": fn, "sum_matched_iou": sum_iou})
    return out


def ctc_reference(gt, res, man_track, res_track, seg_frames=None):
    """py-ctcmetrics on arrays written as CTC folders; returns metrics + raw counts."""
    import tifffile
    from ctc_metrics.scripts.evaluate import evaluate_sequence
    with tempfile.TemporaryDirectory() as td:
        td = pathlib.Path(td)
        tra, seg, rdir = td / "GT" / "TRA", td / "GT" / "SEG", td / "RES"
        for d in (tra, seg, rdir):
            d.mkdir(parents=True)
        for t in range(gt.shape[0]):
            tifffile.imwrite(tra / f"man_track{t:03d}.tif", gt[t])
            if seg_frames is None or t in seg_frames:
                tifffile.imwrite(seg / f"man_seg{t:03d}.tif", gt[t])
            tifffile.imwrite(rdir / f"mask{t:03d}.tif", res[t])
        np.savetxt(tra / "man_track.txt", man_track, fmt="%d")
        np.savetxt(rdir / "res_track.txt", res_track, fmt="%d")
        with contextlib.redirect_stdout(io.StringIO()):
            r = evaluate_sequence(str(rdir), str(td / "GT"),
                                  metrics=["DET", "SEG", "TRA", "LNK", "BC(0)", "BC(1)"], threads=1)
    keys = ["DET", "SEG", "TRA", "LNK", "AOGM", "AOGM_0", "AOGM_NS", "AOGM_FN", "AOGM_FP",
            "AOGM_ED", "AOGM_EA", "AOGM_EC", "BC(0)", "tp_div(0)", "fp_div(0)", "fn_div(0)",
            "BC(1)", "tp_div(1)", "fp_div(1)", "fn_div(1)", "gt_divisions"]
    return {k: r.get(k) for k in keys}


def ctc_seg_frames(yt, yp):
    """py-ctcmetrics' own matching (`utils.representations.match`: a truth object is matched
    by the prediction covering more than half of it) per frame, written as TIFFs as the CTC
    evaluation reads them: per frame the number of truth objects and the sum of matched IoUs
    (SEG = Σ iou_sum / Σ n_ref)."""
    import tifffile
    from ctc_metrics.utils.representations import match
    out = []
    with tempfile.TemporaryDirectory() as td:
        for i in range(len(yt)):
            ref, comp = f"{td}/ref{i:03d}.tif", f"{td}/comp{i:03d}.tif"
            tifffile.imwrite(ref, yt[i].astype(np.int32))
            tifffile.imwrite(comp, yp[i].astype(np.int32))
            labels_ref, _, _, _, iou = match(ref, comp)
            out.append({"n_ref": len(labels_ref), "iou_sum": float(np.sum(iou))})
    return out


def edge_case_stack():
    """Small hand-made frames that exercise the reference's corner cases."""
    H = W = 32
    frames_t, frames_p = [], []

    def blank():
        return np.zeros((H, W), np.int32)

    # 0: catastrophe (two truths, two preds cut the other way) + a correct cell
    t, p = blank(), blank()
    t[2:10, 2:10] = 1; t[2:10, 10:18] = 2
    p[2:6, 2:18] = 1; p[6:10, 2:18] = 2
    t[20:28, 20:28] = 3; p[20:28, 21:28] = 5
    frames_t.append(t); frames_p.append(p)
    # 1: empty truth, two predictions
    t, p = blank(), blank()
    p[3:8, 3:8] = 4; p[20:25, 20:25] = 9
    frames_t.append(t); frames_p.append(p)
    # 2: both empty
    frames_t.append(blank()); frames_p.append(blank())
    # 3: IoU exactly 0.6 (5x5 truth, 5x3 pred inside) -> tie with the dummies; and 2/3
    t, p = blank(), blank()
    t[2:7, 2:7] = 1; p[2:7, 2:5] = 1
    t[12:18, 2:8] = 2; p[12:18, 2:6] = 2
    t[22:27, 22:27] = 3; p[22:27, 22:25] = 3  # a second exact 0.6 pair
    frames_t.append(t); frames_p.append(p)
    # 4: small truth swallowed by a big prediction (modified IoU), non-sequential labels
    t, p = blank(), blank()
    t[2:30, 2:30] = 7; t[10:13, 10:13] = 3
    p[2:30, 2:30] = 11
    frames_t.append(t); frames_p.append(p)
    # 5: truth with nothing predicted; lone touching pair with IoU 0.5
    t, p = blank(), blank()
    t[2:6, 2:6] = 1
    t[10:20, 10:20] = 2; p[10:20, 15:25] = 1
    frames_t.append(t); frames_p.append(p)
    # 6: a merge of three and a split into three
    t, p = blank(), blank()
    t[2:8, 2:6] = 1; t[2:8, 6:10] = 2; t[2:8, 10:14] = 3; p[2:8, 2:14] = 1
    t[16:28, 16:28] = 4; p[16:20, 16:28] = 2; p[20:24, 16:28] = 3; p[24:28, 16:28] = 4
    frames_t.append(t); frames_p.append(p)
    return np.stack(frames_t), np.stack(frames_p)


def swallowed_stack():
    """Small objects swallowed between 50 % and 60 % by a big one, one scenario a frame
    (the modified-IoU rule `max(true_in_pred, pred_in_true) > 0.5` and its two
    force_event_links branches). `part` pixels of a small object (in raster order) belong to
    the other image's big object, the rest to background, so true_in_pred or pred_in_true is
    part / area: 11/20 = 0.55 and 3/5 = 0.6 exactly (> 0.5 but not > 0.6)."""
    H = W = 40

    def blank():
        return np.zeros((H, W), np.int32)

    def swallow(small, other, label, other_label, r, c, h, w, part):
        """Object `label` of size h×w at (r, c) in `small`; its first `part` pixels are
        labelled `other_label` in `other`."""
        small[r:r + h, c:c + w] = label
        rr, cc = np.mgrid[r:r + h, c:c + w]
        for y, x in list(zip(rr.ravel(), cc.ravel()))[:part]:
            other[y, x] = other_label

    frames_t, frames_p = [], []
    # 0: two small truths (0.55 and 0.6 inside) merged by one big prediction, IoU < 0.1
    t, p = blank(), blank()
    p[10:20, 10:20] = 1
    swallow(t, p, 1, 1, 20, 10, 4, 5, 11)
    swallow(t, p, 2, 1, 20, 16, 1, 5, 3)
    frames_t.append(t); frames_p.append(p)
    # 1: one big truth split by two small predictions (pred_in_true 0.55 and 0.6), IoU < 0.1
    t, p = blank(), blank()
    t[5:17, 5:15] = 1
    swallow(p, t, 1, 1, 17, 5, 4, 5, 11)
    swallow(p, t, 2, 1, 17, 11, 1, 5, 3)
    frames_t.append(t); frames_p.append(p)
    # 2: a big truth matched by a big prediction that also swallows 55 % of a small truth
    #    (force_event_links lowers the big pair's IoU: a merge instead of a match)
    t, p = blank(), blank()
    t[5:15, 5:15] = 1; p[5:15, 5:15] = 1
    swallow(t, p, 2, 1, 15, 5, 4, 5, 11)
    frames_t.append(t); frames_p.append(p)
    # 3: a big truth matched by a big prediction; a small prediction 55 % inside the truth
    #    (force_event_links: a split instead of a match plus a gain)
    t, p = blank(), blank()
    t[5:18, 5:15] = 1; p[5:18, 5:15] = 1
    swallow(p, t, 2, 1, 18, 5, 4, 5, 11)
    frames_t.append(t); frames_p.append(p)
    # 4: the same shapes as 0 with the 3/5 object alone (exactly 0.6)
    t, p = blank(), blank()
    p[10:20, 10:20] = 3
    swallow(t, p, 4, 3, 20, 12, 1, 5, 3)
    swallow(t, p, 5, 3, 9, 12, 1, 5, 3)
    frames_t.append(t); frames_p.append(p)
    return np.stack(frames_t), np.stack(frames_p)


def random_stack(n, H, W, seed):
    """Random blob labels and a jittered, relabelled copy (many event kinds)."""
    from scipy import ndimage
    rng = np.random.default_rng(seed)
    yt = np.zeros((n, H, W), np.int32)
    yp = np.zeros((n, H, W), np.int32)
    for i in range(n):
        pts = rng.integers(0, H, size=(rng.integers(5, 25), 2))
        seeds = np.zeros((H, W), np.int32)
        for k, (r, c) in enumerate(pts, start=1):
            seeds[r, c] = k
        dist, (ir, ic) = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
        lab = seeds[ir, ic]
        lab[dist > rng.uniform(3, 7)] = 0
        yt[i] = lab
        q = lab.copy()
        shift = rng.integers(-2, 3, size=2)
        q = np.roll(q, tuple(shift), axis=(0, 1))
        ids = np.unique(q[q > 0])
        for v in ids:  # random merges / deletions / relabels
            u = rng.random()
            if u < 0.1:
                q[q == v] = 0
            elif u < 0.2 and len(ids) > 1:
                q[q == v] = rng.choice(ids)
        # random cuts: split some objects along a line
        for v in ids[rng.random(len(ids)) < 0.15]:
            rr, cc = np.nonzero(q == v)
            if len(rr) > 10:
                cut = rr > np.median(rr)
                q[rr[cut], cc[cut]] = 1000 + v
        perm = rng.permutation(5000)[:q.max() + 1] + 1
        perm[0] = 0
        yp[i] = perm[q]
    return yt, yp


def lsap_cases():
    """scipy.optimize.linear_sum_assignment on matrices full of ties (its choice among
    equal optima is what the Swift port must reproduce)."""
    from scipy.optimize import linear_sum_assignment
    rng = np.random.default_rng(11)
    cases = []
    shapes = [(1, 1), (3, 3), (5, 5), (4, 7), (7, 4), (8, 8), (12, 9), (9, 12), (20, 20), (30, 30)]
    for r, c in shapes:
        for kind in ("int", "float", "const", "iou"):
            if kind == "int":
                m = rng.integers(0, 3, size=(r, c)).astype(float)
            elif kind == "float":
                m = rng.random((r, c))
            elif kind == "const":
                m = np.ones((r, c))
            else:
                m = 1 - np.round(rng.random((r, c)) * 5) / 5
            ri, ci = linear_sum_assignment(m)
            cases.append({"rows": r, "columns": c, "cost": m.ravel().tolist(),
                          "row_ind": ri.tolist(), "col_ind": ci.tolist()})
    return cases


def main():
    out = {}
    with open(HERE / "reference_lsap.json", "w") as f:
        json.dump(lsap_cases(), f)
    g = np.load(GOLD / "deepcell-toolbox" / "metrics.npz")
    dw = np.load(GOLD / "deepcell-toolbox" / "deep_watershed.npz")
    yt, yp = g["y_true"], g["y_pred"]
    labels = dw["labels"][..., 0]
    np.save(HERE / "golden_y_true.npy", yt.astype(np.int32))
    np.save(HERE / "golden_y_pred.npy", yp.astype(np.int32))
    np.save(HERE / "golden_deep_watershed_labels.npy", labels.astype(np.uint16))
    out["perturbed"] = object_stats(yt, yp)
    out["deep_watershed_vs_truth"] = object_stats(yt, labels)
    st = np.load(GOLD / "spec-synthetic" / "metrics_true.npy")
    sp = np.load(GOLD / "spec-synthetic" / "metrics_pred.npy")
    np.save(HERE / "spec_metrics_true.npy", st)
    np.save(HERE / "spec_metrics_pred.npy", sp)
    out["spec_synthetic"] = object_stats(st[None], sp[None])
    et, ep = edge_case_stack()
    np.save(HERE / "edge_y_true.npy", et)
    np.save(HERE / "edge_y_pred.npy", ep)
    out["edge_cases"] = object_stats(et, ep)
    out["edge_cases_force_event_links"] = object_stats(et, ep, force_event_links=True)
    out["edge_cases_cutoff1_0.3"] = object_stats(et, ep, cutoff1=0.3, cutoff2=0.2)
    wt, wp = swallowed_stack()
    np.save(HERE / "swallowed_y_true.npy", wt)
    np.save(HERE / "swallowed_y_pred.npy", wp)
    out["swallowed"] = object_stats(wt, wp)
    out["swallowed_force_event_links"] = object_stats(wt, wp, force_event_links=True)
    out["ctc_seg"] = {"edge_cases": ctc_seg_frames(et, ep),
                      "swallowed": ctc_seg_frames(wt, wp)}
    rt, rp = random_stack(24, 48, 48, 20261125)
    np.save(HERE / "random_y_true.npy", rt)
    np.save(HERE / "random_y_pred.npy", rp)
    out["random"] = object_stats(rt, rp)
    out["random_force_event_links"] = object_stats(rt, rp, force_event_links=True)
    out["ctc_seg"]["random"] = ctc_seg_frames(rt, rp)

    # pixel metrics of the golden pair and a 3-class semantic map (calc_pixel_stats)
    from deepcell_toolbox.metrics import PixelMetrics, Metrics
    out["pixel_golden"] = [PixelMetrics(yt[i], yp[i]).to_dict() for i in range(2)]
    out["pixel_edge"] = [PixelMetrics(et[i], ep[i]).to_dict() for i in range(len(et))]
    rng = np.random.default_rng(7)
    sem_t = rng.random((2, 16, 16, 3)).astype(np.float32)
    sem_p = (sem_t + 0.3 * rng.standard_normal(sem_t.shape)).astype(np.float32)
    sem_p[..., 2] = 0  # class 2 never wins in prediction
    np.save(HERE / "semantic_true.npy", sem_t)
    np.save(HERE / "semantic_pred.npy", sem_p)
    with contextlib.redirect_stdout(io.StringIO()):
        ps = Metrics("fixture").calc_pixel_stats(sem_t, sem_p)
    out["pixel_stats_semantic"] = ps

    thr = [round(0.5 + 0.05 * k, 2) for k in range(10)]
    out["stardist_matching"] = {
        "perturbed": [stardist_matching(yt[i], yp[i], thr) for i in range(2)],
        "edge_cases": [stardist_matching(et[i], ep[i], thr) for i in range(len(et))],
        "random": [stardist_matching(rt[i], rp[i], thr) for i in range(len(rt))],
    }
    with open(HERE / "reference_object_metrics.json", "w") as f:
        json.dump(clean(out), f, indent=1)

    # CTC sequence (golden) split in halves to keep each fixture under 1 MB
    c = np.load(GOLD / "deepcell-toolbox" / "ctc_sequence.npz")
    for name in ("gt", "res"):
        np.save(HERE / f"ctc_{name}_0.npy", c[name][:5])
        np.save(HERE / f"ctc_{name}_1.npy", c[name][5:])
    np.save(HERE / "ctc_man_track.npy", c["man_track"])
    np.save(HERE / "ctc_res_track.npy", c["res_track"])
    ctc = {"golden": ctc_reference(c["gt"], c["res"], c["man_track"], c["res_track"])}
    # SEG only on some frames
    ctc["golden_seg_frames_1_4_7"] = ctc_reference(c["gt"], c["res"], c["man_track"],
                                                   c["res_track"], seg_frames={1, 4, 7})
    # the result graph equal to the truth except that res keeps the division
    ctc["truth_vs_itself"] = ctc_reference(c["gt"], c["gt"], c["man_track"], c["man_track"])
    with open(HERE / "reference_ctc_metrics.json", "w") as f:
        json.dump(clean(ctc), f, indent=1)


if __name__ == "__main__":
    main()
