#!/usr/bin/env bash
# PanopticNet throughput (issue 5): training samples/s and inference megapixels/s of our
# engine (dc-bench nn panoptic-train / panoptic-infer) against PyTorch running the same
# architecture (bench/panoptic_torch.py: featurenet C1-C5 -> P1, F 256, location layer on,
# heads [1,1,2] for training, [1,1] for inference; model.md §2-§8) on the same kind of input,
# in one run. Ratios are ours/torch: above 1 means we are faster. Threads (bench/record.sh):
# ours at 1 and at all cores, PyTorch at the same counts (torch.set_num_threads; REF_THREADS,
# default all cores, is one of them), each count compared with the same count: on a loaded
# machine a pool of all cores can be slower than one thread, in both engines.
# Result: bench/results/panoptic.md.
# The architectures are checked to be the same: parameter counts (1,187,312 for training) and
# our inference weights loaded into the PyTorch model by name giving the same outputs.
#
#   bench/panoptic.sh [--batch N] [--size S] [--steps N] [--infer-batch N] [--infer-steps N]
#                     [--profile]
#
# Defaults: training batch 4 of 256x256, 3 timed steps after 1 warm-up; inference 4 tiles of
# 256x256, 5 timed passes. --profile also times every layer alone (forward/backward) in both
# engines (ours at all cores) and prints them side by side.
#
# PyTorch: set TORCH_PYTHON to a python that imports torch (else .venv/bin/python is tried).
# Make one outside the repo (PyPI's build is ~5 GB):
#   python3 -m venv /work/torch-venv && /work/torch-venv/bin/pip install torch numpy
#   TORCH_PYTHON=/work/torch-venv/bin/python bench/panoptic.sh
# Without torch the script says so and prints our figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
batch=4 size=256 steps=3 ibatch=4 isteps=5 profile=()
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --batch) batch=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --infer-batch) ibatch=$2; shift 2 ;;
        --infer-steps) isteps=$2; shift 2 ;;
        --profile) profile=(--profile); shift ;;
        *) echo "bench/panoptic.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
source bench/record.sh
bench=$(nice -n 10 bench/dc-bench-path.sh)
record_start panoptic text "${args[@]}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Runs a command with its output teed to stderr and to $tmp/NAME; prints the last line's value.
run() {
    local name=$1
    shift
    "$@" | tee "$tmp/$name" >&2
    tail -1 "$tmp/$name" | cut -d= -f2
}
ratio() { echo "scale=3; $1 / $2" | bc; }
# The throughput per CPU-second (all threads) a run printed: less sensitive to a loaded machine.
percpu() { grep -E '^(samples|Mpix)/s:' "$tmp/$1" | awk '{print $4}'; }

threads=$REF_THREADS
train=(--batch "$batch" --size "$size" --steps "$steps")
infer=(--batch "$ibatch" --size "$size" --steps "$isteps")
declare -A ours_train ours_infer
for n in $OURS_THREADS; do
    prof=()
    [ "$n" = "$ALL_THREADS" ] && prof=("${profile[@]}")
    ours_train[$n]=$(run "ours_train_$n" "$bench" nn panoptic-train "${train[@]}" --threads "$n" "${prof[@]}")
    ours_infer[$n]=$(run "ours_infer_$n" "$bench" nn panoptic-infer "${infer[@]}" --threads "$n" "${prof[@]}" \
        --save-check "$tmp/check.npz")
done
cp "$tmp/ours_train_$ALL_THREADS" "$tmp/ours_train"
cp "$tmp/ours_infer_$ALL_THREADS" "$tmp/ours_infer"
py=${TORCH_PYTHON:-.venv/bin/python}
if [ -x "$py" ] && "$py" -c 'import torch' 2>/dev/null; then
    declare -A cl_train def_train cl_infer def_infer
    torch_threads=$(printf '%s\n' $OURS_THREADS "$threads" | sort -un | xargs)
    for n in $torch_threads; do
        p=()
        [ "$n" = "$threads" ] && p=("${profile[@]}")
        cl_train[$n]=$(run "cl_train_$n" "$py" bench/panoptic_torch.py train "${train[@]}" --threads "$n" --channels-last "${p[@]}")
        def_train[$n]=$(run "def_train_$n" "$py" bench/panoptic_torch.py train "${train[@]}" --threads "$n")
        cl_infer[$n]=$(run "cl_infer_$n" "$py" bench/panoptic_torch.py infer "${infer[@]}" --threads "$n" --channels-last "${p[@]}")
        def_infer[$n]=$(run "def_infer_$n" "$py" bench/panoptic_torch.py infer "${infer[@]}" --threads "$n")
    done
    cp "$tmp/cl_train_$threads" "$tmp/cl_train"
    cp "$tmp/cl_infer_$threads" "$tmp/cl_infer"
    # Same architecture: our weights loaded into the PyTorch model by name, outputs compared.
    check=$(run check "$py" bench/panoptic_torch.py check "$tmp/check.npz" --threads "$threads")
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
    echo "== PanopticNet: ours and PyTorch $("$py" -c 'import torch; print(torch.__version__)') at N threads, ratio ours/torch at the same N =="
    echo "$(grep '^architecture check' "$tmp/check")"
    echo "training, batch $batch of ${size}x${size} (samples/s, higher is better; per CPU-second in brackets):"
    for n in $torch_threads; do
        echo "  PyTorch channels_last, $n thr:  ${cl_train[$n]} ($(percpu "cl_train_$n"))   NCHW (default): ${def_train[$n]} ($(percpu "def_train_$n"))"
    done
    for n in $OURS_THREADS; do
        echo "  ours, $n thr:                  ${ours_train[$n]} ($(percpu "ours_train_$n"))   ratio vs channels_last $(ratio "${ours_train[$n]}" "${cl_train[$n]}"), vs NCHW $(ratio "${ours_train[$n]}" "${def_train[$n]}"); per CPU-second vs channels_last $(ratio "$(percpu "ours_train_$n")" "$(percpu "cl_train_$n")")"
    done
    echo "inference, heads [1,1], batch $ibatch tiles of ${size}x${size} (Mpix/s, higher is better; per CPU-second in brackets):"
    for n in $torch_threads; do
        echo "  PyTorch channels_last, $n thr:  ${cl_infer[$n]} ($(percpu "cl_infer_$n"))   NCHW (default): ${def_infer[$n]} ($(percpu "def_infer_$n"))"
    done
    for n in $OURS_THREADS; do
        echo "  ours, $n thr:                  ${ours_infer[$n]} ($(percpu "ours_infer_$n"))   ratio vs channels_last $(ratio "${ours_infer[$n]}" "${cl_infer[$n]}"), vs NCHW $(ratio "${ours_infer[$n]}" "${def_infer[$n]}"); per CPU-second vs channels_last $(ratio "$(percpu "ours_infer_$n")" "$(percpu "cl_infer_$n")")"
    done
else
    echo "PyTorch not found (TORCH_PYTHON=${TORCH_PYTHON:-unset}; see this script's header to make one): our figures only."
    for n in $OURS_THREADS; do
        echo "== PanopticNet, ours at $n thread(s) =="
        echo "training, batch $batch of ${size}x${size}: ${ours_train[$n]} samples/s"
        echo "inference, heads [1,1], batch $ibatch tiles of ${size}x${size}: ${ours_infer[$n]} Mpix/s"
    done
fi
record_finish
