#!/usr/bin/env bash
# What test-time flips cost a user: the whole movie pipe
# `dc-normalize | dc-predict | dc-watershed | dc-track --ctc`, once with the shipped model's
# default (flips on) and once with `dc-predict --no-augment`, in one run on the same machine.
# RAW_DIR holds SEQ/raw.tif stacks (models/evaluate.sh writes them under its OUT).
#   RAW_DIR=bench/out/evaluate BIN=.build/release bench/flips_cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BIN:-.build/release}
RAW_DIR=${RAW_DIR:-bench/out/evaluate}
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT
for seq in ctc-fluo-n2dh-gowt1-01 ctc-fluo-n2dh-sim-plus-01; do
  raw=$RAW_DIR/$seq/raw.tif
  for flags in "" "--no-augment"; do
    rm -rf "$res/RES"
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$B/dc-normalize" "$raw" --quiet | "$B/dc-predict" --model models/nuclear.npz --quiet $flags \
      | "$B/dc-watershed" --quiet | "$B/dc-track" --ctc "$res/RES" --quiet
    e=$(date +%s.%N)
    echo "$seq ${flags:-default (flips on)} $(echo "$e - $s" | bc) s"
  done
done
