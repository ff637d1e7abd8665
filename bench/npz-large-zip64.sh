#!/usr/bin/env bash
# Manual Zip64 check with a real member over 4 GiB (not part of the test suite: it writes
# about 4.4 GB per archive). Writes (N, 2048, 2048) uint16 with N = 520 (4.36 GB) stored, deflated
# and through a pipe, reads each back with NPZReader (every frame, CRC-32) and lets
# Python's zipfile (what np.load uses) check the CRCs and numpy parse the array header.
# A correctness check with times, not a comparison: there is no reference side to time
# (numpy only checks our files). Ours runs at all cores (DC_THREADS; writing and reading an
# NPZ member is one stream, so the count does not matter). Result:
# bench/results/npz-large-zip64.md (bench/record.sh).
#   bench/npz-large-zip64.sh [FOLDER] [FRAMES]
set -euo pipefail
cd "$(dirname "$0")/.."
folder=${1:-${TMPDIR:-/tmp}}
frames=${2:-520}
python=${DC_PYTHON:-.venv/bin/python}
OURS_THREADS=${OURS_THREADS:-$(nproc)}
source bench/record.sh
export DC_THREADS=$OURS_THREADS
bench=$(bench/dc-bench-path.sh)
record_start npz-large-zip64 text "$@"
echo "($frames, 2048, 2048) uint16 = $((frames * 2048 * 2048 * 2)) bytes in X.npy, folder $folder ($(df -T "$folder" | awk 'NR == 2 {print $2}'))"
for mode in stored deflated pipe; do
    path=$folder/dc-zip64-$mode.npz
    start=$(date +%s.%N)
    case $mode in
    pipe) "$bench" npz-large-zip64 write - stored "$frames" | cat >"$path" ;;
    *) "$bench" npz-large-zip64 write "$path" "$mode" "$frames" ;;
    esac
    written=$(date +%s.%N)
    "$bench" npz-large-zip64 read "$path" "$frames"
    read=$(date +%s.%N)
    "$python" - "$path" "$frames" <<'PY'
import sys, zipfile, numpy as np
path, frames = sys.argv[1], int(sys.argv[2])
with zipfile.ZipFile(path) as z:
    info = z.getinfo('X.npy')
    assert z.testzip() is None, 'CRC mismatch'
    with z.open('X.npy') as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
        assert shape == (frames, 2048, 2048) and dtype == np.uint16, (shape, dtype)
    assert list(np.load(path)['after']) == [1.5, 1.5, 1.5]
    print(f'zipfile/numpy: X.npy {info.file_size} bytes ({info.compress_size} stored), CRC ok, header {shape} {dtype}')
PY
    echo "$mode: $(stat -c %s "$path") bytes; write $(echo "$written - $start" | bc) s, read $(echo "$read - $written" | bc) s"
    rm -f "$path"
done
record_finish
