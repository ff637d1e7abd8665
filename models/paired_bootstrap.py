"""How far two pipelines' pooled scores on the same images differ beyond image sampling: a paired
bootstrap over images (Efron & Tibshirani 1993, ch. 16). Each folder holds one dc-metrics JSON
report per image (as `models/tune.py --score` writes them); the images both folders have are
resampled with replacement, and each resample's pooled F1 and AP@0.5 (pooled as
`models/pool_metrics.py` pools) are computed for B and for A from the same images. Prints the
observed difference B − A and the central interval of the resampled differences.

    python3 models/paired_bootstrap.py A_DIR B_DIR [--resamples 10000] [--level 0.9] [--seed 0]

An interval that holds 0 says the images do not tell the two apart at that level. It measures
image sampling only, not how a training run's states differ from one another.
"""
import argparse
import glob
import os
import random
import sys

from pool_metrics import average_precision, counts, f1


def per_image(folder):
    reports = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        s, tp = counts(path)
        reports[os.path.basename(path)] = (
            s["correct_detections"], s["n_pred"], s["n_true"], tp["0.50"])
    return reports


def scores(rows):
    c = p = t = tp = 0
    for rc, rp, rt, rtp in rows:
        c, p, t, tp = c + rc, p + rp, t + rt, tp + rtp
    return f1(c, p, t), average_precision(tp, p, t)


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("a")
    a.add_argument("b")
    a.add_argument("--resamples", type=int, default=10000)
    a.add_argument("--level", type=float, default=0.9)
    a.add_argument("--seed", type=int, default=0)
    o = a.parse_args()
    if o.resamples < 1 or not 0 < o.level < 1:
        a.error("--resamples must be ≥ 1 and --level lie in (0, 1)")
    first, second = per_image(o.a), per_image(o.b)
    names = sorted(set(first) & set(second))
    if not names:
        sys.exit(f"paired_bootstrap.py: {o.a} and {o.b} have no image report in common")
    for folder, reports in ((o.a, first), (o.b, second)):
        if len(reports) != len(names):
            print(f"paired_bootstrap.py: {len(reports) - len(names)} report(s) of {folder} "
                  "have no pair and are left out", file=sys.stderr)
    pairs = [(first[n], second[n]) for n in names]

    def difference(sample):
        fa, aa = scores(x for x, _ in sample)
        fb, ab = scores(y for _, y in sample)
        return fb - fa, ab - aa

    observed = difference(pairs)
    rng = random.Random(o.seed)
    resampled = [difference([rng.choice(pairs) for _ in pairs]) for _ in range(o.resamples)]
    tail = (1 - o.level) / 2
    print(f"{len(names)} images, {o.resamples} resamples, {o.level:.0%} interval of B − A")
    for k, name in enumerate(("F1", "AP@0.5")):
        values = sorted(r[k] for r in resampled)
        low, high = (values[round(q * (len(values) - 1))] for q in (tail, 1 - tail))
        share = sum(v > 0 for v in values) / len(values)
        print(f"{name}: {observed[k]:+.4f} [{low:+.4f}, {high:+.4f}], B ahead in {share:.0%}")


if __name__ == "__main__":
    main()
