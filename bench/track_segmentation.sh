#!/usr/bin/env bash
# Tracking from our own segmentation: the CTC rows of models/evaluate.sh (raw frames through
# dc-normalize | dc-predict | dc-watershed | dc-track --ctc, scored by dc-metrics track), for
# the model MODEL (default: the shipped one). An accuracy run with no reference side (the
# score is against the ground truth); the tools run at their default, all cores.
# Result: bench/results/track-segmentation.md (bench/record.sh).
#
# Usage: bench/track_segmentation.sh [MODEL]   (CTC=../shared/data, BIN, PY, OUT as evaluate.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
OURS_THREADS=${OURS_THREADS:-$(nproc)}
source bench/record.sh
record_start track-segmentation md "$@"
echo
start=$(date +%s)
ROWS=ctc OUT=${OUT:-bench/out/track-segmentation} models/evaluate.sh "$@"
echo
echo "wall time: $(( $(date +%s) - start )) s"
record_finish
