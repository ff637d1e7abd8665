#!/usr/bin/env bash
# Side-by-side benchmark of dc-metrics against the Python reference (one run, same inputs):
#   1. object metrics on (16, 512, 512) label stacks with 150 cells each
#      (deepcell-toolbox Metrics.calc_object_stats; goal >= 20x faster)
#   2. CTC DET+SEG+TRA on a 10-frame 256x256 sequence (py-ctcmetrics; goal >= 10x faster)
# Inputs are generated as ../shared/oracle/reference_bench.py does. Our side is timed twice:
# in process (dc-bench metrics, median of N runs, like the reference) and as the whole
# dc-metrics command (process start, file reading, report writing).
# Usage: bench/metrics.sh [RUNS]     env: ORACLE (python venv, default .oracle), THREADS
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
PY=${ORACLE:-.oracle}/bin/python
OUT=bench/out/metrics
mkdir -p "$OUT"
nice swift build -c release --manifest-cache none --product dc-metrics >/dev/null
# dc-bench metrics times our side in process (Benchmarks/); when it cannot be built only the
# whole-command times are measured.
HAVE_BENCH=1
bench=$(nice bench/dc-bench-path.sh 2>/dev/null) || HAVE_BENCH=0
BIN=.build/release

echo "== reference (Python) =="
REF=$($PY bench/metrics_reference.py "$OUT" --runs "$RUNS")
echo "$REF"
GT=$(echo "$REF" | $PY -c 'import json,sys; print(json.load(sys.stdin)["gt_dir"])')
RES=$(echo "$REF" | $PY -c 'import json,sys; print(json.load(sys.stdin)["res_dir"])')

echo "== dc-metrics (Swift) =="
OBJ='{}'
CTC='{}'
if [ "$HAVE_BENCH" = 1 ]; then
  OBJ=$("$bench" metrics --truth "$OUT/truth.npy" --prediction "$OUT/pred.npy" --runs "$RUNS" --threads "${THREADS:-0}")
  echo "object metrics, in process: $OBJ"
  CTC=$("$bench" metrics --res "$RES" --gt "$GT" --runs "$RUNS" --threads "${THREADS:-0}")
  echo "CTC measures, in process:   $CTC"
else
  echo "dc-bench could not be built (bench/dc-bench-path.sh): in-process times skipped"
fi

wall() {  # median wall time of a command over RUNS runs (after one warm-up)
  "$@" >/dev/null 2>&1
  local ts=()
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    ts+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${ts[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
OBJ_CLI=$(wall $BIN/dc-metrics "$OUT/pred.npy" --truth "$OUT/truth.npy" --quiet -o "$OUT/stats.json")
CTC_CLI=$(wall $BIN/dc-metrics track "$RES" --truth "$GT" --quiet -o "$OUT/ctc.json")

$BIN/dc-metrics "$OUT/pred.npy" --truth "$OUT/truth.npy" --quiet -o "$OUT/stats.json"
$BIN/dc-metrics track "$RES" --truth "$GT" --quiet -o "$OUT/ctc.json"

REF="$REF" OBJ="$OBJ" CTC="$CTC" OBJ_CLI="$OBJ_CLI" CTC_CLI="$CTC_CLI" OUTDIR="$OUT" $PY - <<'PYEOF'
import json, os
ref = json.loads(os.environ["REF"]); obj = json.loads(os.environ["OBJ"]); ctc = json.loads(os.environ["CTC"])
oc, cc = float(os.environ["OBJ_CLI"]), float(os.environ["CTC_CLI"])
stats = json.load(open(os.path.join(os.environ["OUTDIR"], "stats.json")))["summary"]
ours_ctc = json.load(open(os.path.join(os.environ["OUTDIR"], "ctc.json")))
same_obj = all(stats[k] == v for k, v in ref["object_summary"].items() if k != "seg")
same_ctc = max(abs(ours_ctc[k] - v) for k, v in ref["ctc"].items())
print()
print(f"{'task':44s} {'reference s':>12s} {'ours s':>9s} {'ratio':>8s}")
if obj:
    print(f"{'object metrics 16x512x512, in process':44s} {ref['object_s']:12.4f} {obj['median_s']:9.4f} {ref['object_s']/obj['median_s']:7.1f}x")
print(f"{'object metrics, whole dc-metrics command':44s} {ref['object_s']:12.4f} {oc:9.4f} {ref['object_s']/oc:7.1f}x")
if ctc:
    print(f"{'CTC DET+SEG+TRA 10x256x256, in process':44s} {ref['ctc_s']:12.4f} {ctc['median_s']:9.4f} {ref['ctc_s']/ctc['median_s']:7.1f}x")
print(f"{'CTC, whole dc-metrics track command':44s} {ref['ctc_s']:12.4f} {cc:9.4f} {ref['ctc_s']/cc:7.1f}x")
print(f"summary identical to the reference (all keys but seg): {same_obj}; CTC max |diff| {same_ctc:.2e}")
PYEOF
