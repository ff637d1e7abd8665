#!/usr/bin/env python3
"""Synthetic clean tracking movies with a known lineage, written as CTC ground-truth folders.

Usage: track_synthetic.py OUT_DIR [SEED]

Writes OUT_DIR/<kind>/01_GT/TRA/man_track{TTT}.tif + man_track.txt for each kind:
  touching  - crowded elliptical nuclei that drift in pairs and touch (painted in random order,
              so a later nucleus covers part of an earlier one),
  dividing  - nuclei that divide every 8-14 frames into two daughters of half the area placed
              side by side, which then move apart,
  fast      - nuclei moving 1.2-2 diameters per frame (no overlap between frames), with
              constant velocity, reflecting at the borders,
  border    - nuclei that leave the field and new ones that enter it near where others left.
All movies are 40 frames of 256 x 256 (uint16 labels = track ids). The dividing and touching
movies also get OUT_DIR/<kind>/labels.tif, the same movie as a segmentation might give it
(segmentation-like noise, seeded; the truth stays 01_GT), which bench/track_accuracy.sh
tracks as their "seg" input:
  dividing  - each mitotic parent cut into two touching halves (perpendicular to the line
              between its daughters) in its last 1-2 frames; a quarter of the divisions with
              one daughter missing in its first frame (it appears a frame late); a quarter
              with both daughters one mask in their first frame (merged, split a frame later),
  touching  - a third of the touching pairs merged into one mask for 1-3 frames once,
and 2 % of all cell-frames missed. The Swift test
(Tests/DeepCellKitTests/Track/SegmentationNoiseTests.swift) makes noise of the same kinds.
The Swift test
(Tests/DeepCellKitTests/Track/CleanMaskLinkingTests.swift) builds the same kinds of movie
itself; this script makes them for bench/track_accuracy.sh, where py-ctcmetrics scores them.
"""
import os
import sys

import numpy as np
import tifffile

H = W = 256
T = 40


def paint(frame, label, r, c, a, b, theta):
    rr, cc = np.ogrid[:H, :W]
    y, x = rr - r, cc - c
    ct, st = np.cos(theta), np.sin(theta)
    u = (x * ct + y * st) / a
    v = (-x * st + y * ct) / b
    frame[(u * u + v * v) <= 1] = label


class Cell:
    def __init__(self, tid, r, c, area, vr, vc, theta, parent=0, born=0):
        self.tid, self.r, self.c, self.area = tid, r, c, area
        self.vr, self.vc, self.theta = vr, vc, theta
        self.parent, self.born = parent, born
        self.next_division = None


def separate(cells, kind):
    """Nuclei do not overlap: push apart every pair closer than the sum of their radii
    (touching pairs end up sharing a boundary); the partners of the touching movie are
    kept together."""
    for _ in range(8):
        moved = False
        for i in range(len(cells)):
            for j in range(i + 1, len(cells)):
                a, b = cells[i], cells[j]
                ra, rb = np.sqrt(a.area / np.pi) * 1.2, np.sqrt(b.area / np.pi) * 1.2
                dr, dc = b.r - a.r, b.c - a.c
                d = np.hypot(dr, dc) + 1e-9
                if d < 0.95 * (ra + rb):
                    push = (0.95 * (ra + rb) - d) / 2
                    a.r -= push * dr / d
                    a.c -= push * dc / d
                    b.r += push * dr / d
                    b.c += push * dc / d
                    moved = True
        if not moved:
            break


