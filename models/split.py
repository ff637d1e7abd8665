"""Chooses the DSB-2018 held-out split of the shipped model, once (models/held-out.txt).

The split was made on 2026-12-06 with this script and is not to be changed: the held-out
images are never trained on, tuned on or used to choose a checkpoint.

Pool: the 480 images of dsb2018-stage1-fluo-nuclei-more. The 31 images of
dsb2018-stage1-fluo-nuclei are left out of the pool because the previous shipped model
(nuclear-v1, the initial weights of the current one) was trained on 25 of them and chose its
checkpoint on the other 6; holding out only images no model here has seen keeps the new
model's held-out scores honest even though it is fine-tuned from the old one.

Stratification: images are grouped by shape (256x256, 360x360, 520x696, other) and, within a
group, sorted by median nucleus diameter (equivalent diameter of the labels); every 9th
image of each sorted group is held out, starting at a seeded offset. That gives ~10 % of all
511 images with the same mix of image sizes and nucleus sizes as the whole set.

    python models/split.py DATA_DIR_MORE > models/held-out.txt
"""

import csv
import os
import random
import sys

import numpy as np
import tifffile


def median_diameter(labels):
    _, counts = np.unique(labels[labels > 0], return_counts=True)
    return float(np.median(np.sqrt(4 * counts / np.pi))) if len(counts) else 0.0


def main():
    data = sys.argv[1]
    with open(os.path.join(data, "index.csv")) as fh:
        rows = list(csv.DictReader(fh))
    groups = {}
    for r in rows:
        shape = (int(r["height"]), int(r["width"]))
        key = shape if shape in [(256, 256), (360, 360), (520, 696)] else "other"
        d = median_diameter(tifffile.imread(os.path.join(data, r["id"] + ".tif")))
        groups.setdefault(key, []).append((d, r["id"]))
    rng = random.Random(2018)
    held = []
    for key in sorted(groups, key=str):
        members = sorted(groups[key])
        start = rng.randrange(9)
        held += [i for _, i in members[start::9]]
        if len(members) < 9:
            held.append(members[len(members) // 2][1])
    for i in sorted(set(held)):
        print(i)


if __name__ == "__main__":
    main()
