#!/usr/bin/env bash
# Batch conversion (dc-normalize --method none) against tifffile + numpy doing the same
# conversions on the same files, and peak memory of a long stack.
#   1. throughput: (N, 512, 512) uint16 microscopy-like TIFFs, one for each N of FRAMES
#      (e.g. 400,2000: 200 MiB and 1 GiB, so the ~14 ms a process takes to start weighs
#      less in the larger), converted to TIFF, NPZ,
#      OME-TIFF and rescaled uint8 TIFF; ours is the whole dc-normalize process, tifffile's
#      timed twice: the read + write calls inside a running Python (no interpreter start or
#      imports: "in-process"), and the same as a command (`python -c`, as a user runs a
#      conversion script); best of REPEATS, the three taking turns, output files removed
#      and the disk synced before each. CPU seconds (user + system) of ours and of the
#      in-process calls are shown too: on a loaded machine they vary less than wall time.
#   2. memory: a 4,000-frame (4000, 256, 256) uint16 TIFF (500 MiB) and a 400-frame one
#      converted to NPZ under /usr/bin/time -v: peak RSS stays flat, whatever the length.
# Same files and no compression on either side (uncompressed TIFF, stored NPZ: np.savez).
# Threads (bench/record.sh): dc-normalize at --threads 1 and at all cores, tifffile at
# REF_THREADS (maxworkers; it only matters for compressed pages, and there are none).
# Usage: bench/convert.sh [REPEATS] [FRAMES,...]   (ORACLE=path of a Python env with tifffile;
# default .oracle, else .venv). Files: bench/out/convert/; result: bench/results/convert.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
frames=${2:-200}
source bench/record.sh
root=$PWD
if [ -n "${ORACLE:-}" ]; then python=$ORACLE/bin/python
elif [ -x .oracle/bin/python ]; then python=.oracle/bin/python
else python=.venv/bin/python; fi
out=${OUT:-bench/out/convert}
mkdir -p "$out"
swift build -c release --product dc-normalize >/dev/null
tool=$(swift build -c release --show-bin-path)/dc-normalize
record_start convert text "$@"
echo "tifffile $("$python" -c 'import tifffile; print(tifffile.__version__)'), numpy $("$python" -c 'import numpy; print(numpy.__version__)')"

