#!/usr/bin/env bash
# Chooses dc-watershed settings for a model on the TRAINING images only (the DSB-2018 images
# not in models/held-out.txt), so the held-out scores of models/evaluate.sh stay clean.
#
# The maps of every training image are predicted once (dc-normalize | dc-predict); then each
# setting is a line of dc-watershed flags, scored pooled over the images with dc-metrics
# (DeepCell's Metrics, IoU > 0.6) exactly as evaluate.sh scores the held-out images.
#
# Usage: models/tune_watershed.sh [MODEL] < settings.txt
#   settings.txt: one setting a line, e.g. "--radius 5 --maxima-threshold 0.05"
#   (DATA=…, BIN=.build/release, OUT=bench/out/tune, PREDICT_FLAGS="--augment" for test-time flips)
# Prints "F1 F1@0.5 precision recall | flags" a setting, then the best line.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/nuclear.npz}
DATA=${DATA:-../shared/data/dsb2018-stage1-fluo-nuclei}
BIN=${BIN:-.build/release}
OUT=${OUT:-bench/out/tune}
mkdir -p "$OUT/maps" "$OUT/run"
ids=()
for dir in "$DATA"/*/; do
  id=$(basename "$dir")
  [ -f "$dir/images/$id.png" ] || continue
  grep -qx "$id" models/held-out.txt && continue
  ids+=("$id")
  maps="$OUT/maps/$id.npz"
  if [ ! -f "$maps" ] || [ "$maps" -ot "$MODEL" ]; then
    "$BIN/dc-normalize" "$dir/images/$id.png" --channel 0 --quiet \
      | "$BIN/dc-predict" --no-normalize --model "$MODEL" ${PREDICT_FLAGS:-} --quiet -o "$maps"
  fi
done
best=""
best_f1=-1
while read -r flags; do
  [ -z "$flags" ] && continue
  rm -f "$OUT"/run/*
  for id in "${ids[@]}"; do
    # shellcheck disable=SC2086
    "$BIN/dc-watershed" "$OUT/maps/$id.npz" $flags --quiet -o "$OUT/run/$id-labels.tif"
    "$BIN/dc-metrics" "$OUT/run/$id-labels.tif" --truth "$DATA/labels/$id.tif" --format json \
      --quiet -o "$OUT/run/$id-metrics.json"
  done
  scores=$(python3 models/pool_metrics.py "$OUT"/run/*-metrics.json | awk '
    /^pooled/ { p = $(NF - 2); r = $NF }
    /^F1=/ { sub("F1=", ""); f = $0 }
    /^F1@0.5=/ { sub("F1@0.5=", ""); f5 = $0 }
    END { printf "%s %s %s %s", f, f5, p, r }')
  echo "$scores | $flags"
  f1=${scores%% *}
  if awk -v a="$f1" -v b="$best_f1" 'BEGIN { exit !(a > b) }'; then
    best_f1=$f1
    best="$scores | $flags"
  fi
done
echo "best on ${#ids[@]} training images: $best"
