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

# 6. Exact .5 ties in CLAHE's 14-bit quantization (skimage: np.round — half to even — of
#    rescale_intensity(uint16 image, out_range=(0, 16383)), float64). With the uint16 range
#    lo…lo+762, every odd lo+d lands exactly on a .5 (16383·d/762 = 43·d/2); for lo+3, lo+263
#    and lo+523 (64.5, 5654.5, 11244.5) half to even gives 64, 5654, 11244 and half away 65,
#    5655, 11245, which with 256 bins (bin size 65) is the next bin. Inputs are u / 65535 in float32, which
#    img_as_uint maps back to u exactly (asserted). 40 % of the pixels sit on a tie.
from unittest import mock

import skimage.exposure._adapthist as adapthist
from skimage.exposure import equalize_adapthist, rescale_intensity
from skimage.util import img_as_uint

lo, span = 20000, 762
levels = np.arange(lo, lo + span + 1, dtype=np.uint16)
quantized = np.round(rescale_intensity(levels, out_range=(0, 16383)))
ties = [d for d in range(span + 1) if (d / span) * 16383.0 % 1 == 0.5]
assert ties == list(range(1, span, 2))
floor = [int((d / span) * 16383.0) for d in ties]
ties = [d for d, k in zip(ties, floor) if k % 2 == 0 and k % 65 == 64]  # the bin changes
assert ties == [3, 263, 523], ties
rng = np.random.default_rng(20261206)
u = rng.integers(lo, lo + span + 1, size=(48, 40))
on_tie = rng.random(u.shape) < 0.4
u[on_tie] = lo + rng.choice(ties, size=int(on_tie.sum()))
u[0, 0], u[-1, -1] = lo, lo + span
x = (u.astype(np.float32) / np.float32(65535)).astype(np.float32)
assert (img_as_uint(x) == u).all()
out = equalize_adapthist(x)


def half_away(a, *args, **kwargs):
    a = np.asarray(a)
    return np.sign(a) * np.floor(np.abs(a) + 0.5)


with mock.patch.object(adapthist.np, "round", half_away):  # the mutant must change the output
    assert np.abs(equalize_adapthist(x) - out).max() > 1e-3
save("clahe_ties_in_48x40.npy", x)
save("clahe_ties_out_48x40.npy", out.astype(np.float32))
save("clahe_ties_quantized.npy", quantized.astype(np.uint16))

# 7. Exact .5 ties one step earlier, in img_as_uint (float32: rint(x · 65535), half to even).
#    x = float32((k + 0.5) / 65535) gives x · 65535 == k + 0.5 exactly in float32 (asserted);
#    skimage keeps the even k, half away would give k + 1. Over the uint16 range 20000…20762
#    of section 6 (1 uint16 step = 21.5 14-bit levels, a 65-level bin every ~3 steps), the
#    even k whose bin differs from k + 1's are used, on 40 % of the pixels; the plane's
#    minimum and maximum stay exact integers.
levels_bin = (quantized.astype(np.int64) // 65)
flip = [k for k in range(lo, lo + span, 2) if levels_bin[k - lo] != levels_bin[k + 1 - lo]]
assert len(flip) > 50, len(flip)
k = rng.choice(flip, size=(48, 40))
u = rng.integers(lo, lo + span + 1, size=(48, 40))
half = rng.random(u.shape) < 0.4
x = (u.astype(np.float32) / np.float32(65535)).astype(np.float32)
x[half] = ((k[half] + 0.5) / 65535).astype(np.float32)
x[0, 0], x[-1, -1] = np.float32(lo / 65535), np.float32((lo + span) / 65535)
assert (x[half] * np.float32(65535) == (k[half] + 0.5).astype(np.float32)).all()
assert (img_as_uint(x)[half] == k[half]).all()
out = equalize_adapthist(x)
away = x.copy()
away[half] = ((k[half] + 1) / 65535).astype(np.float32)  # what rounding half away gives
assert (img_as_uint(away)[half] == k[half] + 1).all()
assert np.abs(equalize_adapthist(away) - out).max() > 1e-3
save("clahe_uint_ties_in_48x40.npy", x)
save("clahe_uint_ties_out_48x40.npy", out.astype(np.float32))
