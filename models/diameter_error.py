"""How far `--diameter auto` is from the truth on the images of a dim_test.py run (for example
the noisy test, `--magnify 3 --noise 0.25`): for each image of DIM_OUT/dimmed-labels.tsv,
`dc-predict IMAGE --model MODEL --no-augment` (BIN=.build/release; the estimate does not use
test-time flips) gives the estimate on stderr, the labels the true median equivalent diameter
(√(4·area/π)); prints one line per image and then the median and largest |log(estimate /
true)| and the median ratio. Training-side images only, as dim_test.py reads them.

    python models/diameter_error.py MODEL DIM_OUT [--calibration-factor F]

--calibration-factor multiplies each estimate (to judge a calibration other than the model's
without rebuilding the file).
"""
import argparse
import os
import sys

import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tune  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("dim_out")
    ap.add_argument("--calibration-factor", type=float, default=1.0)
    a = ap.parse_args()
    rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(a.dim_out, "dimmed-labels.tsv"))
            if line.strip()]
    ratios = []
    for i, truth in rows:
        estimate = tune.auto_estimate(tune.predict(a.model, tune.image_path(truth), os.devnull, ["--no-augment"]))
        true = tune.median_diameter(tifffile.imread(truth))
        if estimate is None or true <= 0:
            print(f"{i}: true {true:.1f} estimated none", flush=True)
            continue
        estimate *= a.calibration_factor
        ratios.append(estimate / true)
        print(f"{i}: true {true:.1f} estimated {estimate:.1f} ratio {estimate / true:.2f}", flush=True)
    errors = np.abs(np.log(ratios))
    print(f"{len(ratios)} of {len(rows)} images estimated: |log(estimate / true)| median {np.median(errors):.3f}, "
          f"largest {errors.max():.3f}; median ratio {np.median(ratios):.3f}")


if __name__ == "__main__":
    main()
