#!/usr/bin/env bash
# Accuracy of the default pipeline as a user runs it, with no flags, on data nobody tuned on;
# prints one Markdown table (also written to $OUT/table.md).
#
# DSB-2018 rows: the held-out images of models/held-out.txt (models/split.py), each through
#   dc-predict IMAGE --model M | dc-watershed            (no flags: the model's settings)
# and the comparison pipelines, scored by dc-metrics (DeepCell's Metrics, a match needs
# IoU > 0.6), counts pooled over the images (models/pool_metrics.py), plus F1 at IoU 0.5 and
# StarDist-style AP = TP / (TP + FP + FN) at IoU 0.5 and 0.9.
# CTC rows: each raw movie in ../shared/data through
#   dc-normalize raw.tif [--model M] | dc-predict | dc-watershed | dc-track --ctc RES
# scored by dc-metrics track (TRA, DET, SEG) against the sequence's 01_GT.
#
# Usage: models/evaluate.sh [MODEL]     (default models/nuclear.npz)
#   ROWS="new old old-tuned classical ctc" selects rows; OLD=models/nuclear-v2.npz is the previous
#   model; the old-tuned row is the issue's starting point, the session-3 model with the flags
#   recommended for it (V1=models/nuclear-v1.npz: it carries no settings of its own);
#   MORE=../shared/data/dsb2018-stage1-fluo-nuclei-more; BIN=.build/release;
#   PY=.venv/bin/python (numpy, tifffile; scikit-image and scipy for the classical row);
#   PREDICT_FLAGS (e.g. "--precision bf16") is added to dc-predict in the new and ctc rows
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/nuclear.npz}
OLD=${OLD:-models/nuclear-v2.npz}
V1=${V1:-models/nuclear-v1.npz}
MORE=${MORE:-../shared/data/dsb2018-stage1-fluo-nuclei-more}
CTC=${CTC:-../shared/data}
BIN=${BIN:-.build/release}
PY=${PY:-.venv/bin/python}
PREDICT_FLAGS=${PREDICT_FLAGS:-}
OUT=${OUT:-bench/out/evaluate}
ROWS=${ROWS:-new old old-tuned classical ctc}
mkdir -p "$OUT"
mapfile -t ids < models/held-out.txt

# dsb NAME MODEL "PREDICT FLAGS" "WATERSHED FLAGS": the held-out images through the pipe.
dsb() {
  local name=$1 model=$2 pflags=$3 wflags=$4 dir
  dir="$OUT/dsb-$(echo "$model $pflags $wflags" | tr -c "A-Za-z0-9" "_" | cut -c1-60)"
  rm -rf "$dir" && mkdir -p "$dir"
  for id in "${ids[@]}"; do
    # shellcheck disable=SC2086
    "$BIN/dc-predict" "$MORE/$id.png" --model "$model" $pflags --quiet \
      | "$BIN/dc-watershed" $wflags --quiet -o "$dir/$id-labels.tif"
    "$BIN/dc-metrics" "$dir/$id-labels.tif" --truth "$MORE/$id.tif" --format json --quiet \
      -o "$dir/$id-metrics.json"
  done
  echo "| $name | $("$PY" models/pool_metrics.py --table "$dir"/*-metrics.json) |"
}

classical() {
  local dir="$OUT/classical"
  rm -rf "$dir" && mkdir -p "$dir"
  "$PY" bench/classical_baseline.py "$MORE" models/held-out.txt "$dir" --sigma 1 --min-distance 9
  for id in "${ids[@]}"; do
    "$BIN/dc-metrics" "$dir/$id-labels.tif" --truth "$MORE/$id.tif" --format json --quiet \
      -o "$dir/$id-metrics.json"
  done
  echo "| classical: Gaussian σ 1, Otsu, distance watershed (min_distance 9, tuned on training images) | $("$PY" models/pool_metrics.py --table "$dir"/*-metrics.json) |"
}

ctc() {
  local seq=$1 model=$2 name dir
  name=$(basename "$seq")
  dir="$OUT/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  "$PY" -c 'import sys, glob, numpy, tifffile
files = sorted(glob.glob(sys.argv[1] + "/01/t*.tif"))
tifffile.imwrite(sys.argv[2], numpy.stack([tifffile.imread(f) for f in files]))' "$seq" "$dir/raw.tif"
  local start end
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$BIN/dc-normalize" "$dir/raw.tif" --model "$model" --quiet \
    | "$BIN/dc-predict" --model "$model" $PREDICT_FLAGS 2> "$dir/predict.log" \
    | "$BIN/dc-watershed" --quiet \
    | "$BIN/dc-track" --ctc "$dir/01_RES" --quiet
  end=$(date +%s.%N)
  "$BIN/dc-metrics" track "$dir/01_RES" --truth "$seq/01_GT" --division-tolerance 1 --format json \
    --quiet -o "$dir/ctc.json"
  "$PY" -c 'import json, sys
r = json.load(open(sys.argv[1])); r = r.get("summary", r)
lines = open(sys.argv[3]).read().strip().splitlines() or [""]
d = next((l for l in lines if "nucleus diameter" in l), lines[0]).replace("dc-predict: ", "").split(";")[0]
f = lambda k: "%.3f" % r[k] if isinstance(r.get(k), float) else "–"
print("| %s | **%s** | %s | %s | %s | %s | %s | %s | %.0f s | %s |" % (sys.argv[2], f("TRA"), f("DET"), f("SEG"),
      f("BC(1)"), f("CT"), f("TF"), f("CCA"), float(sys.argv[4]), d))' \
    "$dir/ctc.json" "$name" "$dir/predict.log" "$(echo "$end - $start" | bc)"
}

{
  echo "DSB-2018 held-out images ($(wc -l < models/held-out.txt), models/held-out.txt):"
  echo
  echo "| pipeline | images | true | predicted | precision | recall | F1 | F1@0.5 | AP@0.5 | AP@0.9 |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for row in $ROWS; do
    case $row in
      new) dsb "dc-predict $PREDICT_FLAGS \\| dc-watershed, no flags ($MODEL)" "$MODEL" "$PREDICT_FLAGS" "" ;;
      old) dsb "previous model, no flags ($OLD)" "$OLD" "" "" ;;
      old-tuned) dsb "session-3 model, its recommended flags (--augment; --radius 2 --interior-threshold 0.05; $V1)" "$V1" "--augment" "--radius 2 --interior-threshold 0.05" ;;
      classical) classical ;;
    esac
  done
  if [[ " $ROWS " == *" ctc "* ]]; then
    echo
    echo "CTC movies from raw frames, dc-normalize | dc-predict $PREDICT_FLAGS | dc-watershed | dc-track --ctc, no flags ($MODEL):"
    echo
    echo "| sequence | TRA | DET | SEG | BC(1) | CT | TF | CCA | time | scale |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for seq in "$CTC"/ctc-*/; do ctc "${seq%/}" "$MODEL"; done
  fi
} | tee "$OUT/table.md"
