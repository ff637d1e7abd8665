"""Regenerates the small operation fixtures of Tests/Fixtures/watershed with the reference
stack (run with the oracle venv: .oracle/bin/python Tests/Fixtures/watershed/make_fixtures.py).
skimage 0.21, scipy 1.11, numpy 1.26; inputs are formula-made or seeded."""
import os
import numpy as np
from scipy import ndimage as ndi
from skimage.feature import peak_local_max
from skimage.measure import label
from skimage.morphology import disk, h_maxima, reconstruction, remove_small_objects
from skimage.segmentation import watershed, relabel_sequential
from deepcell_toolbox.utils import erode_edges, fill_holes

out = os.path.dirname(os.path.abspath(__file__))
def save(name, a):
    np.save(os.path.join(out, "op_" + name + ".npy"), np.ascontiguousarray(a))

rng = np.random.default_rng(20261125)
H, W = 37, 41
# Smooth-ish map with plateaus and exact ties: quantised sum of bumps.
yy, xx = np.mgrid[0:H, 0:W]
img = np.zeros((H, W))
for _ in range(9):
    cy, cx, s, a = rng.uniform(0, H), rng.uniform(0, W), rng.uniform(2, 6), rng.uniform(0.3, 1)
    img += a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
img = (np.round(img * 20) / 20).astype(np.float32)
save("map", img)
save("gauss_s1", ndi.gaussian_filter(img, 1))
save("gauss_s2.3", ndi.gaussian_filter(img, 2.3))
tiny = rng.uniform(0, 1, (3, 5)).astype(np.float32)
save("tiny", tiny)
save("tiny_gauss_s2", ndi.gaussian_filter(tiny, 2))
save("hmax_r3_h0.1", h_maxima(img, 0.1, disk(3)))
save("hmax_r1_h0.05", h_maxima(img, 0.05, disk(1)))
noise = rng.uniform(0, 1, (H, W)).astype(np.float32)
save("noise", noise)
save("recon_disk2", reconstruction(noise - 0.3, noise, method="dilation", footprint=disk(2)).astype(np.float32))
save("recon_disk5", reconstruction(noise * 0.5, noise, method="dilation", footprint=disk(5)).astype(np.float32))
save("plm_r2", peak_local_max(img, min_distance=2, threshold_abs=0.2, exclude_border=False))
save("plm_r3_border", peak_local_max(img, min_distance=3, threshold_abs=0.1, exclude_border=True))
binary = noise > 0.6
save("binary", binary.astype(np.uint8))
save("label8", label(binary, connectivity=2).astype(np.int32))
save("label4", label(binary, connectivity=1).astype(np.int32))
multi = (noise * 4).astype(np.int32)  # values 0..3: components of equal value
save("multi", multi)
save("multi_label4", label(multi, connectivity=1, background=0).astype(np.int32))
markers = label(h_maxima(img, 0.05, disk(1)))
mask = img > 0.1
save("ws_markers", markers.astype(np.int32))
save("ws", watershed(-img, markers, mask=mask).astype(np.int32))
# Tied markers: a flat image so that only the heap's tie order decides.
flat = np.zeros((9, 11), np.float32)
tm = np.zeros((9, 11), np.int32)
tm[4, 2], tm[4, 5], tm[2, 8], tm[6, 8] = 1, 2, 3, 4
save("ws_flat_markers", tm)
save("ws_flat", watershed(flat, tm, mask=np.ones_like(flat, bool)).astype(np.int32))
# A label image with holes, a split label and small objects.
lab = np.zeros((40, 40), np.int32)
lab[2:14, 2:14] = 1; lab[5:8, 5:8] = 0; lab[10, 10] = 0          # two holes
lab[2:12, 20:34] = 2; lab[4:9, 24:29] = 3                          # 3 enclosed in 2
lab[20:23, 2:5] = 4                                                # small
lab[20:32, 20:32] = 5; lab[24:27, 24:27] = 0; lab[35:38, 35:38] = 5  # hole + second piece
lab[30:39, 2:12] = 7; lab[33:35, 5:7] = 0                          # gap in numbering
save("labels", lab)
save("fill_holes_10", fill_holes(lab, size=10))
save("fill_holes_30", fill_holes(lab, size=30))
save("erode_1", erode_edges(lab, 1))
save("erode_2", erode_edges(lab, 2))
save("small_20", remove_small_objects(lab, min_size=20))
save("relabel", relabel_sequential(lab)[0].astype(np.int32))
keys = (rng.integers(0, 12, 1000)).astype(np.float32)
save("argsort_keys", keys)
save("argsort", np.argsort(keys).astype(np.int64))
save("argsort_neg", np.argsort(-img.ravel()).astype(np.int64))