def simulate(kind, rng):
    cells = []
    tid = 1
    table = {}
    n = {"touching": 24, "dividing": 10, "fast": 12, "border": 16}[kind]
    for _ in range(n):
        area = rng.uniform(150, 300)
        if kind == "fast":
            speed = rng.uniform(1.2, 2.0) * 2 * np.sqrt(area / np.pi)
            ang = rng.uniform(0, 2 * np.pi)
            vr, vc = speed * np.sin(ang), speed * np.cos(ang)
        elif kind == "border":
            vr, vc = rng.normal(0, 3, 2)
        else:
            vr, vc = rng.normal(0, 1.0, 2)
        c = Cell(tid, rng.uniform(20, H - 20), rng.uniform(20, W - 20), area, vr, vc, rng.uniform(0, np.pi))
        if kind == "dividing":
            c.next_division = int(rng.integers(3, 14))
        cells.append(c)
        tid += 1
    if kind == "touching":  # pair each cell with a partner touching it
        for i in range(0, len(cells) - 1, 2):
            a, b = cells[i], cells[i + 1]
            ra = np.sqrt(a.area / np.pi)
            ang = rng.uniform(0, 2 * np.pi)
            b.r, b.c = a.r + 1.8 * ra * np.sin(ang), a.c + 1.8 * ra * np.cos(ang)
            b.vr, b.vc = a.vr, a.vc
            b.partner, b.angle = a, ang
    else:
        separate(cells, kind)
    frames = np.zeros((T, H, W), dtype=np.uint16)
    for t in range(T):
        order = rng.permutation(len(cells))
        for k in order:
            c = cells[k]
            inside = 0 <= c.r < H and 0 <= c.c < W
            if not inside:
                continue
            ax = np.sqrt(c.area / np.pi)
            paint(frames[t], c.tid, c.r, c.c, ax * 1.25, ax / 1.25, c.theta)
        for c in cells:
            if (frames[t] == c.tid).sum() >= 20:
                b, e, p = table.get(c.tid, (t, t, c.parent))
                table[c.tid] = (b, t, p)
            else:
                frames[t][frames[t] == c.tid] = 0
        # move, divide, enter/leave
        new_cells = []
        for c in cells:
            if kind == "dividing" and c.next_division is not None and t + 1 >= c.born + c.next_division \
                    and c.tid in table and table[c.tid][1] == t:
                ax = np.sqrt(c.area / np.pi)
                for s in (-1, 1):
                    d = Cell(tid, c.r + s * 0.7 * ax * np.sin(c.theta), c.c + s * 0.7 * ax * np.cos(c.theta),
                             c.area / 2, c.vr + s * 1.0 * np.sin(c.theta), c.vc + s * 1.0 * np.cos(c.theta),
                             c.theta + np.pi / 2, parent=c.tid, born=t + 1)
                    d.next_division = int(rng.integers(8, 15))
                    d.grow = True
                    if len(cells) + len(new_cells) >= 50:
                        d.next_division = None
                    new_cells.append(d)
                    tid += 1
                continue
            c.r += c.vr
            c.c += c.vc
            partner = getattr(c, "partner", None)
            if partner is not None:  # the touching partner follows at contact distance
                ra = np.sqrt(partner.area / np.pi) * 1.2 + np.sqrt(c.area / np.pi) * 1.2
                c.angle += rng.normal(0, 0.15)
                c.r = partner.r + 0.9 * ra * np.sin(c.angle)
                c.c = partner.c + 0.9 * ra * np.cos(c.angle)
            if kind == "fast":
                if not 10 <= c.r < H - 10:
                    c.vr = -c.vr
                    c.r = min(max(c.r, 10), H - 11)
                if not 10 <= c.c < W - 10:
                    c.vc = -c.vc
                    c.c = min(max(c.c, 10), W - 11)
            else:
                c.vr = 0.7 * c.vr + rng.normal(0, 0.7)
                c.vc = 0.7 * c.vc + rng.normal(0, 0.7)
                if kind == "border":
                    c.vr += 1.5 if c.tid % 2 else -1.5
                if kind != "border":
                    c.r = min(max(c.r, 12), H - 13)
                    c.c = min(max(c.c, 12), W - 13)
            c.theta += rng.normal(0, 0.1)
            if getattr(c, "grow", False):
                c.area = min(c.area * 1.08, 300)
            new_cells.append(c)
        if kind == "border" and t % 3 == 0:  # a newcomer enters at the top or bottom edge
            top = rng.random() < 0.5
            area = rng.uniform(150, 300)
            new_cells.append(Cell(tid, 2 if top else H - 3, rng.uniform(20, W - 20), area,
                                  3.0 if top else -3.0, rng.normal(0, 1), rng.uniform(0, np.pi)))
            tid += 1
        cells = new_cells
        separate(cells, kind)
    rows = sorted((l, b, e, p if p in table else 0) for l, (b, e, p) in table.items())
    # a track with a gap (hidden under another nucleus) is not valid CTC: split it
    fixed = []
    next_label = max(table) + 1
    for l, b, e, p in rows:
        present = [t for t in range(b, e + 1) if (frames[t] == l).any()]
        runs = []
        for t in present:
            if runs and t == runs[-1][1] + 1:
                runs[-1][1] = t
            else:
                runs.append([t, t])
        prev = p
        for k, (rb, re) in enumerate(runs):
            lab = l if k == 0 else next_label
            if k > 0:
                next_label += 1
                for t in range(rb, re + 1):
                    frames[t][frames[t] == l] = lab
            fixed.append((lab, rb, re, prev))
            prev = lab
    # parents must end before their daughters begin
    ends = {l: e for l, b, e, p in fixed}
    fixed = [(l, b, e, p if p in ends and ends[p] < b else 0) for l, b, e, p in fixed]
    return frames, fixed


