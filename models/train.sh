#!/usr/bin/env bash
# The recipe of the shipped model models/nuclear.npz (`make model`); see models/README.md.
#
# 1. Every DSB-2018 fluorescence image of $DATA and $MORE (511 CC0 images) is normalized whole
#    with dc-normalize --transform none (histogram_normalization = CLAHE; without the flag
#    dc-normalize would follow the shipped model, whose inputs are square-rooted).
# 2. models/dsb_dataset.py leaves out the held-out images (models/held-out.txt, chosen once by
#    models/split.py), resizes every other image so its median nucleus diameter is 17 pixels,
#    cuts 256×256 tiles, and sends every 20th image (by nucleus size) to the validation file:
#    validation comes from the training side.
# 3. dc-train fine-tunes the previous model (models/nuclear-v1.npz) on 128×128 crops with the
#    seed's augmentation and a wider zoom range (0.6–1.67, so the model tolerates diameter
#    estimates that are off), Adam lr 2e-4, 50-step epochs, 30 epochs: the first 30 of the
#    v2 run, whose best-val_loss checkpoint (epoch 29) is the one shipped. (The full run went
#    on to epoch 49, where EarlyStopping ended it with its best val_loss at epoch 39; of the
#    checkpoints scored with the plain pipe on the validation images, epoch 29 scored best,
#    0.8010 against 0.7983 for epoch 39, models/README.md.) It is resumable: rerun this script
#    after an interruption and it goes on from $WORK/v2.state.npz.
# 4. models/tune.py chooses the --diameter auto calibration and the watershed settings on the
#    validation images; the model file keeps whichever of those and the previously recorded
#    settings (RECORDED) gives the higher plain-pipe F1 on the same images (tune.py --score).
# 5. Stage v6 (session 10, the shipped file): the same images square-rooted before the
#    normalization (`dc-normalize --transform sqrt`), the same tiles and validation images;
#    dc-train goes on from step 4's file for 24 epochs with lr 1e-4, seed 6, mixed precision
#    and dimmed nuclei (--dim-nuclei 0.15 --dim-factor-min 0.25), and the state after the 24th
#    epoch becomes the model, with step 4's settings and inputTransform sqrt (the checkpoint
#    rule and its scores: models/README.md), and test-time flips on (session 13, chosen on the
#    validation images). Its --precision bf16 needs a CPU with AVX512_BF16 or AMX: the script
#    checks that before step 1 and stops (exit 69) where it is missing, rather than after the
#    hours of steps 1-4; PRECISION=fp32 trains step 5 in fp32 instead, which gives a model of
#    the same recipe but not models/nuclear.npz bit for bit.
# 6. models/evaluate.sh scores the result on the held-out images and the CTC movies.
#
# Usage: models/train.sh [OUT_DIR]   (DATA, MORE, BIN=.build/release, PY=.venv/bin/python,
#        WORK=/work/train: kept outside the work tree so a long run survives a new checkout;
#        INITIAL=models/nuclear-v1.npz: the weights a new run starts from, e.g.
#        INITIAL=models/nuclear-v2.npz to go on from the v2 weights when $WORK's state is
#        gone; EPOCHS=30; RECORDED: the settings JSON compared with the re-tuned ones;
#        PRECISION=bf16: step 5's dc-train --precision)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models}
DATA=${DATA:-../shared/data/dsb2018-stage1-fluo-nuclei}
MORE=${MORE:-../shared/data/dsb2018-stage1-fluo-nuclei-more}
BIN=${BIN:-.build/release}
PY=${PY:-.venv/bin/python}
WORK=${WORK:-/work/train}
INITIAL=${INITIAL:-models/nuclear-v1.npz}
EPOCHS=${EPOCHS:-30}
RECORDED=${RECORDED:-'{"calibration": 0.987, "watershed": {"radius": 3, "maximaThreshold": 0.1, "interiorThreshold": 0.05, "smallObjectsThreshold": 0, "interiorSmooth": 1}}'}
PRECISION=${PRECISION:-bf16}

