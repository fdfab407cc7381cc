#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and AddressSanitizer into build-fuzz/, then runs each
# for FUZZ_SECONDS (default 20) from its seed corpus. Any crash fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DARENITE_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz -j "$(nproc)" >/dev/null
for target in build-fuzz/bin/fuzz_*; do
  name=$(basename "$target")
  corpus=$(mktemp -d)
  seeds="fuzz/corpus/${name#fuzz_}"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
  echo "fuzz: $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=0 "$corpus" 2>"$corpus.log" || { tail -50 "$corpus.log"; exit 1; }
  grep -E '^#[0-9]+.*DONE' "$corpus.log" | tail -1 || true
  rm -rf "$corpus" "$corpus.log"
done
