#!/usr/bin/env bash
# Tracking from our own segmentation: the CTC rows of models/evaluate.sh (raw frames through
# dc-normalize | dc-predict | dc-watershed | dc-track --ctc, scored by dc-metrics track), for
# the model MODEL (default: the shipped one).
#
# Usage: bench/track_segmentation.sh [MODEL]   (CTC=../shared/data, BIN, PY, OUT as evaluate.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=ctc OUT=${OUT:-bench/out/track-segmentation} exec models/evaluate.sh "$@"
