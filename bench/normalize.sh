#!/usr/bin/env bash
# dc-normalize benchmarks (issue 2):
#  1. CLAHE speed: DeepCellKit's histogram normalization (in process, release build) vs
#     deepcell-toolbox's histogram_normalization on the same seeded (16, 512, 512, 1)
#     float32 stack; prints both best-of-5 times, the ratio and the max abs difference.
#     Also the whole dc-normalize run (read + normalize + write) on that file.
#  2. Streaming memory: dc-normalize on 500 and on 4000 frames of 128×128; peak RSS stays flat.
# Threads (bench/record.sh): ours at 1 and all cores (in process and the whole tool), the
# reference pinned to REF_THREADS. Result: bench/results/normalize.md.
# Needs the reference environment: ${ORACLE:-.oracle} (../shared/oracle/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${ORACLE:-.oracle}/bin/python"
DRIVER=bench/normalize_reference.py
OUT=bench/out/normalize
mkdir -p "$OUT"
source bench/record.sh

# --manifest-cache none: new executable folders are found even with a stale manifest cache.
swift build -c release --manifest-cache none --product dc-normalize >/dev/null
BIN=.build/release
bench=$(bench/dc-bench-path.sh)

record_start normalize text "$@"
echo "== CLAHE (16, 512, 512, 1) float32, best of 5; ratio = reference / ours (above 1: ours is faster)"
[ -f "$OUT/clahe16.npy" ] || "$PY" "$DRIVER" input "$OUT/clahe16.npy" 16 512 512
ref=$("$PY" "$DRIVER" time "$OUT/clahe16.npy" 5 "$OUT/reference.npy")
printf "reference histogram_normalization (%s threads pinned) %8.4f s\n" "$REF_THREADS" "$ref"
for n in $OURS_THREADS; do
  ours=$("$bench" normalize "$OUT/clahe16.npy" --repeats 5 --threads "$n" --output "$OUT/ours.npy")
  diff=$("$PY" "$DRIVER" compare "$OUT/ours.npy" "$OUT/reference.npy")
  tools=()
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$BIN/dc-normalize" "$OUT/clahe16.npy" --transform none -o "$OUT/tool.npy" --threads "$n" --quiet
    tools+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  tool=$(printf '%s\n' "${tools[@]}" | sort -g | head -1)
  awk -v n="$n" -v r="$ref" -v o="$ours" -v t="$tool" -v d="$diff" 'BEGIN {
    printf "DeepCellKit in process, %d thread(s)               %8.4f s   %6.1fx   max abs difference %s\n", n, o, r / o, d
    printf "dc-normalize whole process (npy->npy), %d thread(s) %8.4f s   %6.1fx   (best of 3)\n", n, t, r / t
  }'
done

echo "== streaming memory: dc-normalize on 128x128 frames (npy -> npy)"
for n in 500 4000; do
  [ -f "$OUT/stream$n.npy" ] || "$PY" "$DRIVER" input "$OUT/stream$n.npy" "$n" 128 128
  start=$(date +%s.%N)
  rss=$("$PY" "$DRIVER" rss -- "$BIN/dc-normalize" "$OUT/stream$n.npy" --transform none -o "$OUT/stream$n-norm.npy" --quiet)
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  size=$(du -m "$OUT/stream$n.npy" | cut -f1)
  printf "%5d frames (%4d MB in): peak RSS %6.1f MB, %.1f s\n" "$n" "$size" "$(echo "$rss / 1024" | bc -l)" "$secs"
  rm -f "$OUT/stream$n-norm.npy"
done
record_finish
