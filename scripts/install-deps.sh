#!/usr/bin/env bash
# Installs the Debian 12 packages arenite builds, runs and tests with, skipping those
# already present. Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev
  libboost1.81-dev libssl-dev libsodium-dev libcurl4-openssl-dev nlohmann-json3-dev
  libsqlite3-dev sqlite3 libzip-dev zlib1g-dev libspdlog-dev libfmt-dev libcli11-dev libjemalloc-dev liburing-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  curl jq openssl unzip zip python3 wrk nginx-light chromium time
)
# Node.js may come from elsewhere than Debian (with npm inside); take Debian's only when absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
