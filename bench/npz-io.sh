#!/usr/bin/env bash
# NPZ write and read of a (100, 512, 512) uint16 stack (52 MB), stored and deflated:
# DeepCellKit's NPZWriter/NPZReader against numpy's savez / savez_compressed / load on the
# same values, in one run; prints seconds and the numpy/ours ratio (> 1: we are faster).
# Same compression on both sides: stored, or deflate at zlib's default level (6): numpy's
# savez_compressed leaves zipfile's compresslevel unset (zlib Z_DEFAULT_COMPRESSION) and
# NPZWriter's RawDeflater uses Z_DEFAULT_COMPRESSION. Each side writes its own file from the
# same values and reads it back; numpy also reads ours.
# Threads (bench/record.sh): ours at 1 and all cores (DC_THREADS), numpy pinned to
# REF_THREADS (its zip/zlib code is single-threaded). Result: bench/results/npz-io.md.
#   bench/npz-io.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python=${DC_PYTHON:-.venv/bin/python}
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
source bench/record.sh
bench=$(bench/dc-bench-path.sh)
record_start npz-io text "$@"
echo "numpy $("$python" -c 'import numpy; print(numpy.__version__)') ($python); deflate level 6 (zlib default) on both sides"
for n in $OURS_THREADS; do
    DC_THREADS=$n "$bench" npz-io "$folder" >"$folder/swift-$n.txt"
done
"$python" - "$folder" >"$folder/numpy.txt" <<'PY'
import sys, time, numpy as np
folder = sys.argv[1]
stack = (((np.arange(100 * 512 * 512, dtype=np.uint64) * 2654435761) >> 20) & 0xFFF).astype(np.uint16).reshape(100, 512, 512)
for mode, save in [("stored", np.savez), ("deflated", np.savez_compressed)]:
    path = f"{folder}/numpy-{mode}.npz"
    t = time.perf_counter(); save(path, X=stack); w = time.perf_counter() - t
    t = time.perf_counter(); back = np.load(path)["X"]; r = time.perf_counter() - t
    assert (back == stack).all()
    # numpy reads our file too
    assert (np.load(f"{folder}/swift-{mode}.npz")["X"] == stack).all()
    print(f"write-{mode} {w}")
    print(f"read-{mode} {r}")
PY
printf "%-16s %10s %10s %8s %s\n" step numpy ours ratio "ours threads"
for n in $OURS_THREADS; do
    join <(sort "$folder/numpy.txt") <(sort "$folder/swift-$n.txt") | while read -r step numpy ours; do
        printf "%-16s %10.3f %10.3f %8.2f %s\n" "$step" "$numpy" "$ours" "$(echo "$numpy / $ours" | bc -l)" "$n"
    done
done
echo "sizes: ours stored $(stat -c %s "$folder/swift-stored.npz"), deflated $(stat -c %s "$folder/swift-deflated.npz");" \
    "numpy stored $(stat -c %s "$folder/numpy-stored.npz"), deflated $(stat -c %s "$folder/numpy-deflated.npz") bytes"
echo "(one run each, no repeats: single timings on a shared machine)"
record_finish
