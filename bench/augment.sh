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
[ -x .build/release/augment-bench ] || swift build -c release --product augment-bench >&2

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
.build/release/augment-bench "$OUT/labels_16x256x256.npy" "$RUNS" > "$OUT/augment-ours.json"
python3 - "$OUT/augment-reference.json" "$OUT/augment-ours.json" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1])); ours = json.load(open(sys.argv[2]))
print(f"targets inner+outer+fgbg on (16, 256, 256, 1) labels, median of {ref['runs']} runs")
print(f"  reference (deepcell _transform_masks): {ref['median_s']*1000:8.1f} ms")
print(f"  dc-tools  (DeepCellKit TargetTransform): {ours['median_s']*1000:8.1f} ms")
print(f"  speed-up: {ref['median_s'] / ours['median_s']:.1f}x  (goal >= 5x)")
PY
