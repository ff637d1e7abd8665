#!/usr/bin/env bash
# bench/augment.sh — the seed notebook's targets (inner-distance α auto β 1, outer-distance
# erosion 1, fgbg) on (16, 256, 256, 1) labels: ours vs the DeepCell reference, same labels,
# one run. Labels: reference_bench.make_dataset(16, (256, 256), 38, SEED + 1000), the inputs
# of the reference timing (0.20 s for the three transforms together on these machines).
#
#   bench/augment.sh [RUNS]          (default 5; median of RUNS after one warm-up)
#
# Threads (bench/record.sh): ours at 1 and all cores, in process and as the dc-augment command;
# the reference pinned to REF_THREADS (its transforms are numpy/scipy/skimage code).
# Result: bench/results/augment.md. Needs the oracle venv (${ORACLE:-.oracle}); the release
# build of dc-augment is made here.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
source bench/record.sh
ORACLE=${ORACLE:-.oracle}
SHARED=${SHARED:-../shared}
OUT=bench/out
mkdir -p "$OUT"
bench=$(bench/dc-bench-path.sh)
command -v bc >/dev/null || { echo "bench/augment.sh needs bc" >&2; exit 1; }
nice swift build -c release --product dc-augment >&2
record_start augment text "$@"

"$ORACLE/bin/python" - "$SHARED/oracle" "$OUT/labels_16x256x256.npy" "$RUNS" > "$OUT/augment-reference.json" <<'PY'
import json, statistics, sys, time, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
import reference_bench as rb
import oracle_transforms as ot
_, y = rb.make_dataset(16, (256, 256), 38, rb.SEED + 1000)
np.save(sys.argv[2], y)
runs = int(sys.argv[3])
calls = [("inner-distance", dict(alpha="auto", beta=1, erosion_width=0)),
         ("outer-distance", dict(erosion_width=1)), ("fgbg", {})]
def once():
    t = time.perf_counter()
    for name, kw in calls:
        ot.transform_masks(y, name, **dict(kw))
    return time.perf_counter() - t
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    once()
    times = sorted(once() for _ in range(runs))
print(json.dumps({"median_s": times[runs // 2], "min_s": times[0], "runs": runs}))
PY
# Ours, in process and end to end through the tool (process start, NPY read, NPZ write), at
# each thread count.
for n in $OURS_THREADS; do
  "$bench" augment "$OUT/labels_16x256x256.npy" "$RUNS" "$n" > "$OUT/augment-ours-$n.json"
  tool_times=()
  for _ in $(seq 0 "$RUNS"); do
    start=$(date +%s.%N)
    .build/release/dc-augment "$OUT/labels_16x256x256.npy" --targets-only -q --threads "$n" -o "$OUT/targets.npz"
    tool_times+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  printf '%s\n' "${tool_times[@]:1}" | sort -g | awk '{a[NR]=$1} END {printf "{\"median_s\": %.6f}\n", a[int((NR+1)/2)]}' > "$OUT/augment-tool-$n.json"
done
python3 - "$OUT" "$REF_THREADS" $OURS_THREADS <<'PY'
import json, sys
out, ref_threads, threads = sys.argv[1], sys.argv[2], sys.argv[3:]
ref = json.load(open(f"{out}/augment-reference.json"))
print(f"targets inner+outer+fgbg on (16, 256, 256, 1) labels, median of {ref['runs']} runs after one warm-up")
print(f"  reference (deepcell _transform_masks, {ref_threads} threads pinned): {ref['median_s']*1000:8.1f} ms")
for n in threads:
    ours = json.load(open(f"{out}/augment-ours-{n}.json"))["median_s"]
    tool = json.load(open(f"{out}/augment-tool-{n}.json"))["median_s"]
    print(f"  ours, {n} thread(s), in process (TargetTransform):      {ours*1000:8.1f} ms  {ref['median_s'] / ours:5.1f}x")
    print(f"  ours, {n} thread(s), dc-augment --targets-only (NPY in, NPZ out, whole process): "
          f"{tool*1000:8.1f} ms  {ref['median_s'] / tool:5.1f}x")
print("  (ratio = reference / ours: above 1, ours is faster; goal >= 5x)")
PY
record_finish
