#!/usr/bin/env bash
# The README's run command: installs what it needs, then starts the whole
# local stack on 127.0.0.1 — the Worker (wrangler dev, :8787), a local
# signature-checking S3 with CORS and public reads (:9000), a development
# token issuer (:8788) and the demo and Uppy pages (:8789, :8789/uppy/) — and prints where each
# listens and a curl sequence to try. Ctrl-C stops everything.
# All settings are development-only (dev/dev.env); state lives in .local-stack/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WRANGLER_SEND_METRICS=false

scripts/ensure-tools.sh
exec node_modules/.bin/node dev/local-stack.mjs "$@"
