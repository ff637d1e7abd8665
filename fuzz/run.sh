#!/usr/bin/env bash
# Builds the libFuzzer harness for FORMAT (tiff or png) from the DeepCellKit sources it needs
# and fuzzes that reader for SECONDS (default 600), starting from fuzz/FORMAT/seeds.
# Findings (crash-*, oom-*, timeout-*) and the log land in fuzz/out/FORMAT/.
set -euo pipefail
cd "$(dirname "$0")/.."
format=${1:?usage: fuzz/run.sh tiff|png [SECONDS]}
seconds=${2:-600}
out=fuzz/out/$format
corpus=fuzz/corpus-$format
io=Sources/DeepCellKit/IO
case $format in
tiff)
    sources=($io/TIFFHandle.swift $io/TIFFWriteBackFile.swift $io/TIFFStackReader.swift $io/TIFFFrameLayout.swift $io/ImageJMetadata.swift
        $io/TIFFOMELayout.swift $io/OMEMetadata.swift $io/PixelSize.swift $io/StackMetadata.swift
        Sources/DeepCellKit/Arrays/Parallel.swift)
    modules=(-I Sources/CTIFF -ltiff)
    harness=fuzz/tiff/FuzzTIFF.swift
    ;;
png)
    sources=($io/PNGCodec.swift)
    modules=(-I Sources/CPNG -lpng16)
    harness=fuzz/png/FuzzPNG.swift
    ;;
*)
    echo "fuzz/run.sh: unknown format '$format' (tiff or png)" >&2
    exit 64
    ;;
esac
sources+=($io/StackStreams.swift Sources/DeepCellKit/Arrays/NDArray.swift Sources/DeepCellKit/Arrays/DType.swift
    Sources/DeepCellKit/Arrays/DeepCellError.swift "$harness")
mkdir -p "$out" "$corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name DeepCellKit "${modules[@]}" "${sources[@]}" \
    -o "$out/fuzz-$format" >"$out/build.log" 2>&1 || { grep -E "error" "$out/build.log" >&2; exit 1; }
cp -n fuzz/$format/seeds/* "$corpus/" 2>/dev/null || true
# Known leaks outside our code (fuzz/FORMAT/lsan.supp) are suppressed, not every leak.
[ -f "fuzz/$format/lsan.supp" ] && export LSAN_OPTIONS="suppressions=$PWD/fuzz/$format/lsan.supp"
"$out/fuzz-$format" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$out/" "$corpus" >"$out/log.txt" 2>&1 && status=0 || status=$?
grep -E "ERROR|SUMMARY|^Done|DONE" "$out/log.txt" | tail -5
ls "$out"/crash-* "$out"/oom-* "$out"/timeout-* 2>/dev/null && echo "findings in $out" >&2
exit $status
