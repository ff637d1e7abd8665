#!/usr/bin/env bash
# Side-by-side benchmark of dc-metrics against the Python reference (one run, same inputs):
#   1. object metrics on (16, 512, 512) label stacks with 150 cells each
#      (deepcell-toolbox Metrics.calc_object_stats; goal >= 20x faster)
#   2. CTC DET+SEG+TRA on a 10-frame 256x256 sequence (py-ctcmetrics; goal >= 10x faster)
# Inputs are generated as ../shared/oracle/reference_bench.py does. Our side is timed twice:
# in process (dc-bench metrics, median of N runs, like the reference) and as the whole
# dc-metrics command (process start, file reading, report writing).
# Threads (bench/record.sh): ours at 1 and all cores, in process and as the command; the
# reference pinned to REF_THREADS. Result: bench/results/metrics.md.
# Usage: bench/metrics.sh [RUNS]     env: ORACLE (python venv, default .oracle)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
source bench/record.sh
PY=${ORACLE:-.oracle}/bin/python
OUT=bench/out/metrics
mkdir -p "$OUT"
nice swift build -c release --manifest-cache none --product dc-metrics >/dev/null
# dc-bench metrics times our side in process (Benchmarks/); when it cannot be built only the
# whole-command times are measured.
HAVE_BENCH=1
bench=$(nice bench/dc-bench-path.sh 2>/dev/null) || HAVE_BENCH=0
BIN=.build/release
record_start metrics text "$@"

echo "== reference (Python, $REF_THREADS threads pinned) =="
REF=$($PY bench/metrics_reference.py "$OUT" --runs "$RUNS")
echo "$REF"
GT=$(echo "$REF" | $PY -c 'import json,sys; print(json.load(sys.stdin)["gt_dir"])')
RES=$(echo "$REF" | $PY -c 'import json,sys; print(json.load(sys.stdin)["res_dir"])')

echo "== dc-metrics (Swift) =="
declare -A OBJ CTC OBJ_CLI CTC_CLI
for n in $OURS_THREADS; do
  OBJ[$n]='{}'
  CTC[$n]='{}'
  if [ "$HAVE_BENCH" = 1 ]; then
    OBJ[$n]=$("$bench" metrics --truth "$OUT/truth.npy" --prediction "$OUT/pred.npy" --runs "$RUNS" --threads "$n")
    echo "object metrics, in process, $n thread(s): ${OBJ[$n]}"
    CTC[$n]=$("$bench" metrics --res "$RES" --gt "$GT" --runs "$RUNS" --threads "$n")
    echo "CTC measures, in process, $n thread(s):   ${CTC[$n]}"
  else
    echo "dc-bench could not be built (bench/dc-bench-path.sh): in-process times skipped"
  fi
done

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
for n in $OURS_THREADS; do
  OBJ_CLI[$n]=$(wall $BIN/dc-metrics "$OUT/pred.npy" --truth "$OUT/truth.npy" --quiet --threads "$n" -o "$OUT/stats.json")
  CTC_CLI[$n]=$(wall $BIN/dc-metrics track "$RES" --truth "$GT" --quiet --threads "$n" -o "$OUT/ctc.json")
done

$BIN/dc-metrics "$OUT/pred.npy" --truth "$OUT/truth.npy" --quiet -o "$OUT/stats.json"
$BIN/dc-metrics track "$RES" --truth "$GT" --quiet -o "$OUT/ctc.json"

ROWS=$(for n in $OURS_THREADS; do printf '%s\t%s\t%s\t%s\t%s\n' "$n" "${OBJ[$n]}" "${CTC[$n]}" "${OBJ_CLI[$n]}" "${CTC_CLI[$n]}"; done)
REF="$REF" ROWS="$ROWS" OUTDIR="$OUT" $PY - <<'PYEOF'
import json, os
ref = json.loads(os.environ["REF"])
stats = json.load(open(os.path.join(os.environ["OUTDIR"], "stats.json")))["summary"]
ours_ctc = json.load(open(os.path.join(os.environ["OUTDIR"], "ctc.json")))
same_obj = all(stats[k] == v for k, v in ref["object_summary"].items() if k != "seg")
same_ctc = max(abs(ours_ctc[k] - v) for k, v in ref["ctc"].items())
print()
print(f"{'task (ours at N threads)':52s} {'reference s':>12s} {'ours s':>9s} {'ratio':>8s}")
for line in os.environ["ROWS"].splitlines():
    n, obj, ctc, oc, cc = line.split("\t")
    obj, ctc, oc, cc = json.loads(obj), json.loads(ctc), float(oc), float(cc)
    if obj:
        print(f"{'object metrics 16x512x512, in process, ' + n + ' thr':52s} {ref['object_s']:12.4f} {obj['median_s']:9.4f} {ref['object_s']/obj['median_s']:7.1f}x")
    print(f"{'object metrics, whole dc-metrics command, ' + n + ' thr':52s} {ref['object_s']:12.4f} {oc:9.4f} {ref['object_s']/oc:7.1f}x")
    if ctc:
        print(f"{'CTC DET+SEG+TRA 10x256x256, in process, ' + n + ' thr':52s} {ref['ctc_s']:12.4f} {ctc['median_s']:9.4f} {ref['ctc_s']/ctc['median_s']:7.1f}x")
    print(f"{'CTC, whole dc-metrics track command, ' + n + ' thr':52s} {ref['ctc_s']:12.4f} {cc:9.4f} {ref['ctc_s']/cc:7.1f}x")
print("(ratio = reference / ours: above 1, ours is faster; reference timed in process)")
print(f"summary identical to the reference (all keys but seg): {same_obj}; CTC max |diff| {same_ctc:.2e}")
PYEOF
record_finish
