#!/usr/bin/env bash
# `make bench`: runs every benchmark and prints its table. Needs what scripts/install-deps.sh
# installs (wrk, nginx-light) and a built binary (make bench builds first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/healthz.sh
bash bench/items.sh
bash scripts/npm-install.sh tests
node bench/oauth_bearer.mjs 1000 5
bash bench/oauth_token.sh
bash bench/extract.sh
node bench/webhooks.mjs 20000 10
