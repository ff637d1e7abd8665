#!/usr/bin/env bash
# The recipe of the shipped model models/nuclear.npz (`make model`).
#
# 1. Every DSB-2018 fluorescence image in $DATA is normalized whole with dc-normalize
#    (histogram_normalization = CLAHE, on the grey channel of the RGBA PNG).
# 2. models/dsb_dataset.py cuts them into 256×256 tiles: the images listed in
#    models/held-out.txt go to the validation file, the others to the training file.
# 3. dc-train trains the default PanopticNet (featurenet, C1–C5 → P1, heads [1,1,2]) on
#    128×128 crops with the seed's augmentation, Adam lr 3e-4 (stage 1, 30 epochs of 50
#    steps), then goes on from stage 1's best weights with lr 2e-4, another augmentation
#    stream (seed 1) and 80 validation crops a check (stage 2, 21 epochs of 50 steps); the
#    shipped model is stage 2's best by val_loss (see models/README.md).
# 4. models/evaluate.sh scores the result on the held-out images with the watershed settings
#    models/tune_watershed.sh chose on the training images.
#
# Usage: models/train.sh [OUT_DIR]     (DATA=…, BIN=.build/release, PY=.venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models}
DATA=${DATA:-../shared/data/dsb2018-stage1-fluo-nuclei}
BIN=${BIN:-.build/release}
PY=${PY:-.venv/bin/python}
WORK=${WORK:-bench/out/model}
mkdir -p "$WORK/normalized" "$OUT"

for dir in "$DATA"/*/; do
  id=$(basename "$dir")
  [ -f "$dir/images/$id.png" ] || continue
  "$BIN/dc-normalize" "$dir/images/$id.png" --channel 0 --quiet -o "$WORK/normalized/$id.tif"
done
"$PY" models/dsb_dataset.py "$WORK/normalized" "$DATA/labels" \
  --held-out "$(paste -sd, models/held-out.txt)" -o "$WORK/train.npz" --val "$WORK/val.npz"

time "$BIN/dc-train" "$WORK/train.npz" --validation "$WORK/val.npz" --no-normalize \
  --crop 128 --batch-size 8 --lr 3e-4 --epochs 30 --steps-per-epoch 50 --validation-steps 3 --seed 0 \
  -o "$WORK/stage1.npz" --log "$OUT/nuclear-stage1.csv" --state "$WORK/stage1.state.npz" --threads 2

time "$BIN/dc-train" "$WORK/train.npz" --validation "$WORK/val.npz" --no-normalize \
  --initial-weights "$WORK/stage1.npz" \
  --crop 128 --batch-size 8 --lr 2e-4 --epochs 21 --steps-per-epoch 50 --validation-steps 10 --seed 1 \
  -o "$OUT/nuclear.npz" --log "$OUT/nuclear.csv" --state "$WORK/stage2.state.npz" --threads 2

PREDICT_FLAGS=--augment models/evaluate.sh "$OUT/nuclear.npz" -- --radius 2 --interior-threshold 0.05
