#!/usr/bin/env bash
# Network-engine benchmark (issue 4): our nn-bench against PyTorch on the same machine in
# the same run. The reference step is a 4-level U-Net (16/32/64/128, conv+BN+ReLU twice per
# level, max-pool, nearest upsampling + concat, 1x1 head), batch 8 of 1x128x128, MSE, Adam.
#
#   bench/nn.sh [unet-step|conv] [--steps N] [--threads N]
#
# PyTorch: uses $TORCH_PYTHON, else .venv/bin/python when it imports torch (PyPI's build is
# ~5 GB: python3 -m venv .venv && .venv/bin/pip install torch numpy). Without torch it prints
# the anchor recorded in ../shared/backend.md, labelled as such.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-unet-step}
shift || true
steps=10
threads=${OMP_NUM_THREADS:-2}
while [ $# -gt 0 ]; do
    case $1 in
        --steps) steps=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) echo "bench/nn.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
bench=$(bench/dc-bench-path.sh)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"

# Runs a command, shows its output on stderr, returns the value of its last line (KEY=VALUE).
last_value() {
    local out
    out=$("$@")
    printf '%s\n' "$out" >&2
    printf '%s\n' "$out" | tail -1 | cut -d= -f2
}

if [ "$what" = unet-step ]; then count=(--steps "$steps"); else count=(--repeats "$steps"); fi
ours=$(last_value "$bench" nn "$what" --threads "$threads" "${count[@]}")

py=${TORCH_PYTHON:-.venv/bin/python}
if [ -x "$py" ] && "$py" -c 'import torch' 2>/dev/null; then
    torch_cl=$(last_value "$py" bench/nn_torch.py "$what" --steps "$steps" --threads "$threads" --channels-last)
    torch_def=$(last_value "$py" bench/nn_torch.py "$what" --steps "$steps" --threads "$threads")
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "== $what, $threads threads =="
    echo "dc-tools dc-bench nn:     $ours ms"
    echo "PyTorch channels_last:    $torch_cl ms   (ratio ours/torch $(echo "scale=2; $ours / $torch_cl" | bc))"
    echo "PyTorch NCHW (default):   $torch_def ms   (ratio ours/torch $(echo "scale=2; $ours / $torch_def" | bc))"
else
    if [ "$what" = unet-step ]; then cl=205; def=282; else cl=48.7; def=66.5; fi
    echo "== $what, $threads threads =="
    echo "dc-tools dc-bench nn:               $ours ms"
    echo "PyTorch not installed here; RECORDED ANCHOR from ../shared/backend.md (2-core Zen 4, AVX-512, quiet machine):"
    echo "  PyTorch channels_last: $cl ms (ratio ours/anchor $(echo "scale=2; $ours / $cl" | bc))"
    echo "  PyTorch NCHW default:  $def ms (ratio ours/anchor $(echo "scale=2; $ours / $def" | bc))"
fi