def noisy(frames, rows, kind, rng):
    """The movie as a segmentation might give it (see the module docstring)."""
    out = frames.copy()
    fresh = int(frames.max()) + 1
    table = {l: (b, e, p) for l, b, e, p in rows}
    children = {}
    for l, (b, e, p) in table.items():
        if p:
            children.setdefault(p, []).append(l)
    if kind == "dividing":
        for parent, kids in sorted(children.items()):
            if len(kids) != 2:
                continue
            e = table[parent][1]
            first = table[kids[0]][0]
            if first != e + 1 or first >= len(frames):
                continue
            (r1, c1), (r2, c2) = [np.argwhere(frames[first] == k).mean(axis=0) for k in kids]
            for t in range(max(table[parent][0], e - int(rng.integers(1, 3)) + 1), e + 1):
                pix = np.argwhere(frames[t] == parent)
                if len(pix) == 0:
                    continue
                centre = pix.mean(axis=0)
                side = (pix - centre) @ np.array([r2 - r1, c2 - c1]) > 0
                out[t][tuple(pix[side].T)] = fresh
                fresh += 1
            u = rng.random()
            if u < 0.25:
                out[first][frames[first] == kids[int(rng.integers(0, 2))]] = 0
            elif u < 0.5:
                out[first][frames[first] == kids[1]] = kids[0]
    if kind == "touching":
        partners = {}
        for t, f in enumerate(frames):
            for l in np.unique(f):
                if l == 0 or l in partners:
                    continue
                m = f == l
                grown = np.zeros_like(m)
                grown[1:] |= m[:-1]
                grown[:-1] |= m[1:]
                grown[:, 1:] |= m[:, :-1]
                grown[:, :-1] |= m[:, 1:]
                touching = [int(v) for v in np.unique(f[grown & ~m]) if v != 0]
                if touching:
                    partners[int(l)] = touching[0]
        done = set()
        for a, b in sorted(partners.items()):
            if a in done or b in done or rng.random() > 1 / 3:
                continue
            done |= {a, b}
            both = [t for t in range(len(frames)) if (frames[t] == a).any() and (frames[t] == b).any()]
            if len(both) < 8:
                continue
            start = both[int(rng.integers(2, len(both) - 5))]
            for t in range(start, start + int(rng.integers(1, 4))):
                if t in both:
                    out[t][frames[t] == b] = a
    cells = [(t, int(l)) for t, f in enumerate(out) for l in np.unique(f) if l > 0]
    for i in rng.choice(len(cells), size=int(0.02 * len(cells)), replace=False):
        t, l = cells[i]
        out[t][out[t] == l] = 0
    return out


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    for k, kind in enumerate(("touching", "dividing", "fast", "border")):
        frames, rows = simulate(kind, np.random.default_rng(seed + k))
        d = os.path.join(out, f"synthetic-{kind}", "01_GT", "TRA")
        os.makedirs(d, exist_ok=True)
        for t, f in enumerate(frames):
            tifffile.imwrite(os.path.join(d, f"man_track{t:03d}.tif"), f)
        with open(os.path.join(d, "man_track.txt"), "w") as fh:
            for r in rows:
                fh.write(" ".join(map(str, r)) + "\n")
        if kind in ("dividing", "touching"):
            labels = noisy(frames, rows, kind, np.random.default_rng(seed + 100 + k))
            tifffile.imwrite(os.path.join(out, f"synthetic-{kind}", "labels.tif"), labels)


if __name__ == "__main__":
    main()