# A microscopy-like stack: nuclei-sized blobs over a background with shot noise.
"$python" - "$out" "$frames" <<'PY'
import sys, numpy as np, tifffile
out, sizes = sys.argv[1], [int(n) for n in sys.argv[2].split(',')]
def stack(n, h, w, seed=0):
    r = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.full((h, w), 100.0)
    for _ in range(60 * h * w // (512 * 512)):
        cy, cx, s, a = r.uniform(0, h), r.uniform(0, w), r.uniform(5, 15), r.uniform(500, 3000)
        base += a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    return r.poisson(np.broadcast_to(base, (n, h, w)) * r.uniform(0.8, 1.2, (n, 1, 1))).astype(np.uint16)
first = stack(min(sizes), 512, 512)
for n in sizes:  # the larger stacks repeat the first one's frames
    tifffile.imwrite(f'{out}/in-{n}.tif', np.concatenate([first] * (n // len(first)) + [first[:n % len(first)]]),
                     imagej=True, metadata={'axes': 'TYX'})
small = stack(40, 256, 256, seed=1)
for frames in (400, 4000):
    with tifffile.TiffWriter(f'{out}/long{frames}.tif', imagej=True) as w:
        w.write(np.concatenate([small] * (frames // 40)), metadata={'axes': 'TYX'})
PY

# Throughput: each case as a dc-normalize command and the same conversion in Python.
for n in ${frames//,/ }; do
"$python" - "$tool" "$out" "$repeats" "$n" $OURS_THREADS <<'PY'
import os, resource, subprocess, sys, time, numpy as np, tifffile
tool, out, repeats, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
threads = sys.argv[5:]
src = f'{out}/in-{n}.tif'
# The tifffile side, run in this process and, as source, in a fresh `python -c`.
REF_SOURCE = """
import sys, numpy as np, tifffile
src = sys.argv[1]
def ref_tiff(dst):
    tifffile.imwrite(dst, tifffile.imread(src), imagej=True, metadata={'axes': 'TYX'})
def ref_npz(dst):
    np.savez(dst, X=tifffile.imread(src)[..., None])
def ref_ome(dst):
    tifffile.imwrite(dst, tifffile.imread(src), ome=True, metadata={'axes': 'TYX'})
def ref_uint8(dst):
    a = tifffile.imread(src).astype(np.float64)
    lo, hi = a.min(), a.max()
    tifffile.imwrite(dst, np.round((a - lo) * 255 / (hi - lo)).astype(np.uint8), imagej=True)
"""
exec(REF_SOURCE.replace('src = sys.argv[1]', f'src = {src!r}'))
cases = [
    ('TIFF -> TIFF', 'tif', [], ref_tiff),
    ('TIFF -> NPZ', 'npz', [], ref_npz),
    ('TIFF -> OME-TIFF', 'ome.tif', [], ref_ome),
    ('TIFF -> uint8 rescaled', 'tif', ['--dtype', 'uint8', '--rescale'], ref_uint8),
]
def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
print(f'{"case (" + n + "x512x512 u16)":26} {"thr":>3} {"ours s":>7} {"tifffile s":>10} {"x":>6} '
      f'{"as command s":>12} {"x":>6} {"ours CPU s":>10} {"tifffile CPU s":>14} {"x":>6}')
for name, ext, extra, ref in cases:
    ours, theirs, command, ours_cpu, theirs_cpu = {t: [] for t in threads}, [], [], {t: [] for t in threads}, []
    for r in range(repeats):
        for f in (f'{out}/ours.{ext}', f'{out}/ref.{ext}', f'{out}/cmd.{ext}'):
            if os.path.exists(f):
                os.unlink(f)
        def run_ours(t):
            s, c = time.perf_counter(), children_cpu()
            subprocess.run([tool, '--method', 'none', src, '-o', f'{out}/ours.{ext}', '--quiet',
                            '--threads', t] + extra, check=True)
            ours[t].append(time.perf_counter() - s)
            ours_cpu[t].append(children_cpu() - c)
        def run_ref():
            s, c = time.perf_counter(), time.process_time()
            ref(f'{out}/ref.{ext}')
            theirs.append(time.perf_counter() - s)
            theirs_cpu.append(time.process_time() - c)
        def run_command():
            s = time.perf_counter()
            subprocess.run([sys.executable, '-c', REF_SOURCE + f'\n{ref.__name__}({f"{out}/cmd.{ext}"!r})', src], check=True)
            command.append(time.perf_counter() - s)
        # Turns rotate, so no side always meets the page cache just after a deletion.
        turns = [lambda t=t: run_ours(t) for t in threads] + [run_ref, run_command]
        for k in range(len(turns)):
            os.sync()
            turns[(k + r) % len(turns)]()
    # Same pixels either way.
    load = (lambda p: np.load(p)['X'][..., 0]) if ext == 'npz' else tifffile.imread
    assert np.array_equal(load(f'{out}/ours.{ext}'), load(f'{out}/ref.{ext}')), name
    assert np.array_equal(load(f'{out}/cmd.{ext}'), load(f'{out}/ref.{ext}')), name
    t, c, tc = min(theirs), min(command), min(theirs_cpu)
    for k in threads:
        o, oc = min(ours[k]), min(ours_cpu[k])
        print(f'{name:26} {k:>3} {o:7.3f} {t:10.3f} {t / o:5.2f}x {c:12.3f} {c / o:5.2f}x {oc:10.3f} {tc:14.3f} {tc / oc:5.2f}x')
print('(x = tifffile time / ours: above 1, ours is faster; best of each)')
PY
done

# Memory: peak RSS of a 400- and a 4,000-frame conversion (same frames, 10x the length).
printf '\n%-32s %12s %10s\n' "memory (256x256 u16 frames)" "max RSS MiB" "seconds"
for frames in 400 4000; do
  rm -f "$out/long.npz"
  /usr/bin/time -v "$tool" --method none "$out/long$frames.tif" -o "$out/long.npz" --quiet \
    2>"$out/time-$frames.txt"
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out/time-$frames.txt")
  wall=$(awk -F': ' '/Elapsed \(wall/ {print $2}' "$out/time-$frames.txt")
  printf '%-32s %12.1f %10s\n' "dc-normalize, $frames frames -> NPZ" "$(echo "$rss / 1024" | bc -l)" "$wall"
done
rm -f "$out/long.npz"
/usr/bin/time -v "$python" -c "import sys, numpy as np, tifffile; np.savez(sys.argv[2], X=tifffile.imread(sys.argv[1]))" \
  "$out/long4000.tif" "$out/long-ref.npz" 2>"$out/time-ref.txt"
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out/time-ref.txt")
wall=$(awk -F': ' '/Elapsed \(wall/ {print $2}' "$out/time-ref.txt")
printf '%-32s %12.1f %10s\n' "tifffile+numpy, 4000 frames" "$(echo "$rss / 1024" | bc -l)" "$wall"
rm -f "$out/long-ref.npz"
record_finish
