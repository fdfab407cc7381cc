#!/usr/bin/env bash
# Installs a folder's npm packages from its lock file, skipping the work when node_modules
# already matches the lock.
set -euo pipefail
dir=$1
cd "$(dirname "$0")/../$dir"
stamp=node_modules/.arenite-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
