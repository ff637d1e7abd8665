"""Python side of bench/normalize.sh: makes the seeded inputs and times the reference.

    python normalize_reference.py input OUT.npy N H W          # seeded float32 (N, H, W, 1)
    python normalize_reference.py time IN.npy REPEATS OUT.npy  # best-of time of histogram_normalization
    python normalize_reference.py compare A.npy B.npy          # max abs difference
    python normalize_reference.py rss -- CMD ...               # runs CMD, prints its peak RSS (KiB)
"""
import resource
import subprocess
import sys
import time

import numpy as np


def make_input(path, n, h, w):
    # Photon-count-like images: smooth blobs on a background with Poisson noise.
    rng = np.random.default_rng(20251125)
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, h, w, 1))
    for i in range(n):
        img = np.full((h, w), 100.0)
        for _ in range(max(1, h * w // 4000)):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, 12)
            img += 900.0 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        out[i, :, :, 0] = rng.poisson(img).astype(np.float32)
    out.flush()


def time_reference(path, repeats, output):
    from deepcell_toolbox.processing import histogram_normalization

    x = np.load(path)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = histogram_normalization(x)
        best = min(best, time.perf_counter() - start)
    np.save(output, result)
    print(f"{best:.6f}")


def main():
    command = sys.argv[1]
    if command == "input":
        make_input(sys.argv[2], *(int(v) for v in sys.argv[3:6]))
    elif command == "time":
        time_reference(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif command == "compare":
        a, b = np.load(sys.argv[2]), np.load(sys.argv[3])
        print(f"{float(np.abs(a.astype(np.float64) - b).max()):.3g}")
    elif command == "rss":
        subprocess.run(sys.argv[3:], check=True)
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
