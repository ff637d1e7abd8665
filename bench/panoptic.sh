#!/usr/bin/env bash
# PanopticNet throughput (issue 5): training samples/s and inference megapixels/s of our
# engine (dc-bench nn panoptic-train / panoptic-infer) against PyTorch running the same
# architecture (bench/panoptic_torch.py: featurenet C1-C5 -> P1, F 256, location layer on,
# heads [1,1,2] for training, [1,1] for inference; model.md §2-§8) on the same kind of input,
# with the same thread count, in one run. Ratios are ours/torch: above 1 means we are faster.
# The architectures are checked to be the same: parameter counts (1,187,312 for training) and
# our inference weights loaded into the PyTorch model by name giving the same outputs.
#
#   bench/panoptic.sh [--batch N] [--size S] [--steps N] [--infer-batch N] [--infer-steps N]
#                     [--threads N] [--profile]
#
# Defaults: training batch 4 of 256x256, 3 timed steps after 1 warm-up; inference 4 tiles of
# 256x256, 5 timed passes; threads $OMP_NUM_THREADS or 2. --profile also times every layer
# alone (forward/backward) in both engines and prints them side by side.
#
# PyTorch: set TORCH_PYTHON to a python that imports torch (else .venv/bin/python is tried).
# Make one outside the repo (PyPI's build is ~5 GB):
#   python3 -m venv /work/torch-venv && /work/torch-venv/bin/pip install torch numpy
#   TORCH_PYTHON=/work/torch-venv/bin/python bench/panoptic.sh
# Without torch the script says so and prints our figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
batch=4 size=256 steps=3 ibatch=4 isteps=5 profile=()
threads=${OMP_NUM_THREADS:-2}
while [ $# -gt 0 ]; do
    case $1 in
        --batch) batch=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --infer-batch) ibatch=$2; shift 2 ;;
        --infer-steps) isteps=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --profile) profile=(--profile); shift ;;
        *) echo "bench/panoptic.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
bench=$(nice -n 10 bench/dc-bench-path.sh)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Runs a command with its output teed to stderr and to $tmp/NAME; prints the last line's value.
run() {
    local name=$1
    shift
    nice -n 10 "$@" | tee "$tmp/$name" >&2
    tail -1 "$tmp/$name" | cut -d= -f2
}
ratio() { echo "scale=3; $1 / $2" | bc; }
# The throughput per CPU-second (all threads) a run printed: less sensitive to a loaded machine.
percpu() { grep -E '^(samples|Mpix)/s:' "$tmp/$1" | awk '{print $4}'; }

train=(--batch "$batch" --size "$size" --steps "$steps" --threads "$threads")
infer=(--batch "$ibatch" --size "$size" --steps "$isteps" --threads "$threads")
ours_train=$(run ours_train "$bench" nn panoptic-train "${train[@]}" "${profile[@]}")
ours_infer=$(run ours_infer "$bench" nn panoptic-infer "${infer[@]}" "${profile[@]}" \
    --save-check "$tmp/check.npz")

py=${TORCH_PYTHON:-.venv/bin/python}
if [ -x "$py" ] && "$py" -c 'import torch' 2>/dev/null; then
    cl_train=$(run cl_train "$py" bench/panoptic_torch.py train "${train[@]}" --channels-last "${profile[@]}")
    def_train=$(run def_train "$py" bench/panoptic_torch.py train "${train[@]}")
    cl_infer=$(run cl_infer "$py" bench/panoptic_torch.py infer "${infer[@]}" --channels-last "${profile[@]}")
    def_infer=$(run def_infer "$py" bench/panoptic_torch.py infer "${infer[@]}")
    # Same architecture: our weights loaded into the PyTorch model by name, outputs compared.
    check=$(run check "$py" bench/panoptic_torch.py check "$tmp/check.npz" --threads "$threads")
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ ${#profile[@]} -gt 0 ]; then
        for what in train infer; do
            echo "== per layer alone, $what (ms; torch channels_last; count = times in the graph) =="
            awk -F'\t' '
                FNR == NR { if ($1 == "op") { tf[$2] = $4; tb[$2] = $5 }; next }
                $1 == "op" {
                    o = $4 + $5; t = tf[$2] + tb[$2]
                    printf "%-32s x%d  ours %8.2f + %8.2f   torch %8.2f + %8.2f   ours/torch time %s\n",
                        $2, $3, $4, $5, tf[$2], tb[$2], (t > 0 ? sprintf("%.2f", o / t) : "-")
                }' "$tmp/cl_$what" "$tmp/ours_$what"
        done
    fi
    echo "== PanopticNet, $threads threads =="
    echo "$(grep '^architecture check' "$tmp/check")"
    echo "training, batch $batch of ${size}x${size} (samples/s, higher is better):"
    echo "  dc-tools dc-bench nn:   $ours_train"
    echo "  PyTorch channels_last:  $cl_train   ratio ours/torch $(ratio "$ours_train" "$cl_train")"
    echo "  PyTorch NCHW (default): $def_train   ratio ours/torch $(ratio "$ours_train" "$def_train")"
    echo "  per CPU-second: ours $(percpu ours_train), torch channels_last $(percpu cl_train) (ratio $(ratio "$(percpu ours_train)" "$(percpu cl_train)")), NCHW $(percpu def_train) (ratio $(ratio "$(percpu ours_train)" "$(percpu def_train)"))"
    echo "inference, heads [1,1], batch $ibatch tiles of ${size}x${size} (Mpix/s, higher is better):"
    echo "  dc-tools dc-bench nn:   $ours_infer"
    echo "  PyTorch channels_last:  $cl_infer   ratio ours/torch $(ratio "$ours_infer" "$cl_infer")"
    echo "  PyTorch NCHW (default): $def_infer   ratio ours/torch $(ratio "$ours_infer" "$def_infer")"
    echo "  per CPU-second: ours $(percpu ours_infer), torch channels_last $(percpu cl_infer) (ratio $(ratio "$(percpu ours_infer)" "$(percpu cl_infer)")), NCHW $(percpu def_infer) (ratio $(ratio "$(percpu ours_infer)" "$(percpu def_infer)"))"
else
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "PyTorch not found (TORCH_PYTHON=${TORCH_PYTHON:-unset}; see this script's header to make one): our figures only."
    echo "== PanopticNet, $threads threads =="
    echo "training, batch $batch of ${size}x${size}: $ours_train samples/s"
    echo "inference, heads [1,1], batch $ibatch tiles of ${size}x${size}: $ours_infer Mpix/s"
fi
