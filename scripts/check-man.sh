#!/usr/bin/env bash
# Fails when a man page in man/ is not what the tool's argument parser generates now.
exec "$(dirname "$0")/generate-man.sh" --check
