#!/usr/bin/env bash
# bench/augment.sh — the seed notebook's targets (inner-distance α auto β 1, outer-distance
# erosion 1, fgbg) on (16, 256, 256, 1) labels: ours vs the DeepCell reference, same labels,
# one run. Labels: reference_bench.make_dataset(16, (256, 256), 38, SEED + 1000), the inputs
# of the reference timing (0.20 s for the three transforms together on these machines).
#
#   bench/augment.sh [RUNS]          (default 5; median of RUNS after one warm-up)
#
# Needs the oracle venv (${ORACLE:-.oracle}) and a release build (built here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
ORACLE=${ORACLE:-.oracle}
SHARED=${SHARED:-../shared}
OUT=bench/out
mkdir -p "$OUT"
bench=$(bench/dc-bench-path.sh)
command -v bc >/dev/null || { echo "bench/augment.sh needs bc" >&2; exit 1; }

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
"$bench" augment "$OUT/labels_16x256x256.npy" "$RUNS" > "$OUT/augment-ours.json"
# End to end through the tool as well (process start, NPY read, NPZ write), when it is built.
if [ -x .build/release/dc-augment ]; then
  tool_times=()
  for _ in $(seq 0 "$RUNS"); do
    start=$(date +%s.%N)
    .build/release/dc-augment "$OUT/labels_16x256x256.npy" --targets-only -q -o "$OUT/targets.npz"
    tool_times+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  printf '%s\n' "${tool_times[@]:1}" | sort -g | awk '{a[NR]=$1} END {print "{\"median_s\": " a[int((NR+1)/2)] "}"}' > "$OUT/augment-tool.json"
else
  rm -f "$OUT/augment-tool.json"
fi
python3 - "$OUT/augment-reference.json" "$OUT/augment-ours.json" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1])); ours = json.load(open(sys.argv[2]))
print(f"targets inner+outer+fgbg on (16, 256, 256, 1) labels, median of {ref['runs']} runs")
print(f"  reference (deepcell _transform_masks): {ref['median_s']*1000:8.1f} ms")
print(f"  dc-tools  (DeepCellKit TargetTransform): {ours['median_s']*1000:8.1f} ms")
print(f"  speed-up: {ref['median_s'] / ours['median_s']:.1f}x  (goal >= 5x)")
import os
tool = os.path.join(os.path.dirname(sys.argv[1]), "augment-tool.json")
if os.path.exists(tool):
    t = json.load(open(tool))["median_s"]
    print(f"  dc-augment --targets-only, end to end (NPY in, NPZ out): {t*1000:8.1f} ms"
          f"  ({ref['median_s'] / t:.1f}x)")
PY
