#!/usr/bin/env bash
# Builds the libFuzzer binary fuzz/out/fuzz-dc from every DeepCellKit source (globbed: all of
# Sources/DeepCellKit; the argument-parser glue is the separate CLI target) and every harness
# under fuzz/, then fuzzes TARGET for SECONDS (default 600) from fuzz/TARGET/seeds.
#   nice -n 19 fuzz/run.sh trk 600
#   fuzz/run.sh --build            # only (re)build
# FUZZ_TIMEOUT (default 60 s) is libFuzzer's limit per input: a nice-19 fuzzer on a busy
# machine can be descheduled for seconds: with 10 s an input that runs in under a second was
# reported as a hang.
# Targets: tiff png npy npz trk tar gzip lineage ctctrack ctcfolder (fuzz/README.md).
# Findings (crash-*, oom-*, leak-*, timeout-*) and the log land in fuzz/out/TARGET/, the grown
# corpus in fuzz/corpus-TARGET/ (both git-ignored). Replay: DC_FUZZ_TARGET=TARGET fuzz/out/fuzz-dc FILE
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] | --build}
seconds=${2:-600}
binary=fuzz/out/fuzz-dc

mapfile -t sources < <(find Sources/DeepCellKit -name '*.swift' | sort)
mapfile -t harnesses < <(find fuzz -name '*.swift' -not -path 'fuzz/out/*' | sort)
modules=()
for dir in Sources/C*/; do modules+=(-I "${dir%/}"); done
mkdir -p fuzz/out
# (No `ls -t | head` here: under pipefail its SIGPIPE ended the script silently now and then.)
stale=""
[ -x "$binary" ] && stale=$(find "${sources[@]}" "${harnesses[@]}" -newer "$binary" -print -quit)
if [ "$target" = --build ] || [ ! -x "$binary" ] || [ -n "$stale" ]; then
    echo "fuzz/run.sh: building $binary from ${#sources[@]} library sources and ${#harnesses[@]} harness files" >&2
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 5 -module-name DeepCellKit \
        "${modules[@]}" "${sources[@]}" "${harnesses[@]}" -o "$binary.tmp" >fuzz/out/build.log 2>&1 || {
        grep -E "error" fuzz/out/build.log >&2
        exit 1
    }
    mv "$binary.tmp" "$binary"
fi
[ "$target" = --build ] && exit 0

out=fuzz/out/$target
corpus=fuzz/corpus-$target
[ -d "fuzz/$target/seeds" ] || { echo "fuzz/run.sh: no seeds for '$target' (fuzz/$target/seeds)" >&2; exit 64; }
mkdir -p "$out" "$corpus"
cp -n fuzz/"$target"/seeds/* "$corpus/" 2>/dev/null || true
LSAN_OPTIONS=suppressions=$PWD/fuzz/lsan.supp DC_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-60}" -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$out/" "$corpus" >"$out/log.txt" 2>&1 && status=0 || status=$?
grep -E "ERROR|SUMMARY|^Done|DONE" "$out/log.txt" | tail -5
ls "$out"/crash-* "$out"/oom-* "$out"/leak-* "$out"/timeout-* 2>/dev/null && echo "findings in $out" >&2
exit $status
