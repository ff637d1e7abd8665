#!/usr/bin/env bash
# Network-engine benchmark (issue 4): our nn-bench against PyTorch on the same machine in
# the same run. The reference step is a 4-level U-Net (16/32/64/128, conv+BN+ReLU twice per
# level, max-pool, nearest upsampling + concat, 1x1 head), batch 8 of 1x128x128, MSE, Adam.
#
#   bench/nn.sh [unet-step|conv] [--steps N]
#
# Threads (bench/record.sh): ours at 1 and at all cores (OURS_THREADS), PyTorch at
# REF_THREADS (default all cores; torch.set_num_threads). Result: bench/results/nn.md
# (bench/results/nn-conv.md for conv).
# PyTorch: uses $TORCH_PYTHON, else .venv/bin/python when it imports torch (PyPI's build is
# ~5 GB: python3 -m venv .venv && .venv/bin/pip install torch numpy). Without torch it prints
# the anchor recorded in ../shared/backend.md, labelled as such.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-unet-step}
shift || true
steps=10
while [ $# -gt 0 ]; do
    case $1 in
        --steps) steps=$2; shift 2 ;;
        *) echo "bench/nn.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
source bench/record.sh
bench=$(bench/dc-bench-path.sh)
record_start "$([ "$what" = unet-step ] && echo nn || echo nn-$what)" text "$what" --steps "$steps"

# Runs a command, shows its output on stderr, returns the value of its last line (KEY=VALUE).
last_value() {
    local out
    out=$("$@")
    printf '%s\n' "$out" >&2
    printf '%s\n' "$out" | tail -1 | cut -d= -f2
}

if [ "$what" = unet-step ]; then count=(--steps "$steps"); else count=(--repeats "$steps"); fi
declare -A ours
for n in $OURS_THREADS; do
    ours[$n]=$(last_value "$bench" nn "$what" --threads "$n" "${count[@]}")
done

py=${TORCH_PYTHON:-.venv/bin/python}
echo "== $what, ms (lower is better); ratio = PyTorch / ours, above 1: ours is faster =="
if [ -x "$py" ] && "$py" -c 'import torch' 2>/dev/null; then
    torch_cl=$(last_value "$py" bench/nn_torch.py "$what" --steps "$steps" --threads "$REF_THREADS" --channels-last)
    torch_def=$(last_value "$py" bench/nn_torch.py "$what" --steps "$steps" --threads "$REF_THREADS")
    echo "PyTorch $("$py" -c 'import torch; print(torch.__version__)'), $REF_THREADS threads, channels_last: $torch_cl ms"
    echo "PyTorch $REF_THREADS threads, NCHW (default):  $torch_def ms"
    for n in $OURS_THREADS; do
        echo "dc-tools dc-bench nn, $n thread(s): ${ours[$n]} ms   ratio vs channels_last $(echo "scale=2; $torch_cl / ${ours[$n]}" | bc), vs NCHW $(echo "scale=2; $torch_def / ${ours[$n]}" | bc)"
    done
else
    if [ "$what" = unet-step ]; then cl=205; def=282; else cl=48.7; def=66.5; fi
    echo "PyTorch not installed here; RECORDED ANCHOR from ../shared/backend.md (2-core Zen 4, AVX-512, quiet machine, 2 threads):"
    echo "  PyTorch channels_last: $cl ms, NCHW default: $def ms"
    for n in $OURS_THREADS; do
        echo "dc-tools dc-bench nn, $n thread(s): ${ours[$n]} ms   ratio vs anchor channels_last $(echo "scale=2; $cl / ${ours[$n]}" | bc), NCHW $(echo "scale=2; $def / ${ours[$n]}" | bc)"
    done
fi
record_finish
