#!/usr/bin/env bash
# Fails when any C++ file tracked by git differs from what clang-format (.clang-format) makes.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files --cached --others --exclude-standard '*.cc' '*.h')
[ -n "$files" ] || exit 0
if ! echo "$files" | xargs clang-format --dry-run -Werror 2>/tmp/arenite-format.log; then
  head -40 /tmp/arenite-format.log >&2
  echo "format-check: run 'make format' to fix the files above" >&2
  exit 1
fi
