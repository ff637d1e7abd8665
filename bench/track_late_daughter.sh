#!/usr/bin/env bash
# dc-track's late-daughter pass (`--late-daughter-gap`, issue 18) against its default (off) on
# label stacks with segmentation noise, scored by dc-metrics track (py-ctcmetrics' measures;
# BC(1) and its TP/FP counts at a tolerance of one frame). One table, two kinds of input:
#   synthetic  the noisy "dividing" movies of bench/track_synthetic.py, seeds $SEEDS (written
#              under bench/out/late-daughter; seed 7 is the one bench/track_accuracy.sh uses),
#              with a total row: the pass became opt-in because that total's AOGM is higher;
#   seg        our segmentation of the CTC movies, label stacks made by
#              bench/track_seg_labels.sh under $SEG (rows skipped when absent; the CTC data is
#              not openly licensed).
# Result: bench/results/track-late-daughter.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/record.sh
PY="${PY:-.venv/bin/python}"
SEEDS="${SEEDS:-7 8 9 10 11 12}"
GAP="${GAP:-3}"
SHARED="${SHARED:-../shared}"
SEG="${SEG:-/work/track-seg}"
BIN=.build/release
OUT=bench/out/late-daughter
mkdir -p "$OUT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  nice swift build -c release --product dc-track --product dc-metrics >&2
fi
record_start track-late-daughter md "$@"
echo
echo "SEEDS=$SEEDS, GAP=$GAP, SEG=$SEG; dc-track defaults otherwise, --threads $ALL_THREADS"
echo
echo "| input | --late-daughter-gap | TRA | AOGM | ED | EC | BC(1) | TP / FP / FN | CT | TF |"
echo "|---|---|---|---|---|---|---|---|---|---|"

# score NAME LABELS GT FLAG...: one row; also appends "gap aogm tp fp" to $OUT/totals.
score() {
  local name=$1 labels=$2 gt=$3 gap=$4 res
  res="$OUT/res-$(echo "$name" | tr -c 'A-Za-z0-9' _)-$gap"
  rm -rf "$res"
  "$BIN/dc-track" "$labels" --ctc "$res" --late-daughter-gap "$gap" --threads "$ALL_THREADS" \
    --quiet
  "$BIN/dc-metrics" track "$res" --truth "$gt" --division-tolerance 1 --format json --quiet \
    | "$PY" -c 'import json, sys
r = json.load(sys.stdin); r = r.get("summary", r)
f = lambda k: "–" if r.get(k) is None else ("%.4f" % r[k] if isinstance(r[k], float) else str(r[k]))
print("| %s | %s | %s | %.1f | %d | %d | %s | %d / %d / %d | %s | %s |" % (sys.argv[1], sys.argv[2],
      f("TRA"), r["AOGM"], r["AOGM_ED"], r["AOGM_EC"], f("BC(1)"), r["tp_div(1)"], r["fp_div(1)"],
      r["fn_div(1)"], f("CT"), f("TF")))
if sys.argv[3] == "total":
    open(sys.argv[4], "a").write("%s %s %d %d\n" % (sys.argv[2], r["AOGM"], r["tp_div(1)"], r["fp_div(1)"]))' \
      "$name" "$gap" "${5:-}" "$OUT/totals"
}

rm -f "$OUT/totals"
for seed in $SEEDS; do
  dir="$OUT/synthetic-$seed"
  [ -s "$dir/synthetic-dividing/labels.tif" ] || "$PY" bench/track_synthetic.py "$dir" "$seed" >&2
  for gap in 0 "$GAP"; do
    score "synthetic dividing, noisy, seed $seed" "$dir/synthetic-dividing/labels.tif" \
      "$dir/synthetic-dividing/01_GT" "$gap" total
  done
done
"$PY" -c 'import sys
rows = [l.split() for l in open(sys.argv[1])]
for gap in dict.fromkeys(r[0] for r in rows):
    s = [r for r in rows if r[0] == gap]
    print("| synthetic, total of %d seeds | %s | | %.1f | | | | %d / %d / | | |" % (len(s), gap,
          sum(float(r[1]) for r in s), sum(int(r[2]) for r in s), sum(int(r[3]) for r in s)))' \
  "$OUT/totals"
for seq in "$SHARED"/data/ctc-*; do
  labels="$SEG/$(basename "$seq")/labels.tif"
  [ -s "$labels" ] || continue
  for gap in 0 "$GAP"; do score "$(basename "$seq") 01, our segmentation" "$labels" "$seq/01_GT" "$gap"; done
done
record_finish
