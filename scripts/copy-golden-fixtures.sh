#!/usr/bin/env bash
# Copies the small reference files that tests read verbatim from ../shared/golden into
# Tests/Fixtures/, so a clone without ../shared passes `make test`. Run it from anywhere after
# ../shared/golden changes; it also re-derives the two track arrays from ctc_sequence.npz with
# the interop venv's numpy (.venv, `make venv`) and fails if a copy differs from its source.
#   scripts/copy-golden-fixtures.sh            # copy and re-derive
#   scripts/copy-golden-fixtures.sh --check    # only compare, exit 1 on a difference
set -euo pipefail
cd "$(dirname "$0")/.."
golden=${GOLDEN:-../shared/golden/deepcell-toolbox}
python=${DC_PYTHON:-.venv/bin/python}
check=false
[ "${1:-}" = --check ] && check=true
[ -d "$golden" ] || { echo "copy-golden-fixtures: no $golden" >&2; exit 66; }

# source file in $golden -> fixture path
copies=(
    "tracking.trk Tests/Fixtures/track/tracking.trk"
    "ctc_metrics.json Tests/Fixtures/metrics/ctc_metrics.json"
    "metrics_stats.json Tests/Fixtures/metrics/metrics_stats.json"
    "transforms.npz Tests/Fixtures/augment/transforms.npz"
)
status=0
for pair in "${copies[@]}"; do
    read -r source target <<<"$pair"
    if $check; then
        cmp -s "$golden/$source" "$target" || { echo "differs: $target" >&2; status=1; }
    else
        install -m 644 "$golden/$source" "$target"
    fi
done
# ctc_sequence.npz: gt (10,256,256) as uint8 (labels ≤ 18) and man_track (18,4) int64.
"$python" - "$golden/ctc_sequence.npz" "$check" <<'PY' || status=1
import sys
import numpy as np
source, check = sys.argv[1], sys.argv[2] == "true"
c = np.load(source)
gt = c["gt"]
assert gt.max() <= 255, "labels no longer fit uint8"
arrays = {"Tests/Fixtures/track/ctc_sequence_gt.npy": gt.astype(np.uint8),
          "Tests/Fixtures/track/ctc_sequence_man_track.npy": c["man_track"]}
bad = 0
for path, array in arrays.items():
    if check:
        old = np.load(path)
        if old.dtype != array.dtype or old.shape != array.shape or not (old == array).all():
            print("differs:", path, file=sys.stderr)
            bad = 1
    else:
        np.save(path, array)
sys.exit(bad)
PY
exit $status
