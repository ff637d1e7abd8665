#!/usr/bin/env bash
# Object metrics of a model on the held-out DSB-2018 images (models/held-out.txt), through
# the pipeline a user runs:
#
#   dc-normalize IMAGE.png --channel 0 | dc-predict --no-normalize --model M | dc-watershed
#
# scored by dc-metrics (DeepCell's Metrics: a match needs IoU > 0.6), pooled over the images
# (counts summed, then precision, recall, F1), plus F1 at IoU 0.5.
#
# Usage: models/evaluate.sh [MODEL] [-- WATERSHED FLAGS]   (DATA=…, BIN=.build/release,
#        PREDICT_FLAGS="--augment" for test-time flips)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/nuclear.npz}
shift || true
[ "${1:-}" = "--" ] && shift
DATA=${DATA:-../shared/data/dsb2018-stage1-fluo-nuclei}
BIN=${BIN:-.build/release}
OUT=${OUT:-bench/out/evaluate}
mkdir -p "$OUT"
rm -f "$OUT"/*-metrics.json
for id in $(cat models/held-out.txt); do
  "$BIN/dc-normalize" "$DATA/$id/images/$id.png" --channel 0 --quiet \
    | "$BIN/dc-predict" --no-normalize --model "$MODEL" ${PREDICT_FLAGS:-} --quiet \
    | "$BIN/dc-watershed" "$@" --quiet -o "$OUT/$id-labels.tif"
  "$BIN/dc-metrics" "$OUT/$id-labels.tif" --truth "$DATA/labels/$id.tif" --format json \
    --quiet -o "$OUT/$id-metrics.json"
done
python3 models/pool_metrics.py "$OUT"/*-metrics.json
