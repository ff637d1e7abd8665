#!/usr/bin/env bash
# The learning curve of a training run: validation F1 of the plain pipe at each kept checkpoint.
#
# Each training state in $WORK/snaps/epochN.state.npz (models/train.sh keeps one every 6 epochs
# = 300 steps) becomes a model file with the settings of MODEL (diameter, calibration,
# watershed, flips: models/model_file.py --state), and models/tune.py --score runs
#   dc-predict IMAGE --model CHECKPOINT | dc-watershed
# on the training-side validation images ($WORK/val-ids.txt; never the held-out split).
# Prints one Markdown row per checkpoint: epoch, steps, pooled F1, the run's val_loss there.
#
# Usage: models/learning_curve.sh MODEL   (WORK=/work/train, BIN=.build/release,
#        PY=.venv/bin/python, LOG=$WORK/v2.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$1
WORK=${WORK:-/work/train}
PY=${PY:-.venv/bin/python}
LOG=${LOG:-$WORK/v2.csv}
export BIN=${BIN:-.build/release}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| epochs done | steps | val F1 (plain pipe, $(wc -l < "$WORK/val-ids.txt") validation images) | val_loss (log row epochs − 1) |"
echo "|---|---|---|---|"
for state in $(ls "$WORK"/snaps/epoch*.state.npz | sort -V); do
  # epochs finished, from the state's own header (not the file name)
  epoch=$("$PY" -c 'import json, sys, zipfile
print(json.loads(zipfile.ZipFile(sys.argv[1]).read("state.json"))["progress"]["nextEpoch"])' "$state")
  "$PY" models/model_file.py "$MODEL" "$tmp/m.npz" --state "$state"
  f1=$("$PY" models/tune.py --score "$tmp/m.npz" "$WORK/labels.tsv" "$WORK/val-ids.txt" "$tmp/s" \
    | sed -E 's/.*F1 ([0-9.]+).*/\1/')
  # the log's row of the last finished epoch (epochs count from 0)
  loss=$(awk -F, -v e=$((epoch - 1)) '$1 == e { print $7 }' "$LOG")
  echo "| $epoch | $((epoch * 50)) | $f1 | ${loss:-–} |"
done
