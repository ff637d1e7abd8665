#!/usr/bin/env bash
# What test-time flips cost a user: models/evaluate.sh's movie rows (the whole pipe
# `dc-normalize | dc-predict | dc-watershed | dc-track --ctc`, timed, then scored) run twice in
# one go, with the model's default (the shipped file: flips on) and with `--no-augment`.
# Prints both tables; the time column is the cost, TRA and the rest what it buys.
#   bench/flips_cost.sh [MODEL]   (BIN, PY, CTC as for models/evaluate.sh; OUT=bench/out/flips)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out/flips}
for flags in "" "--no-augment"; do
  ROWS=ctc PREDICT_FLAGS="$flags" OUT="$OUT/${flags:-default}" models/evaluate.sh "$@"
done
