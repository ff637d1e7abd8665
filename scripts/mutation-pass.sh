#!/usr/bin/env bash
# A small mutation pass over parity-critical code: each mutant below is one sed edit of one
# source file; the script applies it to a scratch copy of the package (never to your tree),
# builds, runs the matching `swift test --filter`, and reports whether a test failed (killed)
# or all passed (survived). An unmutated baseline run of every filter must pass first.
#
#   scripts/mutation-pass.sh              # all mutants
#   scripts/mutation-pass.sh hmaxima      # only mutants whose name contains "hmaxima"
#
# The scratch copy lives in ${MUTATION_DIR:-.build/mutation} (ignored by git): the tracked and
# untracked-but-not-ignored files of the tree, with SwiftPM's dependency checkouts copied so
# it builds offline. The first run builds it from scratch (several minutes); later runs are
# incremental. Exit status: 0 when every mutant is killed, 1 when one survives, 2 when a
# mutant's pattern no longer matches its file, the baseline fails or a mutant does not build.
#
# Adding a mutant: one line in MUTANTS, `name|file|sed expression|test filter`. A mutant that
# survives needs a test that kills it, or a comment at the mutated line arguing that it is
# equivalent (and then its line here removed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

MUTANTS=(
  "clahe-clip-limit+1|Sources/DeepCellKit/Imaging/CLAHE.swift|s/Int(max(clipLimit \* Double(elements), 1)))/Int(max(clipLimit * Double(elements), 1)) + 1)/|HistogramNormalizationTests"
  "clahe-round-half-away|Sources/DeepCellKit/Imaging/CLAHE.swift|s/\* 16383\.0)\.rounded(\.toNearestOrEven)/* 16383.0).rounded(.toNearestOrAwayFromZero)/|HistogramNormalizationTests"
  "hmaxima-default-0.3|Sources/DeepCellKit/Segment/DeepWatershed.swift|s/var maximaThreshold: Double = 0\.1$/var maximaThreshold: Double = 0.3/|DeepWatershedParityTests|ReferenceDefaultsTests"
  "hmaxima-default-0.11|Sources/DeepCellKit/Segment/DeepWatershed.swift|s/var maximaThreshold: Double = 0\.1$/var maximaThreshold: Double = 0.11/|DeepWatershedParityTests|ReferenceDefaultsTests"
  "swallowed-rule-0.6|Sources/DeepCellKit/Metrics/ObjectMetrics.swift|s/max(trueInPred, predInTrue) > 0\.5/max(trueInPred, predInTrue) > 0.6/|ObjectMetricsParityTests"
  "force-links-true-in-pred-0.6|Sources/DeepCellKit/Metrics/ObjectMetrics.swift|s/p\.forceEventLinks && trueInPred > 0\.5/p.forceEventLinks \&\& trueInPred > 0.6/|ObjectMetricsParityTests"
  "force-links-pred-in-true-0.6|Sources/DeepCellKit/Metrics/ObjectMetrics.swift|s/p\.forceEventLinks && predInTrue > 0\.5/p.forceEventLinks \&\& predInTrue > 0.6/|ObjectMetricsParityTests"
  "ctc-seg-majority-ge|Sources/DeepCellKit/Metrics/ObjectMetrics.swift|s/where 2 \* pair\.intersection > overlap/where 2 * pair.intersection >= overlap/|ObjectMetricsParityTests"
  "dummy-cost-exact-cutoff|Sources/DeepCellKit/Metrics/ObjectMetrics.swift|s/let dummy = (p\.cutoff1 + 1) - 1/let dummy = p.cutoff1/|ObjectMetricsParityTests"
  "img-as-uint-round-half-away|Sources/DeepCellKit/Imaging/CLAHE.swift|s/(x + 8_388_608) - 8_388_608/x.rounded(.toNearestOrAwayFromZero)/|HistogramNormalizationTests"
)

only=${1:-}
dir=${MUTATION_DIR:-.build/mutation}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
scratch=$dir/dc-tools
log=$dir/log
mkdir -p "$scratch/.build" "$log"

# Fields: name|file|sed|filter (the filter may itself contain '|').
field() { cut -d'|' -f"$2" <<<"$1"; }
filter_of() { cut -d'|' -f4- <<<"$1"; }

