#!/usr/bin/env bash
# Tracking from our own segmentation (issue 8): the raw frames of a CTC sequence go through
#   dc-normalize | dc-predict (shipped model) | dc-watershed | dc-track --ctc
# and dc-metrics track scores the result against the sequence's 01_GT (TRA, DET, AOGM, SEG).
#
# Usage: bench/track_segmentation.sh [SEQUENCE_DIR ...]
#   (default: the two sequences in ../shared/data; PY=.venv/bin/python, BIN=.build/release,
#    WATERSHED_FLAGS="--radius 5")
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIN=${BIN:-.build/release}
OUT=${OUT:-bench/out/track-segmentation}
read -r -a WS <<< "${WATERSHED_FLAGS:-}"
seqs=("$@")
[ ${#seqs[@]} -gt 0 ] || seqs=(../shared/data/ctc-fluo-n2dh-sim-plus-01 ../shared/data/ctc-fluo-n2dh-gowt1-01)
for seq in "${seqs[@]}"; do
  name=$(basename "$seq")
  dir="$OUT/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  "$PY" -c 'import sys, glob, numpy, tifffile
files = sorted(glob.glob(sys.argv[1] + "/01/t*.tif"))
tifffile.imwrite(sys.argv[2], numpy.stack([tifffile.imread(f) for f in files]))' "$seq" "$dir/raw.tif"
  start=$(date +%s.%N)
  "$BIN/dc-normalize" "$dir/raw.tif" --quiet \
    | "$BIN/dc-predict" --no-normalize --quiet \
    | "$BIN/dc-watershed" "${WS[@]}" --quiet -o "$dir/labels.tif"
  "$BIN/dc-track" "$dir/labels.tif" --ctc "$dir/01_RES" --quiet
  end=$(date +%s.%N)
  echo "== $name: segmentation + tracking $(echo "$end - $start" | bc) s"
  "$BIN/dc-metrics" track "$dir/01_RES" --truth "$seq/01_GT" --format json --quiet -o "$dir/ctc.json"
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
flat = r.get("summary", r)
keys = [k for k in ("TRA", "DET", "SEG", "AOGM", "LNK") if k in flat]
print("   " + "  ".join(f"{k} {flat[k]:.4f}" if isinstance(flat[k], float) else f"{k} {flat[k]}" for k in keys))' "$dir/ctc.json"
done
