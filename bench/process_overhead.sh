#!/usr/bin/env bash
# Whole-process cost of dc-normalize and dc-augment --targets-only against the Python
# reference run as a whole process too (issue 15: users run one process per file), I/O
# included, on the issue-2 and issue-3 inputs:
#   normalize: (16, 512, 512, 1) float32 X in an NPZ -> NPZ; reference: python -c loading it,
#              deepcell_toolbox histogram_normalization, np.savez.
#   augment:   (16, 256, 256, 1) labels NPY -> NPZ of the inner-distance (α auto, β 1),
#              outer-distance (erosion 1) and fgbg targets; reference: python -c loading it,
#              the seed notebook's three deepcell transforms (../shared/oracle), np.savez.
# Runs alternate ours / reference (/ BEFORE_BIN's tool when set, e.g. an older build) so all
# see the same load; /proc/loadavg is recorded. Figures: median wall and median CPU
# (user + system) seconds over RUNS runs after one warm-up each.
#
# Threads (bench/record.sh): our tools at --threads 1 and at all cores (BEFORE_BIN's at all
# cores), the reference pinned to REF_THREADS. Result: bench/results/process-overhead.md.
#
#   bench/process_overhead.sh [RUNS]        (default 7 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
source bench/record.sh
PY="${ORACLE:-.oracle}/bin/python"
SHARED=${SHARED:-../shared}
OUT=bench/out/overhead
mkdir -p "$OUT"
swift build -c release --product dc-normalize >/dev/null
swift build -c release --product dc-augment >/dev/null
BIN=.build/release
[ -f "$OUT/clahe16.npz" ] || "$PY" - "$OUT" <<'PY'
import sys, subprocess, numpy as np
out = sys.argv[1]
subprocess.run([sys.executable, "bench/normalize_reference.py", "input", f"{out}/clahe16.npy", "16", "512", "512"], check=True)
np.savez(f"{out}/clahe16.npz", X=np.load(f"{out}/clahe16.npy"))
PY
[ -f "$OUT/labels_16x256x256.npy" ] || "$PY" - "$SHARED/oracle" "$OUT/labels_16x256x256.npy" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import reference_bench as rb
_, y = rb.make_dataset(16, (256, 256), 38, rb.SEED + 1000)
np.save(sys.argv[2], y)
PY
# Each reference also appends its in-process time (load + compute + save, after the imports)
# to \$tmp/TASK-inproc: what the reference costs without Python's start and imports.
ref_normalize="import time, numpy as np
from deepcell_toolbox.processing import histogram_normalization
t = time.perf_counter()
np.savez('$OUT/ref-norm.npz', X=histogram_normalization(np.load('$OUT/clahe16.npz')['X']))
open('TMP/normalize-inproc', 'a').write(f'{time.perf_counter() - t:.4f}\\n')"
ref_augment="import sys, time, warnings
warnings.simplefilter('ignore')
sys.path.insert(0, '$SHARED/oracle')
import numpy as np
import oracle_transforms as ot
t = time.perf_counter()
y = np.load('$OUT/labels_16x256x256.npy')
np.savez('$OUT/ref-targets.npz', **{n: ot.transform_masks(y, n, **kw) for n, kw in [
    ('inner-distance', dict(alpha='auto', beta=1, erosion_width=0)),
    ('outer-distance', dict(erosion_width=1)), ('fgbg', {})]})
open('TMP/augment-inproc', 'a').write(f'{time.perf_counter() - t:.4f}\\n')"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ref_normalize=${ref_normalize//TMP/$tmp}
ref_augment=${ref_augment//TMP/$tmp}
# Runs "$@" once, appending "wall cpu" (seconds) to $tmp/$name.
timed() {
    local name=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    awk '{printf "%s %.3f\n", $1, $2 + $3}' "$tmp/t" >> "$tmp/$name"
}
med() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
record_start process-overhead md "$@"
loads=()
for r in $(seq 0 "$runs"); do
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
    keep=$([ "$r" = 0 ] && echo warm || echo run)
    for n in $OURS_THREADS; do
        timed "normalize-ours$n-$keep" "$BIN/dc-normalize" "$OUT/clahe16.npz" --transform none -o "$OUT/ours-norm.npz" --quiet --threads "$n"
    done
    timed "normalize-ref-$keep" "$PY" -c "$ref_normalize"
    [ -n "${BEFORE_BIN:-}" ] && timed "normalize-before-$keep" "$BEFORE_BIN/dc-normalize" "$OUT/clahe16.npz" -o "$OUT/before-norm.npz" --quiet
    for n in $OURS_THREADS; do
        timed "augment-ours$n-$keep" "$BIN/dc-augment" "$OUT/labels_16x256x256.npy" --targets-only -q --threads "$n" -o "$OUT/ours-targets.npz"
    done
    timed "augment-ref-$keep" "$PY" -c "$ref_augment"
    [ -n "${BEFORE_BIN:-}" ] && timed "augment-before-$keep" "$BEFORE_BIN/dc-augment" "$OUT/labels_16x256x256.npy" --targets-only -q -o "$OUT/before-targets.npz"
done
echo
echo "## Whole-process cost: dc-normalize and dc-augment --targets-only against the reference"
echo
echo "- load (1-min /proc/loadavg before each round): ${loads[*]}"
echo "- $runs runs each after one warm-up, interleaved; median wall and median CPU (user + sys) s"
echo "- command: bench/process_overhead.sh $runs${BEFORE_BIN:+ (BEFORE_BIN=$BEFORE_BIN)}"
echo
echo "| task | process | wall s | CPU s | reference / this (wall) | reference / this (CPU) |"
echo "|---|---|---:|---:|---:|---:|"
for task in normalize augment; do
    rw=$(awk '{print $1}' "$tmp/$task-ref-run" | med)
    rc=$(awk '{print $2}' "$tmp/$task-ref-run" | med)
    for who in $(printf 'ours%s ' $OURS_THREADS) before ref; do
        [ -f "$tmp/$task-$who-run" ] || continue
        w=$(awk '{print $1}' "$tmp/$task-$who-run" | med)
        c=$(awk '{print $2}' "$tmp/$task-$who-run" | med)
        case $who in
            ours*) label="dc-$task (this build, --threads ${who#ours})" ;;
            before) label="dc-$task (BEFORE_BIN)" ;;
            *) label="Python reference ($REF_THREADS threads pinned)" ;;
        esac
        printf '| %s | %s | %.3f | %.3f | %.2f | %.2f |\n' "$task" "$label" "$w" "$c" \
            "$(echo "$rw / $w" | bc -l)" "$(echo "$rc / $c" | bc -l)"
    done
    ri=$(med < "$tmp/$task-inproc")
    ow=$(awk '{print $1}' "$tmp/$task-ours$ALL_THREADS-run" | med)
    printf '| %s | reference in process (load, compute, save; no start-up, imports) | %.3f | | %.2f (ref in-process / our whole process at all cores) | |\n' \
        "$task" "$ri" "$(echo "$ri / $ow" | bc -l)"
done
record_finish
