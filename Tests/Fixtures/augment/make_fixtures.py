"""Extra reference fixtures for the augment tests (parameters the golden files do not cover).

Run from the package root with the oracle venv:
    .oracle/bin/python Tests/Fixtures/augment/make_fixtures.py
Inputs are the golden synthetic files (labels_64.npy, affine_in_64x48x1.npy, copied here).
Targets come from deepcell 0.12.10's `_transform_masks` (loaded by
../shared/oracle/oracle_transforms.py); the affine warps from scipy.ndimage.affine_transform
with the matrix keras-preprocessing 1.1.2 `apply_affine_transform` builds (reproduced below,
since keras-preprocessing is not installed in the oracle venv).
"""
import pathlib
import sys

import numpy as np
from scipy import ndimage

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2].parent / "shared" / "oracle"))
import oracle_transforms as ot  # noqa: E402

labels = np.load(HERE / "labels_64.npy")
y = labels[None, ..., None]


def save(name, arr):
    np.save(HERE / name, arr)


save("extra_inner_alpha0.5_beta2_erosion2.npy",
     ot.transform_masks(y, "inner-distance", alpha=0.5, beta=2, erosion_width=2)[0, ..., 0])
save("extra_outer_erosion2.npy", ot.transform_masks(y, "outer-distance", erosion_width=2)[0, ..., 0])
save("extra_inner_bins4.npy",
     ot.transform_masks(y, "inner-distance", alpha="auto", beta=1, distance_bins=4)[0])
save("extra_outer_bins5_erosion1.npy",
     ot.transform_masks(y, "outer-distance", erosion_width=1, distance_bins=5)[0])
save("extra_pixelwise_r2.npy", ot.transform_masks(y, "pixelwise", dilation_radius=2)[0])
save("extra_pixelwise_separate.npy", ot.transform_masks(y, "pixelwise", separate_edge_classes=True)[0])
save("extra_pixelwise_separate_r1.npy",
     ot.transform_masks(y, "pixelwise", separate_edge_classes=True, dilation_radius=1)[0])


def transform_matrix_offset_center(matrix, x, y):
    o_x = float(x) / 2 + 0.5
    o_y = float(y) / 2 + 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset_matrix, matrix), reset_matrix)


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, fill_mode="nearest", cval=0.0,
                           order=1):
    """keras-preprocessing 1.1.2, row_axis=0, col_axis=1, channel_axis=2."""
    transform_matrix = None
    if theta != 0:
        theta = np.deg2rad(theta)
        transform_matrix = np.array([[np.cos(theta), -np.sin(theta), 0],
                                     [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        shift_matrix = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        transform_matrix = shift_matrix if transform_matrix is None else np.dot(transform_matrix, shift_matrix)
    if shear != 0:
        shear = np.deg2rad(shear)
        shear_matrix = np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
        transform_matrix = shear_matrix if transform_matrix is None else np.dot(transform_matrix, shear_matrix)
    if zx != 1 or zy != 1:
        zoom_matrix = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        transform_matrix = zoom_matrix if transform_matrix is None else np.dot(transform_matrix, zoom_matrix)
    if transform_matrix is not None:
        h, w = x.shape[0], x.shape[1]
        transform_matrix = transform_matrix_offset_center(transform_matrix, h, w)
        x = np.rollaxis(x, 2, 0)
        channel_images = [ndimage.affine_transform(c, transform_matrix[:2, :2], transform_matrix[:2, 2],
                                                   order=order, mode=fill_mode, cval=cval) for c in x]
        x = np.stack(channel_images, axis=0)
        x = np.rollaxis(x, 0, 3)
    return x


img = np.load(HERE / "affine_in_64x48x1.npy")
golden = np.load(HERE / "affine_theta30_zx0.8_zy1.25_order1_nearest.npy")
assert np.array_equal(apply_affine_transform(img, theta=30, zx=0.8, zy=1.25, order=1), golden)
params = dict(theta=30, tx=3.5, ty=-2.25, shear=10, zx=0.8, zy=1.25)
two = np.concatenate([img, img[::-1] * 0.5], axis=2)  # two channels
for mode in ["constant", "nearest", "reflect", "wrap"]:
    for order in [0, 1]:
        save(f"extra_affine_{mode}_order{order}.npy",
             apply_affine_transform(two, fill_mode=mode, cval=-3.0, order=order, **params))

# One full sample of the CroppingDataGenerator pipeline with fixed parameters (augment.md §3):
# targets of the whole label image, then crop -> apply_affine_transform -> flip_h -> flip_v,
# order 1 for the image and the 1-channel maps, order 0 for fgbg. Image = X[0] of
# histogram_normalization.npz (the image whose labels are transforms.npz y[0]).
golden_dir = HERE.parents[2].parent / "shared" / "golden" / "deepcell-toolbox"
x0 = np.load(golden_dir / "histogram_normalization.npz")["X"][0]
y0 = np.load(golden_dir / "transforms.npz")["y"][0:1]
assert np.array_equal(np.load(HERE / "transforms0_y_u1.npy"), y0[0, ..., 0])
save("sample_x0.npy", x0)
targets = {
    "inner": ot.transform_masks(y0, "inner-distance", alpha="auto", beta=1, erosion_width=0)[0],
    "outer": ot.transform_masks(y0, "outer-distance", erosion_width=1)[0],
    "fgbg": ot.transform_masks(y0, "fgbg")[0],
}
r0, c0, ch, cw = 13, 40, 128, 96
P = dict(theta=37.5, zx=0.8, zy=1.2)


def pipeline(a, order):
    a = a[r0:r0 + ch, c0:c0 + cw, :]
    a = apply_affine_transform(a, order=order, fill_mode="nearest", **P)
    a = a[:, ::-1, :]  # flip_horizontal (columns); flip_vertical off
    return np.ascontiguousarray(a)


save("sample_out_x.npy", pipeline(x0, 1))
save("sample_out_inner.npy", pipeline(targets["inner"], 1))
save("sample_out_outer.npy", pipeline(targets["outer"], 1))
save("sample_out_fgbg.npy", pipeline(targets["fgbg"], 0))