# 1. Sync the scratch copy with the tree (mutated files are restored by this too).
#    Unchanged files are left alone so that SwiftPM's incremental build stays valid.
while IFS= read -r -d '' f; do
  if [ -L "$root/$f" ]; then
    ln -sfn "$(readlink "$root/$f")" "$scratch/$f"
  elif [ ! -e "$root/$f" ]; then
    rm -f "$scratch/$f"
  elif ! cmp -s "$root/$f" "$scratch/$f"; then
    mkdir -p "$scratch/$(dirname "$f")"
    cp -p "$root/$f" "$scratch/$f"
  fi
done < <(git ls-files -co --exclude-standard -z)
for f in Package.resolved .build/checkouts .build/repositories .build/workspace-state.json; do
  [ -e "$root/$f" ] && [ ! -e "$scratch/$f" ] && cp -a "$root/$f" "$scratch/$f"
done
# Tests find ../shared and .oracle beside the package root.
[ -d "$root/../shared" ] && ln -sfn "$(cd "$root/../shared" && pwd)" "$dir/shared"
[ -e "$root/.oracle" ] && ln -sfn "$(readlink -f "$root/.oracle")" "$scratch/.oracle"

build() { swift build --build-tests --package-path "$scratch" >"$log/build-$1.txt" 2>&1; }
# Runs the filter; prints "TESTS FAILED_TESTS" (XCTest's summary line and failed cases).
run_tests() {
  local status=0
  swift test --skip-build --package-path "$scratch" --filter "$2" >"$log/test-$1.txt" 2>&1 ||
    status=$?
  local executed failed
  executed=$(grep -E "^Test Suite 'Selected tests' (passed|failed)" -A1 "$log/test-$1.txt" |
    grep -oE 'Executed [0-9]+ tests?' | tail -1 | grep -oE '[0-9]+' || true)
  failed=$(grep -cE "^Test Case '.*' failed \(" "$log/test-$1.txt" || true)
  echo "${executed:-?} ${failed:-?}"
  return $status
}

echo "mutation pass: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Tests || echo ' + uncommitted changes'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# 2. Baseline: the unmutated copy passes every filter used.
if ! build baseline; then
  echo "baseline does not build (see $log/build-baseline.txt)" >&2
  exit 2
fi
filters=$(for m in "${MUTANTS[@]}"; do filter_of "$m"; done | tr '\n' '|' | sed 's/|$//')
if ! counts=$(run_tests baseline "$filters"); then
  echo "baseline: tests fail without any mutant (see $log/test-baseline.txt): $counts" >&2
  exit 2
fi
echo "baseline: $(cut -d' ' -f1 <<<"$counts") tests, $(cut -d' ' -f2 <<<"$counts") failed"

status=0
killed=0
survived=0
for m in "${MUTANTS[@]}"; do
  name=$(field "$m" 1)
  file=$(field "$m" 2)
  expr=$(field "$m" 3)
  filter=$(filter_of "$m")
  [[ -z $only || $name == *"$only"* ]] || continue
  cp "$root/$file" "$scratch/$file"
  sed -i "$expr" "$scratch/$file"
  if cmp -s "$root/$file" "$scratch/$file"; then
    printf '%-30s pattern not found in %s\n' "$name" "$file"
    status=2
    continue
  fi
  if ! build "$name"; then
    printf '%-30s does not build (see %s)\n' "$name" "$log/build-$name.txt"
    cp "$root/$file" "$scratch/$file"
    status=2
    continue
  fi
  if counts=$(run_tests "$name" "$filter"); then
    verdict=SURVIVED
    survived=$((survived + 1))
    [ $status -eq 0 ] && status=1
  else
    verdict=killed
    killed=$((killed + 1))
  fi
  printf '%-30s %-8s %s of %s tests failed  (%s; --filter %s)\n' "$name" "$verdict" \
    "$(cut -d' ' -f2 <<<"$counts")" "$(cut -d' ' -f1 <<<"$counts")" "$file" "$filter"
  failing=$(grep -oE "^Test Case '[^']*' failed \(" "$log/test-$name.txt" |
    sed -E "s/^Test Case '([^']*)' failed \(/\1/" | paste -sd' ' || true)
  [ -z "$failing" ] || echo "    $failing"
  cp "$root/$file" "$scratch/$file"
done
echo "killed $killed, survived $survived"
exit $status
