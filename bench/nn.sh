#!/usr/bin/env bash
# Network-engine benchmark (issue 4): our nn-bench against PyTorch on the same machine in
# the same run. The reference step is a 4-level U-Net (16/32/64/128, conv+BN+ReLU twice per
# level, max-pool, nearest upsampling + concat, 1x1 head), batch 8 of 1x128x128, MSE, Adam.
#
#   bench/nn.sh [unet-step|conv] [--steps N]
#
# Threads (bench/record.sh): ours at 1 and at all cores (OURS_THREADS), PyTorch at the same
# counts and at REF_THREADS (torch.set_num_threads): both engines use OpenMP-style pools, and
# on a loaded machine a pool of all cores can be much slower than one thread, so each count
# is compared with the same count. Besides wall ms per step, the CPU ms (all threads) per
# step. Result: bench/results/nn.md (bench/results/nn-conv.md for conv).
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

# Runs a command, shows its output on stderr, prints "WALL CPU": the value of its last line
# (KEY=VALUE) and of its "cpu ms … : VALUE" line.
measure() {
    local out
    out=$("$@")
    printf '%s\n' "$out" >&2
    echo "$(printf '%s\n' "$out" | tail -1 | cut -d= -f2) $(printf '%s\n' "$out" | grep -m1 '^cpu ms' | awk -F': ' '{print $2}')"
}

if [ "$what" = unet-step ]; then count=(--steps "$steps"); else count=(--repeats "$steps"); fi
declare -A ours torch_cl torch_def
for n in $OURS_THREADS; do
    ours[$n]=$(measure "$bench" nn "$what" --threads "$n" "${count[@]}")
done

py=${TORCH_PYTHON:-.venv/bin/python}
echo "== $what: wall ms and CPU ms (all threads) per step, lower is better; ratio = PyTorch / ours at the same thread count (above 1: ours is faster) =="
if [ -x "$py" ] && "$py" -c 'import torch' 2>/dev/null; then
    echo "PyTorch $("$py" -c 'import torch; print(torch.__version__)')"
    torch_threads=$(printf '%s\n' $OURS_THREADS "$REF_THREADS" | sort -un | xargs)
    for n in $torch_threads; do
        torch_cl[$n]=$(measure "$py" bench/nn_torch.py "$what" --steps "$steps" --threads "$n" --channels-last)
        torch_def[$n]=$(measure "$py" bench/nn_torch.py "$what" --steps "$steps" --threads "$n")
    done
    printf '%-28s %10s %10s\n' "engine, threads" "wall ms" "CPU ms"
    for n in $torch_threads; do
        read -r cw cc <<< "${torch_cl[$n]}"
        printf '%-28s %10s %10s\n' "PyTorch channels_last, $n" "$cw" "$cc"
        read -r dw dc <<< "${torch_def[$n]}"
        printf '%-28s %10s %10s\n' "PyTorch NCHW (default), $n" "$dw" "$dc"
    done
    for n in $OURS_THREADS; do
        read -r ow oc <<< "${ours[$n]}"
        read -r cw cc <<< "${torch_cl[$n]}"
        read -r dw dc <<< "${torch_def[$n]}"
        printf '%-28s %10s %10s   ratio wall vs channels_last %s, vs NCHW %s; CPU vs channels_last %s\n' "dc-tools dc-bench nn, $n" "$ow" "$oc" \
            "$(echo "scale=2; $cw / $ow" | bc)" "$(echo "scale=2; $dw / $ow" | bc)" "$(echo "scale=2; $cc / $oc" | bc)"
    done
else
    if [ "$what" = unet-step ]; then cl=205; def=282; else cl=48.7; def=66.5; fi
    echo "PyTorch not installed here; RECORDED ANCHOR from ../shared/backend.md (2-core Zen 4, AVX-512, quiet machine, 2 threads):"
    echo "  PyTorch channels_last: $cl ms, NCHW default: $def ms"
    for n in $OURS_THREADS; do
        read -r ow oc <<< "${ours[$n]}"
        echo "dc-tools dc-bench nn, $n thread(s): $ow ms wall, $oc ms CPU   ratio vs anchor channels_last $(echo "scale=2; $cl / $ow" | bc), NCHW $(echo "scale=2; $def / $ow" | bc)"
    done
fi
record_finish
