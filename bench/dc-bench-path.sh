#!/usr/bin/env bash
# Builds the benchmark driver dc-bench (the package Benchmarks/, release: -O with whole-module
# optimisation, checks on, as the tools ship) when needed and prints its path; bench/*.sh
# start with  bench=$(bench/dc-bench-path.sh)  and run  "$bench" SUBCOMMAND ….
# `swift test` and `make install` never build it: it is not a product of the root package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
swift build -c release --manifest-cache none --package-path "$root/Benchmarks" --product dc-bench >&2
echo "$(swift build -c release --manifest-cache none --package-path "$root/Benchmarks" --show-bin-path)/dc-bench"
