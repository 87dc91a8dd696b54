#!/usr/bin/env bash
# The README's run command: installs what the build needs, then builds the
# Worker and serves it with `wrangler dev` on http://127.0.0.1:8787, using the
# development-only settings in dev/dev.env and local KV / Durable Object state
# in .wrangler/state. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WRANGLER_SEND_METRICS=false

scripts/ensure-tools.sh

echo "==> wrangler dev on http://127.0.0.1:8787 (try: curl http://127.0.0.1:8787/healthz)"
exec npx --no-install wrangler dev --ip 127.0.0.1 --port 8787 \
  --env-file dev/dev.env --persist-to .wrangler/state "$@"
