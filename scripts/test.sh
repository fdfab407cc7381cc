#!/usr/bin/env bash
# `make test`: every check, in order of cost. Stops at the first failing stage and prints a
# closing line "tests: N passed, N failed" counted over the unit and integration runners.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build}
log_dir=$(mktemp -d)
passed=0
failed=0

stage() { printf '\n== %s\n' "$*"; }
finish() {
  printf '\ntests: %d passed, %d failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ] && [ "${1:-0}" -eq 0 ]
  exit $?
}

stage "format (clang-format, .clang-format)"
if ! bash scripts/format-check.sh; then
  failed=$((failed + 1))
  finish 1
fi

stage "unit tests (gtest)"
"$build/bin/arenite_unit_tests" --gtest_brief=1 --gtest_output="json:$log_dir/unit.json"
unit_rc=$?
read -r unit_pass unit_fail < <(node -e '
  const r = require(process.argv[1]);
  console.log(r.tests - r.failures - (r.disabled || 0), r.failures);' "$log_dir/unit.json" \
  2>/dev/null || echo "0 1")
passed=$((passed + unit_pass))
failed=$((failed + unit_fail))
[ "$unit_rc" -eq 0 ] || { [ "$failed" -gt 0 ] || failed=1; finish 1; }

stage "test clients (npm)"
bash scripts/npm-install.sh tests || { failed=$((failed + 1)); finish 1; }

stage "integration tests (node --test, real server over HTTPS)"
node --test --test-concurrency=2 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$log_dir/integration.tap" \
  tests/integration/*.test.mjs
int_rc=$?
int_pass=$(grep -E '^# pass ' "$log_dir/integration.tap" | awk '{print $3}' | tail -1)
int_fail=$(grep -E '^# fail ' "$log_dir/integration.tap" | awk '{print $3}' | tail -1)
passed=$((passed + ${int_pass:-0}))
failed=$((failed + ${int_fail:-0}))
[ "$int_rc" -eq 0 ] || { [ "$failed" -gt 0 ] || failed=1; finish 1; }

stage "API document (redocly lint docs/openapi.yaml)"
if ! (cd tests && npx --no-install redocly lint --format=stylish "$root/docs/openapi.yaml"); then
  failed=$((failed + 1))
  finish 1
fi
passed=$((passed + 1))

stage "fuzz targets (libFuzzer with AddressSanitizer, bounded time)"
if ! bash scripts/fuzz.sh; then
  failed=$((failed + 1))
  finish 1
fi
passed=$((passed + 1))

finish 0
