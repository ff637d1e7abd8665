#!/usr/bin/env bash
# The training-side scores a checkpoint rule reads (models/README.md, "Run v9"), on the
# validation images only (VAL_IDS from models/dsb_dataset.py --val-ids; held-out ids refused):
#   (a) the plain pipe's pooled F1 (models/tune.py --score, the model's recorded settings);
#   (b) the dim test (models/dim_test.py: 30 % of nuclei dimmed to 0.1-0.3 of their contrast);
#   (c) the faint test (the same with factors 0.04-0.1; GOWT1's missed nucleus is at 0.06).
# Prints one line, `NAME plain F1 | dim ... | faint ...` (outputs of each test under OUT_DIR).
#
# Usage: models/checkpoint_score.sh NAME MODEL LABELS.tsv VAL_IDS OUT_DIR
#   (BIN=.build/release, PY=.venv/bin/python with imageio; see models/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 5 ] || { echo "usage: $0 NAME MODEL LABELS.tsv VAL_IDS OUT_DIR" >&2; exit 64; }
name=$1 model=$2 labels=$3 val=$4 out=$5
PY=${PY:-.venv/bin/python}
export BIN=${BIN:-.build/release}
mkdir -p "$out"
a=$("$PY" models/tune.py --score "$model" "$labels" "$val" "$out/plain" | grep -o 'F1 [0-9.]*' | cut -d' ' -f2)
b=$("$PY" models/dim_test.py "$model" "$labels" "$val" "$out/dim" | tail -n1)
c=$("$PY" models/dim_test.py "$model" "$labels" "$val" "$out/faint" --factor 0.04 0.1 | tail -n1)
echo "$name plain $a | dim $b | faint $c"
