#!/usr/bin/env bash
# Times the in-process benchmark driver (dc-bench, Benchmarks/) of two release builds, turn about,
# on the same inputs: scripts/compare-builds.sh BEFORE_BIN AFTER_BIN [ROUNDS]
# e.g. .build-before (a copy of the drivers as built with -Ounchecked) and .build-checked/release.
# Inputs are made once in bench/out/compare/ with the reference environment's generators
# (.oracle, ../shared/oracle/reference_bench.py) and ../shared/data; prints one line per
# benchmark with the medians over ROUNDS (default 3) of each driver's own figure (seconds; ms
# per step for dc-bench nn; for dc-bench track frames per second of tracker CPU time, where higher is
# better) and of the whole process's CPU time (user + system, all threads), with after/before
# ratios. On a loaded machine the CPU time is the steadier measure of the work each build does.
# INPUTS_ONLY=1 only makes the inputs; ONLY=REGEX runs the benchmarks whose names match.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: scripts/compare-builds.sh BEFORE_BIN AFTER_BIN [ROUNDS]}
after=${2:?usage: scripts/compare-builds.sh BEFORE_BIN AFTER_BIN [ROUNDS]}
rounds=${3:-3}
py=${ORACLE:-.oracle}/bin/python
shared=${SHARED:-../shared}
out=bench/out/compare
mkdir -p "$out"

if [ ! -f "$out/done" ]; then
    "$py" - "$shared/oracle" "$out" <<'PY'
import sys, warnings
import numpy as np
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
from reference_bench import make_dataset, SEED
import oracle_transforms as ot
out = sys.argv[2]
X, y = make_dataset(16, (512, 512), 150, SEED)
np.save(out + "/clahe16.npy", X.astype(np.float32))
np.save(out + "/inner.npy", ot.transform_masks(y, "inner-distance", alpha="auto", beta=1, erosion_width=0).astype(np.float32))
np.save(out + "/outer.npy", ot.transform_masks(y, "outer-distance", erosion_width=1).astype(np.float32))
yt = y[..., 0].astype(np.int32)
yp = np.roll(yt, 2, axis=2)
yp[:, :40] = 0
np.save(out + "/truth.npy", yt)
np.save(out + "/pred.npy", yp)
_, y2 = make_dataset(16, (256, 256), 38, SEED + 1000)
np.save(out + "/labels_16x256x256.npy", y2)
r = np.random.default_rng(0)
np.save(out + "/stack.npy", r.poisson(300, (50, 512, 512)).astype(np.uint16))
PY
    # CTC: the SIM+ ground truth evaluated against itself as the result.
    gt=$shared/data/ctc-fluo-n2dh-sim-plus-01/01_GT
    mkdir -p "$out/RES"
    for f in "$gt"/TRA/man_track*.tif; do cp "$f" "$out/RES/mask${f##*/man_track}"; done
    cp "$gt/TRA/man_track.txt" "$out/RES/res_track.txt"
    touch "$out/done"
fi
gt=$shared/data/ctc-fluo-n2dh-sim-plus-01/01_GT
[ "${INPUTS_ONLY:-0}" = 1 ] && exit 0

# name | command (BIN replaced by the build folder) | how to read the figure from its output
benches=(
    "normalize CLAHE 16x512², 2 threads|BIN/dc-bench normalize $out/clahe16.npy --repeats 5 --threads 2|last"
    "normalize CLAHE 16x512², 1 thread|BIN/dc-bench normalize $out/clahe16.npy --repeats 5 --threads 1|last"
    "watershed h-maxima 16x512²|BIN/dc-bench watershed $out/inner.npy $out/outer.npy --runs 5|median_s="
    "watershed h-maxima 16x512², 1 thread|BIN/dc-bench watershed $out/inner.npy $out/outer.npy --runs 5 --threads 1|median_s="
    "watershed peak_local_max 16x512²|BIN/dc-bench watershed $out/inner.npy $out/outer.npy --runs 5 --peak-local-max|median_s="
    "metrics object 16x512²|BIN/dc-bench metrics --truth $out/truth.npy --prediction $out/pred.npy --runs 5|\"median_s\": "
    "metrics CTC SIM+ 01|BIN/dc-bench metrics --res $out/RES --gt $gt --runs 3|\"median_s\": "
    "augment targets 16x256²|BIN/dc-bench augment $out/labels_16x256x256.npy 5|\"median_s\": "
    "tiffio write deflate 50x512² u16|BIN/dc-bench tiffio write $out/stack.npy $out/w.tif deflate 3|last"
    "tiffio read deflate 50x512² u16|BIN/dc-bench tiffio read $out/w.tif 3|last"
    "track 200x500 cells, frames/s (CPU)|BIN/dc-bench track 200 500 640|frames/s CPU"
    "nn U-Net step 8x128², ms|BIN/dc-bench nn unet-step --steps 5 --threads 2|ms_per_step="
)

figure() { # output, how
    case $2 in
    last) printf '%s\n' "$1" | tail -1 | grep -oE '[0-9]+\.[0-9]+' | head -1 ;;
    "frames/s CPU") printf '%s\n' "$1" | grep -oE '[0-9.]+ frames/s CPU' | cut -d' ' -f1 ;;
    *) printf '%s\n' "$1" | grep -oE "$2[0-9.e-]+" | head -1 | sed "s/^$2//" ;;
    esac
}

med() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.time"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%FT%TZ); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %10s %10s %7s %9s %9s %7s\n' benchmark "wall bef." "wall aft." ratio "CPU bef." "CPU aft." ratio
for b in "${benches[@]}"; do
    IFS='|' read -r name command how <<<"$b"
    [[ $name =~ ${ONLY:-.} ]] || continue
    wa=() wz=() ca=() cz=()
    for ((r = 0; r < rounds; r++)); do
        for side in before after; do
            bin=${!side}
            TIMEFORMAT='%U %S'
            { time ${command//BIN/$bin} >"$tmp" 2>&1; } 2>"$tmp.time" || {
                echo "failed: ${command//BIN/$bin}: $(cat "$tmp")" >&2
                exit 1
            }
            value=$(figure "$(cat "$tmp")" "$how")
            cpu=$(awk '{print $1 + $2}' "$tmp.time")
            if [ $side = before ]; then wa+=("$value") ca+=("$cpu"); else wz+=("$value") cz+=("$cpu"); fi
        done
    done
    a=$(med "${wa[@]}") z=$(med "${wz[@]}") c=$(med "${ca[@]}") d=$(med "${cz[@]}")
    printf '%-40s %10s %10s %7.3f %9s %9s %7.3f\n' "$name" "$a" "$z" "$(echo "$z / $a" | bc -l)" "$c" "$d" "$(echo "$d / $c" | bc -l)"
    echo "    wall before: ${wa[*]}; after: ${wz[*]}; CPU s before: ${ca[*]}; after: ${cz[*]}"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
