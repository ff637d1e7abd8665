#!/usr/bin/env bash
# dc-track accuracy on the CTC sequences in ../shared/data/ctc-* (spec/track.md, issue 8):
# the 01_GT/TRA masks with their ids scrambled per frame ("clean"), and the same with 3 % of
# the cell-frames dropped at random ("drop"), tracked by dc-track and by a plain IoU-Hungarian
# linker (bench/track_accuracy.py), scored with py-ctcmetrics. Also the best achievable result
# on the dropped input (ground-truth tracks with the same gaps, each later run parented to the
# earlier) and, for "drop", the share of affected ground-truth tracks that keep one id.
# Prints one table; the inputs and results stay in bench/out/track (git-ignored: the CTC data
# is not openly licensed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${ORACLE:-.oracle}/bin/python"
SEED="${SEED:-20251125}"
OUT=bench/out/track
SHARED="${SHARED:-../shared}"
BIN=.build/release/dc-track
mkdir -p "$OUT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then nice swift build -c release >&2; fi

row() { # name json
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
name, r = sys.argv[1], json.loads(sys.argv[2])
div = f"{int(r['tp_div(0)'])}/{int(r['gt_divisions'])}"
tp, fp, fn = r["tp_div(0)"], r["fp_div(0)"], r["fn_div(0)"]
prec = tp / (tp + fp) if tp + fp else 0.0
rec = tp / (tp + fn) if tp + fn else 0.0
ids = f"{r['id_kept']}/{r['id_affected']} ({100 * r['id_kept'] / max(1, r['id_affected']):.0f} %)" if "id_kept" in r else "-"
ms = f"{r['ms_per_frame']:.1f}" if "ms_per_frame" in r else "-"
print(f"{name:<44} {r['TRA']:.4f}  {r['DET']:.4f}  {r['AOGM']:8.1f}  {div:>6}  {prec:.2f}/{rec:.2f}  {ids:>14}  {ms:>8}")
PYEOF
}

echo "ms/frame: CPU time per frame (dc-track: whole run with TIFF in/out; IoU-Hungarian: linking only, no I/O)"
printf '%-44s %-7s %-7s %8s  %6s  %-9s  %14s  %8s\n' "sequence / input / tracker" "TRA" "DET" "AOGM" "div" "div P/R" "one id kept" "ms/frame"
for seq in "$SHARED"/data/ctc-*; do
  [ -d "$seq/01_GT/TRA" ] || continue
  name=$(basename "$seq" | sed 's/^ctc-//')
  work="$OUT/$name"
  gt="$seq/01_GT"
  nice "$PY" bench/track_accuracy.py prepare "$seq" "$work" "$SEED"
  for input in clean drop; do
    rm -rf "$work/RES_dc_$input"
    # CPU time (user + system) of the whole run, reading and writing included: the machine
    # is shared, so wall time says more about the neighbours than about the tracker.
    cpu=$( { TIMEFORMAT='%U %S'; time "$BIN" "$work/input_$input.tif" --ctc "$work/RES_dc_$input" \
      -o "$work/tracked_dc_$input.tif" --quiet; } 2>&1 )
    frames=$(ls "$work/RES_dc_$input"/mask*.tif | wc -l)
    ms=$("$PY" -c "u, s = '$cpu'.split(); print(1000 * (float(u) + float(s)) / $frames)")
    iou_ms=$("$PY" -c "import json; print(1000 * json.load(open('$work/iou_timings.json'))['$input'])")
    extra=()
    [ "$input" = drop ] && extra=("$work/tracked_dc_$input.tif" "$work")
    r=$("$PY" bench/track_accuracy.py score "$gt" "$work/RES_dc_$input" "${extra[@]}")
    row "$name / $input / dc-track" "$("$PY" -c "import json,sys; d=json.loads(sys.argv[1]); d['ms_per_frame']=$ms; print(json.dumps(d))" "$r")"
    [ "$input" = drop ] && extra=("$work/tracked_iou_$input.tif" "$work")
    r=$("$PY" bench/track_accuracy.py score "$gt" "$work/RES_iou_$input" "${extra[@]}")
    row "$name / $input / IoU-Hungarian" "$("$PY" -c "import json,sys; d=json.loads(sys.argv[1]); d['ms_per_frame']=$iou_ms; print(json.dumps(d))" "$r")"
  done
  r=$("$PY" bench/track_accuracy.py score "$gt" "$work/RES_best_drop")
  row "$name / drop / best achievable" "$r"
done
