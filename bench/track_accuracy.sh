#!/usr/bin/env bash
# dc-track accuracy (spec/track.md, issues 8 and 18) beside a plain IoU-Hungarian linker
# (bench/track_accuracy.py), scored with py-ctcmetrics (TRA, DET, AOGM, BC(1), CT, TF) and
# traccuracy (division F1, frame buffer 0). One table, three kinds of input:
#   seg    our own segmentation of the raw CTC movies (label stacks made once by
#          bench/track_seg_labels.sh under $SEG; rows skipped when absent),
#   clean  ground-truth masks with their ids scrambled per frame: the CTC sequences in
#          ../shared/data (their 01_GT/TRA) and synthetic movies (bench/track_synthetic.py:
#          touching, dividing, fast and border-crossing nuclei),
#   drop   the CTC clean input with 3 % of the cell-frames dropped at random, with the best
#          achievable result (ground-truth tracks with the same gaps) and, per tracker, the
#          share of affected ground-truth tracks that keep one id.
# Inputs and results stay in bench/out/track (git-ignored: the CTC data is not openly licensed).
# DCFLAGS are passed to dc-track (default: none, its documented defaults).
# Threads (bench/record.sh): dc-track runs at --threads 1 and at all cores (the results are
# checked identical; ms/frame shows both, "1 thr / all"), the Python IoU linker and scorers
# pinned to REF_THREADS. Result: bench/results/track-accuracy.md (the table in
# bench/track_results.md is an earlier run, with its own header).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/record.sh
PY="${ORACLE:-.oracle}/bin/python"
SEED="${SEED:-20251125}"
OUT=bench/out/track
SHARED="${SHARED:-../shared}"
SEG="${SEG:-/work/track-seg}"
BIN=.build/release/dc-track
read -r -a FLAGS <<< "${DCFLAGS:-}"
mkdir -p "$OUT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then nice swift build -c release --product dc-track >&2; fi
[ -s "$OUT/synthetic/synthetic-dividing/labels.tif" ] || "$PY" bench/track_synthetic.py "$OUT/synthetic" 7
record_start track-accuracy md "$@"
echo
echo "SEED=$SEED, DCFLAGS=${DCFLAGS:-none}, SEG=$SEG; ms/frame: CPU time (user + system) per frame, dc-track at 1 thread / all cores (whole run, TIFF in/out), IoU-Hungarian linking only"
echo

row() { # name json
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
name, r = sys.argv[1], json.loads(sys.argv[2])
f = lambda k: "–" if r.get(k) is None or r[k] != r[k] else f"{r[k]:.3f}"
div = f"{int(r['tp_div(0)'])}/{int(r['gt_divisions'])}"
ids = f"{r['id_kept']}/{r['id_affected']}" if "id_kept" in r else "–"
ms = r.get("ms_per_frame", "–")
ms = f"{ms:.1f}" if isinstance(ms, float) else ms
print(f"| {name} | {r['TRA']:.4f} | {r['DET']:.4f} | {r['AOGM']:.1f} | {f('BC(1)')} | {f('CT')} | {f('TF')} | {div} | {f('div_f1')} | {ids} | {ms} |")
PYEOF
}

echo "| sequence / input / tracker | TRA | DET | AOGM | BC(1) | CT | TF | div. BC(0) TP/GT | div. F1 (traccuracy) | one id kept | ms/frame |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for seq in "$SHARED"/data/ctc-* "$OUT"/synthetic/synthetic-*; do
  [ -d "$seq/01_GT/TRA" ] || continue
  name=$(basename "$seq" | sed 's/^ctc-//')
  work="$OUT/$name"
  gt="$seq/01_GT"
  seg="$SEG/$(basename "$seq")/labels.tif"
  [ -s "$seq/labels.tif" ] && seg="$seq/labels.tif"  # synthetic movies' segmentation-like noise
  inputs="clean"
  case $name in synthetic-*) ;; *) inputs="clean drop" ;; esac
  if [ -s "$seg" ]; then
    inputs="seg $inputs"
    "$PY" bench/track_accuracy.py prepare "$seq" "$work" "$SEED" "$seg"
  else
    "$PY" bench/track_accuracy.py prepare "$seq" "$work" "$SEED"
  fi
  for input in $inputs; do
    # CPU time (user + system) of the whole run, reading and writing included: the machine
    # is shared, so wall time says more about the neighbours than about the tracker.
    ms=""
    for n in $OURS_THREADS; do
      rm -rf "$work/RES_dc_$input"
      cpu=$( { TIMEFORMAT='%U %S'; time "$BIN" "$work/input_$input.tif" --ctc "$work/RES_dc_$input" \
        -o "$work/tracked_dc_$input.tif" --quiet --threads "$n" "${FLAGS[@]}"; } 2>&1 )
      frames=$(ls "$work/RES_dc_$input"/mask*.tif | wc -l)
      ms+="${ms:+ / }$("$PY" -c "u, s = '$cpu'.split(); print(f'{1000 * (float(u) + float(s)) / $frames:.1f}')")"
      if [ -f "$work/res_track_previous.txt" ]; then
        cmp -s "$work/res_track_previous.txt" "$work/RES_dc_$input/res_track.txt" \
          || { echo "dc-track: results differ between thread counts" >&2; exit 1; }
      fi
      cp "$work/RES_dc_$input/res_track.txt" "$work/res_track_previous.txt"
    done
    rm -f "$work/res_track_previous.txt"
    if [ "$input" = seg ]; then
      iou_ms=$("$PY" -c "import json; print(1000 * json.load(open('$work/iou_seg_timing.json'))['seg'])")
    else
      iou_ms=$("$PY" -c "import json; print(1000 * json.load(open('$work/iou_timings.json'))['$input'])")
    fi
    extra=()
    [ "$input" = drop ] && extra=("$work/tracked_dc_$input.tif" "$work")
    r=$("$PY" bench/track_accuracy.py score "$gt" "$work/RES_dc_$input" "${extra[@]}")
    row "$name / $input / dc-track" "$("$PY" -c "import json,sys; d=json.loads(sys.argv[1]); d['ms_per_frame']='$ms'; print(json.dumps(d))" "$r")"
    [ "$input" = drop ] && extra=("$work/tracked_iou_$input.tif" "$work")
    r=$("$PY" bench/track_accuracy.py score "$gt" "$work/RES_iou_$input" "${extra[@]}")
    row "$name / $input / IoU-Hungarian" "$("$PY" -c "import json,sys; d=json.loads(sys.argv[1]); d['ms_per_frame']=$iou_ms; print(json.dumps(d))" "$r")"
  done
  if [[ " $inputs " == *" drop "* ]]; then
    r=$("$PY" bench/track_accuracy.py score "$gt" "$work/RES_best_drop")
    row "$name / drop / best achievable" "$r"
  fi
done
record_finish
