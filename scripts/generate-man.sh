#!/usr/bin/env bash
# Regenerates man/dc-*.1 from the tools' argument parsers with swift-argument-parser's
# generate-manual tool (what its generate-manual plugin runs; called directly so that only
# the dc-* tools are asked, not the benchmark drivers).
#   scripts/generate-man.sh            write man/
#   scripts/generate-man.sh --check    fail if man/ differs from the parsers (the .Dd date
#                                      line is ignored), or a tool has no page
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
check=0
[ "${1:-}" = "--check" ] && check=1

tools=$(grep -o '"dc-[a-z]*"' Package.swift | tr -d '"' | grep -v '^dc-tools$' | sort -u)
"$SWIFT" build --manifest-cache none --product generate-manual >/dev/null
for tool in $tools; do "$SWIFT" build --manifest-cache none --product "$tool" >/dev/null; done
bin=$("$SWIFT" build --manifest-cache none --show-bin-path)
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
status=0
for tool in $tools; do
  "$bin/generate-manual" "$bin/$tool" --output-directory "$generated" >/dev/null
  page="$generated/$tool.1"
  [ -f "$page" ] || { echo "no page generated for $tool" >&2; status=1; continue; }
  if [ "$check" = 1 ]; then
    if [ ! -f "man/$tool.1" ]; then
      echo "man/$tool.1 is missing: run scripts/generate-man.sh" >&2
      status=1
    elif ! diff -u -I '^\.Dd ' "man/$tool.1" "$page" >&2; then
      echo "man/$tool.1 is out of date: run scripts/generate-man.sh" >&2
      status=1
    fi
  else
    mkdir -p man
    cp "$page" "man/$tool.1"
    echo "wrote man/$tool.1"
  fi
done
exit $status
