#!/usr/bin/env bash
# Builds the libFuzzer harness for FORMAT (npy or npz) from the DeepCellKit sources it needs
# and fuzzes that reader for SECONDS (default 600), starting from fuzz/FORMAT/seeds (made by
# fuzz/make-npz-seeds.py). Findings (crash-*, oom-*, leak-*, timeout-*) and the log land in
# fuzz/out/FORMAT/; the grown corpus in fuzz/corpus-FORMAT/.
#   nice -n 19 fuzz/run-npz.sh npz 600
set -euo pipefail
cd "$(dirname "$0")/.."
format=${1:?usage: fuzz/run-npz.sh npy|npz [SECONDS]}
seconds=${2:-600}
out=fuzz/out/$format
corpus=fuzz/corpus-$format
io=Sources/DeepCellKit/IO
arrays=Sources/DeepCellKit/Arrays
sources=($arrays/NDArray.swift $arrays/DType.swift $arrays/DeepCellError.swift $arrays/ArrayBundle.swift
    $io/NPY.swift $io/StackStreams.swift $io/RandomAccessFile.swift $io/StackLayout.swift $io/ArrayStackReader.swift
    $io/NPYStackReader.swift fuzz/npz/FuzzInputFile.swift)
case $format in
npy)
    harness=fuzz/npy/FuzzNPY.swift
    ;;
npz)
    sources+=($io/RawDeflate.swift $io/ZipRecords.swift $io/ZipCentralDirectory.swift $io/ZipMemberReader.swift
        $io/NPZReader.swift)
    harness=fuzz/npz/FuzzNPZ.swift
    ;;
*)
    echo "fuzz/run-npz.sh: unknown format '$format' (npy or npz)" >&2
    exit 64
    ;;
esac
mkdir -p "$out" "$corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name DeepCellKit -I Sources/CZlib -lz \
    "${sources[@]}" "$harness" -o "$out/fuzz-$format" >"$out/build.log" 2>&1 || {
    grep -E "error" "$out/build.log" >&2
    exit 1
}
cp -n fuzz/$format/seeds/* "$corpus/" 2>/dev/null || true
"$out/fuzz-$format" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$out/" "$corpus" >"$out/log.txt" 2>&1 && status=0 || status=$?
grep -E "ERROR|SUMMARY|^Done|DONE" "$out/log.txt" | tail -5
ls "$out"/crash-* "$out"/oom-* "$out"/leak-* "$out"/timeout-* 2>/dev/null && echo "findings in $out" >&2
exit $status
