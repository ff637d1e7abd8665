#!/usr/bin/env bash
# Regenerates man/dc-*.1 from the tools' argument parsers with swift-argument-parser's
# generate-manual plugin (one page per dc-* executable; benchmark executables are skipped).
#   scripts/generate-man.sh            write man/
#   scripts/generate-man.sh --check    fail if man/ differs from the parsers (the .Dd date
#                                      line is ignored), or a tool has no page
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
check=0
[ "${1:-}" = "--check" ] && check=1

"$SWIFT" package --manifest-cache none generate-manual >/dev/null
generated=.build/plugins/GenerateManual/outputs
status=0
for dir in "$generated"/dc-*/; do
  tool=$(basename "$dir")
  page="$dir/$tool.1"
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
