#!/usr/bin/env bash
# PanopticNet inference, or with --train training, in both precisions against PyTorch, side by
# side in one run (issue 15): ours fp32 and bf16 (dc-bench nn panoptic-infer|panoptic-train
# --precision) against PyTorch channels_last in fp32 and under bf16 autocast (training: the
# forward pass and losses under autocast, backward outside it, as PyTorch's mixed-precision
# recipe has it), the same architecture and input (bench/panoptic_torch.py).
# The four are run in interleaved rounds (A B C D, A B C D, …) so that each sees the same
# load on a shared machine; /proc/loadavg is recorded before every run. Per engine the figure
# is the median over rounds of each run's median pass; "per CPU-second" divides by the CPU
# time of all threads instead of wall time, less sensitive to foreign load.
# Inference also prints dc-bench nn's per-layer FLOP / GFLOP/s table for both precisions.
#
#   bench/panoptic_precision.sh [--train] [--rounds N] [--batch N] [--size S] [--steps N]
#
# Defaults: 3 rounds, 4 tiles (training: a batch of 4) of 256², 3 timed passes (steps) after
# 1 warm-up. Threads
# (bench/record.sh): ours at 1 and at all cores, PyTorch at REF_THREADS (default all cores)
# and at our counts; the ratio columns compare with ours at all cores, the per-layer table is
# ours at all cores. Result: bench/results/panoptic-precision.md, with --train
# bench/results/panoptic-train-precision.md.
# PyTorch: TORCH_PYTHON (see bench/panoptic.sh's header); without it only our rows run.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 batch=4 size=256 steps=3 what=infer
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --train) what=train; shift ;;
        --rounds) rounds=$2; shift 2 ;;
        --batch) batch=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        *) echo "bench/panoptic_precision.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
source bench/record.sh
threads=$ALL_THREADS
bench=$(bench/dc-bench-path.sh)
py=${TORCH_PYTHON:-.venv/bin/python}
have_torch=0
"$py" -c 'import torch' 2>/dev/null && have_torch=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--batch "$batch" --size "$size" --steps "$steps" --threads "$threads")
work=(--batch "$batch" --size "$size" --steps "$steps")
# What a run measures: inference in Mpix/s, training in samples/s (the dc-bench and
# panoptic_torch.py lines "Mpix/s: WALL wall, CPU per cpu-second" and "samples/s: …").
if [ "$what" = train ]; then
    unit=samples/s record=panoptic-train-precision title="training, a batch of $batch"
else
    unit=Mpix/s record=panoptic-precision title="inference, $batch tiles"
fi
# Ours at all cores first (rows 0, 1: the ratio columns' references), then at 1 thread.
names=("ours fp32, $ALL_THREADS thr" "ours bf16, $ALL_THREADS thr")
cmds=("$bench nn panoptic-$what ${work[*]} --threads $ALL_THREADS --precision fp32"
      "$bench nn panoptic-$what ${work[*]} --threads $ALL_THREADS --precision bf16")
for n in $OURS_THREADS; do
    [ "$n" = "$ALL_THREADS" ] && continue
    names+=("ours fp32, $n thr" "ours bf16, $n thr")
    cmds+=("$bench nn panoptic-$what ${work[*]} --threads $n --precision fp32"
           "$bench nn panoptic-$what ${work[*]} --threads $n --precision bf16")
done
if [ $have_torch = 1 ]; then
    # PyTorch at REF_THREADS and at our thread counts: same count against same count.
    for n in $(printf '%s\n' "$REF_THREADS" $OURS_THREADS | sort -rnu); do
        names+=("PyTorch fp32 channels_last, $n thr" "PyTorch bf16 autocast channels_last, $n thr")
        cmds+=("$py bench/panoptic_torch.py $what ${work[*]} --threads $n --channels-last"
               "$py bench/panoptic_torch.py $what ${work[*]} --threads $n --channels-last --bf16")
    done
fi
record_start "$record" md "${args[@]}"
{
echo
echo "# PanopticNet $what: fp32 and bf16, ours and PyTorch"
echo
echo "- CPU flags: $(grep -m1 -o -w -E 'avx512_bf16|avx512_vnni' /proc/cpuinfo | sort -u | xargs)"
echo "- $("$bench" nn panoptic-infer --batch 1 --size 32 --steps 1 --warmup 0 --threads "$threads" | head -1)"
[ $have_torch = 1 ] && echo "- PyTorch: $("$py" -c 'import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability())')"
echo "- workload: $title of ${size}², heads $([ "$what" = train ] && echo "[1, 1, 2]" || echo "[1, 1]"), $steps timed passes after 1 warm-up per run, $rounds interleaved rounds"
echo
echo "## Runs (load = /proc/loadavg 1-min before the run)"
echo
echo "| round | engine | load | $unit wall | $unit per CPU-second |"
echo "|---:|---|---:|---:|---:|"
for r in $(seq 1 "$rounds"); do
    for i in "${!cmds[@]}"; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        ${cmds[$i]} > "$tmp/run" 2>&1 || { cat "$tmp/run" >&2; exit 1; }
        wall=$(grep -F "$unit:" "$tmp/run" | awk '{print $2}')
        cpu=$(grep -F "$unit:" "$tmp/run" | awk '{print $4}')
        echo "$i $wall $cpu" >> "$tmp/all"
        echo "| $r | ${names[$i]} | $load | $wall | $cpu |"
    done
done
echo
echo "## Summary (median over rounds; ratio = ours / PyTorch)"
echo
echo "| engine | $unit wall | per CPU-second | ours fp32 / this (wall) | ours bf16 / this (wall) | ours bf16 / this (CPU) |"
echo "|---|---:|---:|---:|---:|---:|"
med() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for i in "${!cmds[@]}"; do
    w[$i]=$(awk -v i="$i" '$1 == i {print $2}' "$tmp/all" | med)
    c[$i]=$(awk -v i="$i" '$1 == i {print $3}' "$tmp/all" | med)
done
for i in "${!cmds[@]}"; do
    printf '| %s | %.4f | %.4f | %.2f | %.2f | %.2f |\n' "${names[$i]}" "${w[$i]}" "${c[$i]}" \
        "$(echo "${w[0]} / ${w[$i]}" | bc -l)" "$(echo "${w[1]} / ${w[$i]}" | bc -l)" \
        "$(echo "${c[1]} / ${c[$i]}" | bc -l)"
done
[ "$what" = train ] || for p in fp32 bf16; do
    echo
    echo "## Forward FLOPs and rate per layer, ours $p (each layer alone; load $(cut -d' ' -f1 /proc/loadavg))"
    echo
    echo '```'
    "$bench" nn panoptic-infer "${common[@]}" --precision "$p" --profile > "$tmp/prof"
    grep -E '^op' "$tmp/prof" | cut -f2- | column -t -s $'\t'
    echo '```'
    echo
    grep -E '^(layers alone|forward convolution)' "$tmp/prof"
done
}
record_finish
