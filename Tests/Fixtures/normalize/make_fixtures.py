"""Regenerates the fixtures in this folder (run from the package root):

    ${ORACLE:-.oracle}/bin/python Tests/Fixtures/normalize/make_fixtures.py

CLAHE files are copied from the golden data in ../shared/golden (see README.md there);
z-score and percentile outputs are computed here with deepcell-toolbox 0.12.1
(`deepcell_toolbox.processing.normalize` and `.percentile_threshold`) on seeded inputs.
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
golden = os.path.join(here, "..", "..", "..", "..", "..", "shared", "golden")
if not os.path.isdir(golden):
    golden = "/work/shared/golden"


def save(name, array):
    np.save(os.path.join(here, name), np.ascontiguousarray(array))


# 1. histogram_normalization golden (deepcell-toolbox): the two synthetic images only; the
#    third plane of X is the constant 123 and its output is all zeros (the test rebuilds it).
d = np.load(os.path.join(golden, "deepcell-toolbox", "histogram_normalization.npz"))
assert (d["X"][2] == 123).all() and (d["out_default"][2] == 0).all()
assert (d["X"][:2] == d["X_k16"]).all()
save("hn_X.npy", d["X"][:2])
save("hn_out_default.npy", d["out_default"][:2])
save("hn_out_kernel16.npy", d["out_kernel16"])

# 2. spec-synthetic CLAHE planes (skimage 0.19.3 reference), copied as they are.
for name in ["clahe_in_64x48", "clahe_out_64x48", "clahe_in_100x37", "clahe_out_100x37_k9x5"]:
    save(name + ".npy", np.load(os.path.join(golden, "spec-synthetic", name + ".npy")))

# 3. z-score and percentile with the reference functions.
from deepcell_toolbox.processing import normalize, percentile_threshold

rng = np.random.default_rng(20251125)
x = rng.gamma(2.0, 300.0, size=(3, 40, 50, 2)).astype(np.float32)
x[1, :, :, 1] = 7.0                      # constant plane: std 0, output 0
x[2, ::3, :, 0] = 0.0                    # many zeros (ignored by the percentile)
x[2, :, :, 1] = 0.0                      # all-zero plane: percentile leaves it zero
x[0, 5, 7, 0] = 1.0e5                    # a hot pixel
save("norm_in_f32.npy", x)
save("zscore_out.npy", normalize(x))
save("percentile_out_99.9.npy", percentile_threshold(x))
save("percentile_out_90.npy", percentile_threshold(x, percentile=90))

u = rng.integers(0, 4000, size=(2, 33, 31, 1), dtype=np.uint16)
u[0, 0, :5, 0] = 65000
save("norm_in_u16.npy", u)
save("percentile_u16_out_99.9.npy", percentile_threshold(u))
save("zscore_u16_out.npy", normalize(u))

# 4. skimage's clip_histogram on random histograms (limits 1…40), as int32 rows
#    [limit, hist[0..255]] and the clipped results.
from skimage.exposure._adapthist import clip_histogram

rows, outs = [], []
for k in range(200):
    limit = int(rng.integers(1, 41))
    n = int(rng.integers(limit * 4, limit * 400))
    weights = rng.dirichlet(np.full(256, float(rng.choice([0.05, 0.5, 5.0]))))
    hist = rng.multinomial(n, weights).astype(np.int64)
    rows.append(np.concatenate([[limit], hist]))
    outs.append(clip_histogram(hist.copy(), limit))
save("clip_histogram_in.npy", np.array(rows, dtype=np.int32))
save("clip_histogram_out.npy", np.array(outs, dtype=np.int32))

# 5. A real image: the first DSB-2018 sample (samples/dsb2018, CC0), uint8 256×256, through
#    histogram_normalization (default kernel 32×32).
from PIL import Image
from deepcell_toolbox.processing import histogram_normalization

sample = os.path.join(here, "..", "..", "..", "samples", "dsb2018", "images",
                      "0bf4b144167694b6846d584cf52c458f34f28fcae75328a2a096c8214e01c0d0.png")
image = np.asarray(Image.open(sample))
save("dsb_0bf4_clahe.npy", histogram_normalization(image[None, ..., None])[0, ..., 0])
