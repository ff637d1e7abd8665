#!/usr/bin/env bash
# TIFF read/write speed: DeepCellKit (dc-bench tiffio, release build) against tifffile on the
# same (100, 512, 512) uint16 stack, uncompressed and deflate (zlib). Best of REPEATS runs;
# each write makes a new file after sync (the tools write a temporary file, then rename),
# ours and tifffile's taking turns.
# Same compression on both sides: deflate at level DEFLATE_LEVEL (default 6, tifffile's
# default; our writer's own default is 1), given to tifffile as compressionargs={'level': L}
# and to ours as deflate:L; no predictor on either side.
# Threads (bench/record.sh): ours at 1 and at all cores (DC_THREADS: our reader decodes
# deflate strips in parallel, our writer is one libtiff stream), tifffile at REF_THREADS
# (maxworkers=REF_THREADS for imread and imwrite). Result: bench/results/tiff-io.md.
# Usage: bench/tiff_io.sh [REPEATS]   (ORACLE=path of the Python env with tifffile)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
python=${ORACLE:-.oracle}/bin/python
out=${OUT:-bench/out/tiff_io}   # OUT=/dev/shm/… keeps disk writeback out of the timings
level=${DEFLATE_LEVEL:-6}
mkdir -p "$out"
source bench/record.sh
bench=$(bench/dc-bench-path.sh)
record_start tiff-io text "$@"
echo "tifffile $("$python" -c 'import tifffile; print(tifffile.__version__)'), maxworkers $REF_THREADS; deflate level $level on both sides; $out on $(df -T "$out" | awk 'NR == 2 {print $2}')"
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
printf '%-22s %10s %10s %8s  %s\n' "case (100x512x512 u16)" "ours s" "tifffile s" "speedup" "ours threads"
for compression in none deflate; do
  ours_kind=$compression
  [ "$compression" = deflate ] && ours_kind=deflate:$level
  # Writes: ours (dc-bench tiffio serving one timed write per request, one server per thread
  # count) and tifffile's take turns, each into a new file after sync, so all meet the same
  # disk state; best of each.
  "$python" - "$bench" "$out" "$compression" "$repeats" "$ours_kind" "$level" "$REF_THREADS" $OURS_THREADS > "$out/write-$compression.txt" <<'PY'
import os, subprocess, sys, time, numpy as np, tifffile
bench, out, compression, repeats, ours_kind, level, ref_threads = sys.argv[1:8]
repeats, ref_threads, threads = int(repeats), int(ref_threads), sys.argv[8:]
stack = np.load(f'{out}/stack.npy')
ref_path = f'{out}/ref-{compression}.tif'
kw = {'compression': 'zlib', 'compressionargs': {'level': int(level)}} if compression == 'deflate' else {}
servers = {n: subprocess.Popen([bench, 'tiffio', 'write', f'{out}/stack.npy', f'{out}/ours{n}-{compression}.tif',
                                ours_kind, 'serve'], env=dict(os.environ, DC_THREADS=n),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
           for n in threads}
ours, ref = {n: [] for n in threads}, []
for _ in range(repeats):
    for n, server in servers.items():
        server.stdin.write('\n'); server.stdin.flush()
        ours[n].append(float(server.stdout.readline()))
    if os.path.exists(ref_path):
        os.unlink(ref_path)
    os.sync()
    s = time.perf_counter(); tifffile.imwrite(ref_path, stack, maxworkers=ref_threads, **kw); ref.append(time.perf_counter() - s)
for server in servers.values():
    server.stdin.close(); server.wait()
reads = []
for _ in range(repeats):
    s = time.perf_counter(); tifffile.imread(ref_path, maxworkers=ref_threads); reads.append(time.perf_counter() - s)
assert np.array_equal(tifffile.imread(ref_path), stack)
print('ref', f'{min(ref):.4f}', f'{min(reads):.4f}')
for n in threads:
    print(n, f'{min(ours[n]):.4f}')
PY
  read -r _ ref_w ref_r < <(grep '^ref ' "$out/write-$compression.txt")
  for n in $OURS_THREADS; do
    ours_w=$(awk -v n="$n" '$1 == n {print $2}' "$out/write-$compression.txt")
    ours_r=$(DC_THREADS=$n "$bench" tiffio read "$out/ours$n-$compression.tif" "$repeats")
    # Both files hold the same pixels, whoever wrote them.
    "$python" -c "import sys,numpy as np,tifffile; s=np.load(sys.argv[1]); assert np.array_equal(tifffile.imread(sys.argv[2]).reshape(s.shape), s)" \
      "$out/stack.npy" "$out/ours$n-$compression.tif"
    printf '%-22s %10s %10s %7.2fx  %s\n' "write $compression" "$ours_w" "$ref_w" "$(echo "$ref_w / $ours_w" | bc -l)" "$n"
    printf '%-22s %10s %10s %7.2fx  %s\n' "read $compression" "$ours_r" "$ref_r" "$(echo "$ref_r / $ours_r" | bc -l)" "$n"
  done
  printf '%-22s %10s %10s\n' "  file size MB" "$(du -m "$out/ours$ALL_THREADS-$compression.tif" | cut -f1)" "$(du -m "$out/ref-$compression.tif" | cut -f1)"
done
# Tiled deflate (256×256 tiles, as whole-slide and OME writers store pages): we only read
# these; tifffile writes the file once, at the same level.
"$python" -c "import sys,numpy as np,tifffile; tifffile.imwrite(sys.argv[2], np.load(sys.argv[1]), tile=(256, 256), compression='zlib', compressionargs={'level': int(sys.argv[3])})" \
  "$out/stack.npy" "$out/ref-tiled.tif" "$level"
ref_r=$("$python" - "$out/ref-tiled.tif" "$repeats" "$REF_THREADS" <<'PY'
import sys, time, tifffile
t = []
for _ in range(int(sys.argv[2])):
    s = time.perf_counter(); tifffile.imread(sys.argv[1], maxworkers=int(sys.argv[3])); t.append(time.perf_counter() - s)
print(f'{min(t):.4f}')
PY
)
for n in $OURS_THREADS; do
  ours_r=$(DC_THREADS=$n "$bench" tiffio read "$out/ref-tiled.tif" "$repeats")
  printf '%-22s %10s %10s %7.2fx  %s\n' "read tiled deflate" "$ours_r" "$ref_r" "$(echo "$ref_r / $ours_r" | bc -l)" "$n"
done
echo "(speedup = tifffile / ours: above 1, ours is faster; best of $repeats)"
record_finish