# Step 5 trains in $PRECISION. dc-predict refuses a precision this CPU lacks at once, with the
# reason, so one small prediction tells now what dc-train would say hours later.
probe=$(mktemp -d)
images=(samples/dsb2018/images/*.png)
if ! why=$("$BIN/dc-predict" "${images[0]}" --precision "$PRECISION" --quiet -o "$probe/maps.npz" 2>&1); then
  rm -rf "$probe"
  echo "models/train.sh: step 5 cannot train in $PRECISION on this machine (${why#dc-predict: error: });" \
    "PRECISION=fp32 trains it in fp32 (the same recipe, but not models/nuclear.npz bit for bit)" >&2
  exit 69
fi
rm -rf "$probe"
mkdir -p "$WORK/normalized" "$OUT"

: > "$WORK/labels.tsv"
for f in "$MORE"/*.png; do
  id=$(basename "$f" .png)
  [ -f "$WORK/normalized/$id.tif" ] || "$BIN/dc-normalize" "$f" --transform none --quiet -o "$WORK/normalized/$id.tif"
  printf '%s\t%s\n' "$id" "$MORE/$id.tif" >> "$WORK/labels.tsv"
done
for dir in "$DATA"/*/; do
  id=$(basename "$dir")
  [ -f "$dir/images/$id.png" ] || continue
  [ -f "$WORK/normalized/$id.tif" ] \
    || "$BIN/dc-normalize" "$dir/images/$id.png" --channel 0 --transform none --quiet -o "$WORK/normalized/$id.tif"
  printf '%s\t%s\n' "$id" "$DATA/labels/$id.tif" >> "$WORK/labels.tsv"
done
[ -f "$WORK/train.npz" ] || "$PY" models/dsb_dataset.py "$WORK/normalized" "$WORK/labels.tsv" \
  --held-out models/held-out.txt --diameter 17 -o "$WORK/train.npz" --val "$WORK/val.npz" \
  --val-ids "$WORK/val-ids.txt"

resume=()
[ -f "$WORK/v2.state.npz" ] && resume=(--resume)
# Keeps the training state every 6 epochs (300 steps) for models/learning_curve.sh; dc-train
# replaces the state file by rename, so a copy is never torn.
mkdir -p "$WORK/snaps"
(
  while sleep 20; do
    n=$(($(wc -l < "$WORK/v2.csv" 2> /dev/null || echo 1) - 1))
    if [ "$n" -gt 0 ] && [ $((n % 6)) = 0 ] && [ ! -f "$WORK/snaps/epoch$n.state.npz" ]; then
      sleep 5 && cp "$WORK/v2.state.npz" "$WORK/snaps/epoch$n.state.npz"
    fi
  done
) &
snapshots=$!
trap 'kill $snapshots 2> /dev/null' EXIT
time nice "$BIN/dc-train" "$WORK/train.npz" --validation "$WORK/val.npz" --no-normalize \
  --initial-weights "$INITIAL" --crop 128 --batch-size 8 --lr 2e-4 --zoom-min 0.6 \
  --epochs "$EPOCHS" --steps-per-epoch 50 --validation-steps 10 --seed 2 --diameter 17 \
  -o "$WORK/v2.npz" --log "$WORK/v2.csv" --state "$WORK/v2.state.npz" "${resume[@]}"

"$PY" models/tune.py "$WORK/v2.npz" "$WORK/labels.tsv" "$WORK/val-ids.txt" "$WORK/tune" \
  | tee "$WORK/tune.log"
# model_with SETTINGS_JSON FILE: the checkpoint with those settings recorded.
model_with() {
  "$PY" models/model_file.py "$WORK/v2.npz" "$2" --diameter 17 \
    --calibration "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["calibration"])' "$1")" \
    --watershed "$("$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["watershed"]))' "$1")"
}
model_with "$(tail -1 "$WORK/tune.log")" "$WORK/tuned.npz"
model_with "$RECORDED" "$WORK/recorded.npz"
best=$WORK/recorded.npz best_f1=-1
for candidate in "$WORK/tuned.npz" "$WORK/recorded.npz"; do
  f1=$("$PY" models/tune.py --score "$candidate" "$WORK/labels.tsv" "$WORK/val-ids.txt" \
    "$WORK/score-$(basename "$candidate" .npz)" | tee -a "$WORK/tune.log" | grep -o 'F1 [0-9.]*' | cut -d' ' -f2)
  if "$PY" -c 'import sys; sys.exit(not float(sys.argv[1]) > float(sys.argv[2]))' "$f1" "$best_f1"; then
    best=$candidate best_f1=$f1
  fi
done
cp "$best" "$OUT/nuclear-v2.npz"
cp "$WORK/v2.csv" "$OUT/nuclear-v2.csv"
models/learning_curve.sh "$OUT/nuclear-v2.npz" | tee "$OUT/nuclear-v2-learning-curve.md"

# Stage v6: square-rooted inputs, dimmed nuclei, from the v2 file.
mkdir -p "$WORK/normalized-sqrt"
while IFS=$'\t' read -r id labels; do
  image=${labels%.tif}.png channel=()
  if [ ! -f "$image" ]; then image=$DATA/$id/images/$id.png channel=(--channel 0); fi
  [ -f "$WORK/normalized-sqrt/$id.tif" ] || "$BIN/dc-normalize" "$image" "${channel[@]}" \
    --transform sqrt --quiet -o "$WORK/normalized-sqrt/$id.tif"
done < "$WORK/labels.tsv"
[ -f "$WORK/train-sqrt.npz" ] || "$PY" models/dsb_dataset.py "$WORK/normalized-sqrt" \
  "$WORK/labels.tsv" --held-out models/held-out.txt --diameter 17 -o "$WORK/train-sqrt.npz" \
  --val "$WORK/val-sqrt.npz" --val-ids "$WORK/val-ids-sqrt.txt"
cmp "$WORK/val-ids.txt" "$WORK/val-ids-sqrt.txt"
resume=()
[ -f "$WORK/v6.state.npz" ] && resume=(--resume)
time nice "$BIN/dc-train" "$WORK/train-sqrt.npz" --validation "$WORK/val-sqrt.npz" --no-normalize \
  --transform sqrt --initial-weights "$OUT/nuclear-v2.npz" --crop 128 --batch-size 8 --lr 1e-4 \
  --zoom-min 0.6 --epochs 24 --steps-per-epoch 50 --validation-steps 10 --seed 6 --diameter 17 \
  --precision "$PRECISION" --dim-nuclei 0.15 --dim-factor-min 0.25 \
  -o "$WORK/v6.npz" --log "$WORK/v6.csv" --state "$WORK/v6.state.npz" "${resume[@]}"
"$PY" models/model_file.py "$WORK/v6.npz" "$OUT/nuclear.npz" --state "$WORK/v6.state.npz" \
  --settings-from "$OUT/nuclear-v2.npz" --transform sqrt --flips yes
cp "$WORK/v6.csv" "$OUT/nuclear.csv"
models/evaluate.sh "$OUT/nuclear.npz"
