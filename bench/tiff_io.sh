#!/usr/bin/env bash
# TIFF read/write speed: DeepCellKit (dc-bench tiffio, release build) against tifffile on the
# same (100, 512, 512) uint16 stack, uncompressed and deflate (zlib). Best of REPEATS runs;
# each write makes a new file after sync (the tools write a temporary file, then rename),
# ours and tifffile's taking turns.
# Usage: bench/tiff_io.sh [REPEATS]   (ORACLE=path of the Python env with tifffile)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
python=${ORACLE:-.oracle}/bin/python
out=${OUT:-bench/out/tiff_io}   # OUT=/dev/shm/… keeps disk writeback out of the timings
mkdir -p "$out"
# The manifest discovers Sources/*-bench at evaluation time; skip the cached evaluation.
bench=$(bench/dc-bench-path.sh)
# A microscopy-like stack: nuclei-sized blobs over a background with shot noise.
"$python" - "$out/stack.npy" <<'PY'
import sys, numpy as np
r = np.random.default_rng(0)
n, h, w = 100, 512, 512
yy, xx = np.mgrid[0:h, 0:w]
base = np.full((h, w), 100.0)
for _ in range(60):
    cy, cx, s, a = r.uniform(0, h), r.uniform(0, w), r.uniform(5, 15), r.uniform(500, 3000)
    base += a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
stack = r.poisson(np.broadcast_to(base, (n, h, w)) * r.uniform(0.8, 1.2, (n, 1, 1))).astype(np.uint16)
np.save(sys.argv[1], stack)
PY
printf '%-22s %10s %10s %8s\n' "case (100x512x512 u16)" "ours s" "tifffile s" "speedup"
for compression in none deflate; do
  # Writes: ours (dc-bench tiffio serving one timed write per request) and tifffile's take
  # turns, each into a new file after sync, so both meet the same disk state; best of each.
  read -r ours_w ref_w ref_r < <("$python" - "$bench" "$out" "$compression" "$repeats" <<'PY'
import os, subprocess, sys, time, numpy as np, tifffile
bench, out, compression, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
stack = np.load(f'{out}/stack.npy')
ours_path, ref_path = f'{out}/ours-{compression}.tif', f'{out}/ref-{compression}.tif'
kw = {'compression': 'zlib'} if compression == 'deflate' else {}
server = subprocess.Popen([bench, 'tiffio', 'write', f'{out}/stack.npy', ours_path, compression, 'serve'],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
ours, ref = [], []
for _ in range(repeats):
    server.stdin.write('\n'); server.stdin.flush()
    ours.append(float(server.stdout.readline()))
    if os.path.exists(ref_path):
        os.unlink(ref_path)
    os.sync()
    s = time.perf_counter(); tifffile.imwrite(ref_path, stack, **kw); ref.append(time.perf_counter() - s)
server.stdin.close(); server.wait()
reads = []
for _ in range(repeats):
    s = time.perf_counter(); tifffile.imread(ref_path); reads.append(time.perf_counter() - s)
assert np.array_equal(tifffile.imread(ref_path), stack)
print(f'{min(ours):.4f} {min(ref):.4f} {min(reads):.4f}')
PY
)
  ours_r=$("$bench" tiffio read "$out/ours-$compression.tif" "$repeats")
  # Both files hold the same pixels, whoever wrote them.
  "$python" -c "import sys,numpy as np,tifffile; s=np.load(sys.argv[1]); assert np.array_equal(tifffile.imread(sys.argv[2]).reshape(s.shape), s)" \
    "$out/stack.npy" "$out/ours-$compression.tif"
  for op in write read; do
    if [ $op = write ]; then o=$ours_w; t=$ref_w; else o=$ours_r; t=$ref_r; fi
    printf '%-22s %10s %10s %7.2fx\n' "$op $compression" "$o" "$t" "$(echo "$t / $o" | bc -l)"
  done
  printf '%-22s %10s %10s\n' "  file size MB" "$(du -m "$out/ours-$compression.tif" | cut -f1)" "$(du -m "$out/ref-$compression.tif" | cut -f1)"
done
# Tiled deflate (256×256 tiles, as whole-slide and OME writers store pages): we only read
# these; tifffile writes the file once.
"$python" -c "import sys,numpy as np,tifffile; tifffile.imwrite(sys.argv[2], np.load(sys.argv[1]), tile=(256, 256), compression='zlib')" \
  "$out/stack.npy" "$out/ref-tiled.tif"
ours_r=$("$bench" tiffio read "$out/ref-tiled.tif" "$repeats")
ref_r=$("$python" - "$out/ref-tiled.tif" "$repeats" <<'PY'
import sys, time, tifffile
t = []
for _ in range(int(sys.argv[2])):
    s = time.perf_counter(); tifffile.imread(sys.argv[1]); t.append(time.perf_counter() - s)
print(f'{min(t):.4f}')
PY
)
printf '%-22s %10s %10s %7.2fx\n' "read tiled deflate" "$ours_r" "$ref_r" "$(echo "$ref_r / $ours_r" | bc -l)"
