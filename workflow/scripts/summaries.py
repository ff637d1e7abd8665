"""Glue for the workflow's summary tables; the measures themselves come from dc-metrics.

padded_stacks: dc-metrics pools images only within one label stack, so the per-image label
images and truths are padded with background (0) to the largest height and width and stacked
into two NPY files. Padding adds no object and moves none, so dc-metrics' row for each image
equals its report of that image alone, and its summary row is its pooled summary.

name_rows / join_rows: put image and movie names into dc-metrics' CSV reports.
"""
import contextlib
import csv
import os
import tempfile

import numpy as np
import tifffile


def read_labels(path):
    if path.lower().endswith(".npy"):
        array = np.load(path)
    else:
        array = tifffile.imread(path)
    array = np.squeeze(array)
    if array.ndim != 2:
        raise ValueError(f"{path}: a label image must be 2-D, not {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{path}: labels must be integers, not {array.dtype}")
    return array


def label_shape(path):
    """(shape, dtype) of a 2-D label image without reading its pixels."""
    if path.lower().endswith(".npy"):
        array = np.load(path, mmap_mode="r")
        shape, dtype = array.shape, array.dtype
    else:
        with tifffile.TiffFile(path) as tif:
            shape, dtype = tif.series[0].shape, tif.series[0].dtype
    shape = tuple(s for s in shape if s != 1)
    if len(shape) != 2:
        raise ValueError(f"{path}: a label image must be 2-D, not {shape}")
    return shape, dtype


def write_padded(paths, out):
    """Stacks the 2-D label images of `paths`, padded to the largest size, into NPY `out`
    (written through a memory map, one image at a time)."""
    shapes, dtypes = zip(*(label_shape(path) for path in paths))
    height = max(s[0] for s in shapes)
    width = max(s[1] for s in shapes)
    stack = np.lib.format.open_memmap(
        out, mode="w+", dtype=np.result_type(*dtypes), shape=(len(paths), height, width)
    )
    for i, path in enumerate(paths):
        image = read_labels(path)
        stack[i, : image.shape[0], : image.shape[1]] = image
    stack.flush()
    del stack


@contextlib.contextmanager
def padded_stacks(labels, truths, folder):
    """Yields (labels.npy, truths.npy, scratch folder) in a scratch folder inside `folder`,
    removed afterwards."""
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pool-", dir=folder) as scratch:
        pred = os.path.join(scratch, "labels.npy")
        true = os.path.join(scratch, "truths.npy")
        write_padded(labels, pred)
        write_padded(truths, true)
        yield pred, true, scratch


def write_atomically(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    os.replace(tmp, path)


def name_rows(report, names, out):
    """dc-metrics' CSV with its `image` column (0, 1, …, summary) holding the image names."""
    with open(report, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][0] != "image" or len(rows) != len(names) + 2:
        raise ValueError(f"{report}: expected an image column and {len(names)} + 1 rows")
    for i, name in enumerate(names):
        if rows[i + 1][0] != str(i):
            raise ValueError(f"{report}: row {i + 1} is image {rows[i + 1][0]}, not {i}")
        rows[i + 1][0] = name
    write_atomically(out, rows)


def join_rows(reports, names, column, out):
    """One table of several one-row CSV reports with the same header, a name column first."""
    header, rows = None, []
    for path, name in zip(reports, names):
        with open(path, newline="") as f:
            table = list(csv.reader(f))
        if len(table) != 2 or (header is not None and table[0] != header):
            raise ValueError(f"{path}: expected the same header as the others and one row")
        header = table[0]
        rows.append([name] + table[1])
    write_atomically(out, [[column] + (header or [])] + rows)
