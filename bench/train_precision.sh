#!/usr/bin/env bash
# Mixed-precision training against float32 (issue 15, point 2): the same short dc-train run
# in both precisions, same binaries, one after the other, and a second float32 seed for the
# noise between two float32 runs. The run is the start of the shipped model's recipe
# (models/train.sh: from models/nuclear-v1.npz, DSB-2018 training side at a 17-pixel nucleus
# diameter, 128² crops, batch 8, lr 2e-4, zoom 0.6–1.67, 50-step epochs, 10 validation steps
# on the training side's validation file). Prints per epoch each run's val_loss and the
# seconds each run took, then the lowest val_loss of each. Result:
# bench/results/train-precision.md.
#
#   bench/train_precision.sh [EPOCHS]    (default 8; WORK=/work/train holds train.npz and
#                                         val.npz as models/train.sh makes them; BIN=.build/release;
#                                         THREADS=all cores; SEEDS="2 5")
#
# Float32 at SEEDS' first seed is the baseline, bf16 runs at the same seed, float32 at the
# second seed shows how far two float32 runs differ with nothing but the seed changed.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-8}
WORK=${WORK:-/work/train}
BIN=${BIN:-.build/release}
read -r -a seeds <<< "${SEEDS:-2 5}"
for f in "$WORK/train.npz" "$WORK/val.npz" models/nuclear-v1.npz "$BIN/dc-train"; do
    [ -e "$f" ] || { echo "bench/train_precision.sh: $f is missing (models/train.sh makes the data, make release the binary)" >&2; exit 66; }
done
threads=${THREADS:-$(nproc)}
OURS_THREADS=$threads
source bench/record.sh
record_start train-precision text "$@"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME PRECISION SEED: one short run; prints nothing, leaves NAME.csv and NAME.seconds.
run() {
    local start end
    start=$(date +%s.%N)
    "$BIN/dc-train" "$WORK/train.npz" --validation "$WORK/val.npz" --no-normalize \
        --initial-weights models/nuclear-v1.npz --crop 128 --batch-size 8 --lr 2e-4 \
        --zoom-min 0.6 --epochs "$epochs" --steps-per-epoch 50 --validation-steps 10 \
        --seed "$3" --precision "$2" --threads "$threads" --quiet \
        -o "$tmp/$1.npz" --log "$tmp/$1.csv" --state "$tmp/$1.state.npz"
    end=$(date +%s.%N)
    echo "$end - $start" | bc > "$tmp/$1.seconds"
}
names=("fp32-seed${seeds[0]}" "bf16-seed${seeds[0]}" "fp32-seed${seeds[1]}")
run "${names[0]}" fp32 "${seeds[0]}"
run "${names[1]}" bf16 "${seeds[0]}"
run "${names[2]}" fp32 "${seeds[1]}"

echo "dc-train, $epochs epochs of 50 steps (batch 8, 128x128), $threads thread(s), from models/nuclear-v1.npz"
python3 - "$tmp" "${names[@]}" <<'EOF'
import csv, sys
tmp, names = sys.argv[1], sys.argv[2:]
logs = {n: list(csv.DictReader(open(f"{tmp}/{n}.csv"))) for n in names}
print("epoch  " + "  ".join(f"{n + ' loss':>17} {'val_loss':>9}" for n in names))
for e in range(max(len(v) for v in logs.values())):
    cells = []
    for n in names:
        r = logs[n][e] if e < len(logs[n]) else None
        cells.append(f"{float(r['loss']):17.5f} {float(r['val_loss']):9.5f}" if r else " " * 27)
    print(f"{e:5d}  " + "  ".join(cells))
for n in names:
    v = [float(r["val_loss"]) for r in logs[n]]
    best = min(range(len(v)), key=v.__getitem__)
    secs = float(open(f"{tmp}/{n}.seconds").read())
    print(f"{n}: lowest val_loss {v[best]:.5f} (epoch {best}), mean of the last 3 epochs "
          f"{sum(v[-3:]) / len(v[-3:]):.5f}; {secs:.0f} s ({secs / len(v):.1f} s an epoch)")
a, b, c = (min(float(r["val_loss"]) for r in logs[n]) for n in names)
print(f"lowest val_loss, bf16 - fp32 (same seed): {b - a:+.5f}; "
      f"fp32 seed {names[2].split('seed')[1]} - fp32 seed {names[0].split('seed')[1]}: {c - a:+.5f}")
EOF
record_finish
