"""Pools dc-metrics JSON reports of several images as DeepCell's Metrics does for a batch:
counts summed over the images, then precision = correct / n_pred, recall = correct / n_true,
F1 their harmonic mean (a match needs IoU > 0.6, with DeepCell's split/merge/catastrophe
resolution). F1 at IoU 0.5 is pooled from each image's f1_0.50 (true positives recovered as
f1 · (n_pred + n_true) / 2).

    python3 models/pool_metrics.py a-metrics.json b-metrics.json ...
"""
import json
import sys


def f1(tp, n_pred, n_true):
    return 2 * tp / (n_pred + n_true) if n_pred + n_true else 1.0


def main(paths):
    total = {"correct_detections": 0, "n_pred": 0, "n_true": 0, "tp50": 0.0}
    for path in paths:
        with open(path) as f:
            s = json.load(f)["summary"]
        for k in ("correct_detections", "n_pred", "n_true"):
            total[k] += s[k]
        total["tp50"] += s["f1_0.50"] * (s["n_pred"] + s["n_true"]) / 2
        print(f"{path}: n_true {s['n_true']} n_pred {s['n_pred']} correct {s['correct_detections']} "
              f"F1 {s['f1']:.4f} F1@0.5 {s['f1_0.50']:.4f}")
    c, p, t = total["correct_detections"], total["n_pred"], total["n_true"]
    print(f"pooled over {len(paths)} images: n_true {t} n_pred {p} correct {c} "
          f"precision {c / p if p else 0:.4f} recall {c / t if t else 0:.4f}")
    print(f"F1={f1(c, p, t):.4f}")
    print(f"F1@0.5={f1(round(total['tp50']), p, t):.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
