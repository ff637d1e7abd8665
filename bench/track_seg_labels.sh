#!/usr/bin/env bash
# Label stacks of our own segmentation for the CTC movies, made once so that the tracker can
# be iterated on them (issue 18): each raw movie in $CTC through
#   dc-normalize raw.tif | dc-predict (shipped model, no flags) | dc-watershed (no flags)
# exactly as the CTC rows of models/evaluate.sh run it, stopping before dc-track.
# Writes $SEG/<sequence>/raw.tif and labels.tif (default SEG=/work/track-seg; the CTC data is
# not openly licensed, keep it out of the repository).
#
# Usage: bench/track_seg_labels.sh [MODEL]   (CTC=../shared/data, BIN=.build/release,
#   ONLY=<glob> picks sequences, PREDICT_FLAGS e.g. --no-augment for a quick 4x cheaper stack)
# The tools run at their default, all cores; the times of the sequences made in this run are
# recorded in bench/results/track-seg-labels.md (bench/record.sh; RECORD=0 to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
OURS_THREADS=${OURS_THREADS:-$(nproc)}
source bench/record.sh
record_start track-seg-labels text "$@"
echo "model ${1:-models/nuclear.npz}, PREDICT_FLAGS=${PREDICT_FLAGS:-none}, SEG=${SEG:-/work/track-seg}"
MODEL=${1:-models/nuclear.npz}
CTC=${CTC:-../shared/data}
BIN=${BIN:-.build/release}
PY=${PY:-.oracle/bin/python}
SEG=${SEG:-/work/track-seg}
ONLY=${ONLY:-*}
read -r -a PFLAGS <<< "${PREDICT_FLAGS:-}"
for seq in "$CTC"/ctc-$ONLY/; do
  seq=${seq%/}
  dir="$SEG/$(basename "$seq")"
  mkdir -p "$dir"
  [ -s "$dir/labels.tif" ] && continue
  "$PY" -c 'import sys, glob, numpy, tifffile
files = sorted(glob.glob(sys.argv[1] + "/01/t*.tif"))
tifffile.imwrite(sys.argv[2], numpy.stack([tifffile.imread(f) for f in files]))' "$seq" "$dir/raw.tif"
  start=$(date +%s)
  "$BIN/dc-normalize" "$dir/raw.tif" --model "$MODEL" --quiet \
    | "$BIN/dc-predict" --model "$MODEL" "${PFLAGS[@]}" 2> "$dir/predict.log" \
    | "$BIN/dc-watershed" --quiet -o "$dir/labels.tmp.tif"
  mv "$dir/labels.tmp.tif" "$dir/labels.tif"
  echo "$(basename "$seq"): $(( $(date +%s) - start )) s" | tee -a "$SEG/timings.txt"
done
record_finish
