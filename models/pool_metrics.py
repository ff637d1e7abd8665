"""Pools dc-metrics JSON reports of several images as DeepCell's Metrics does for a batch:
counts summed over the images, then precision = correct / n_pred, recall = correct / n_true,
F1 their harmonic mean (a match needs IoU > 0.6, with DeepCell's split/merge/catastrophe
resolution). F1 and StarDist-style average precision AP = TP / (TP + FP + FN) at IoU 0.5 and
0.9 are pooled from each image's f1_T (true positives recovered as f1_T · (n_pred + n_true) / 2,
then AP_T = ΣTP / (Σn_pred + Σn_true − ΣTP)).

    python3 models/pool_metrics.py a-metrics.json b-metrics.json ...   (--table: one line)
"""
import json
import sys


def f1(tp, n_pred, n_true):
    return 2 * tp / (n_pred + n_true) if n_pred + n_true else 1.0


def average_precision(tp, n_pred, n_true):
    """StarDist-style AP = TP / (TP + FP + FN) = TP / (n_pred + n_true − TP); 1 with nothing."""
    return tp / (n_pred + n_true - tp) if n_pred + n_true - tp else 1.0


def table_row(paths):
    """The one-line table of `--table` (images | true | predicted | precision | recall | F1 |
    F1@0.5 | AP@0.5 | AP@0.9) for the reports at `paths`."""
    return pool(paths, table=True)


def counts(path):
    """One image's report as (summary, {"0.50": TP, "0.90": TP}): the counts pooling sums."""
    with open(path) as f:
        s = json.load(f)["summary"]
    return s, {t: round(s[f"f1_{t}"] * (s["n_pred"] + s["n_true"]) / 2) for t in ("0.50", "0.90")}


def pool(paths, table=False):
    total = {"correct_detections": 0, "n_pred": 0, "n_true": 0}
    tp = {"0.50": 0.0, "0.90": 0.0}
    for path in paths:
        s, image_tp = counts(path)
        for k in total:
            total[k] += s[k]
        for t in tp:
            tp[t] += image_tp[t]
        if not table:
            print(f"{path}: n_true {s['n_true']} n_pred {s['n_pred']} correct {s['correct_detections']} "
                  f"F1 {s['f1']:.4f} F1@0.5 {s['f1_0.50']:.4f}")
    c, p, t = total["correct_detections"], total["n_pred"], total["n_true"]
    ap = {k: average_precision(v, p, t) for k, v in tp.items()}
    if table:
        return (f"{len(paths)} | {t} | {p} | {c / p if p else 0:.3f} | {c / t if t else 0:.3f} | "
                f"**{f1(c, p, t):.3f}** | {f1(tp['0.50'], p, t):.3f} | {ap['0.50']:.3f} | {ap['0.90']:.3f}")
    print(f"pooled over {len(paths)} images: n_true {t} n_pred {p} correct {c} "
          f"precision {c / p if p else 0:.4f} recall {c / t if t else 0:.4f}")
    print(f"F1={f1(c, p, t):.4f}")
    print(f"F1@0.5={f1(tp['0.50'], p, t):.4f}")
    print(f"AP@0.5={ap['0.50']:.4f}")
    print(f"AP@0.9={ap['0.90']:.4f}")


def main(args):
    paths = [a for a in args if a != "--table"]
    if "--table" in args:
        print(table_row(paths))
    else:
        pool(paths)


if __name__ == "__main__":
    main(sys.argv[1:])
