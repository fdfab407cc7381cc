#!/usr/bin/env bash
# `make run`: serves a demo workspace on https://localhost:8443 from ./data/demo, made on the
# first run and kept afterwards. The admin login is printed at every start. Webhooks may
# target receivers on this machine (loopback, plain http), as a first walk needs.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${ARENITE_DEMO_DIR:-data/demo}
mkdir -p "$(dirname "$data")"
echo "arenite: serving the demo workspace from $data; the self-signed certificate is $data/tls/cert.pem" >&2
echo "arenite: Workspace Settings in the browser: https://localhost:8443/settings" >&2
exec build/bin/arenite serve --data-dir "$data" --listen 127.0.0.1:8443 --demo \
  --webhook-allow-network 127.0.0.0/8 --webhook-allow-http
