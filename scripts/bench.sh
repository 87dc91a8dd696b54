#!/usr/bin/env bash
# Benchmarks (docs/benchmarks.md), one command:
#   1. native micro-benchmarks (criterion, bench/micro): the presigner vs
#      rusty-s3 and aws-sigv4 on the same PUT, RS256 verification, the
#      verified-token cache, one rate-limit decision;
#   2. end to end in workerd (bench/e2e): upload-signer vs a reference
#      JavaScript Worker (jose + aws4fetch + a JS Durable Object), both in
#      Miniflare on loopback, loaded alternately by wrk; req/s, p50/p99 and
#      start-to-first-response, as ratios.
#   3. (--ceiling, or all) where the end-to-end time goes: the runtime's fixed
#      cost (GET /healthz), each Worker with and without its Durable Object
#      hop, and the best ratio reachable in this harness.
#   scripts/bench.sh [--micro | --e2e | --ceiling]
# The peers live only under bench/ (own lockfiles), never in the Worker's
# build or CI. Read ratios from one run: this machine is noisy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WRANGLER_SEND_METRICS=false
mode=${1:-all}

if [ "$mode" = all ] || [ "$mode" = --micro ]; then
  echo "==> native micro-benchmarks (bench/micro)"
  (cd bench/micro && nice cargo bench --locked)
fi

if [ "$mode" = all ] || [ "$mode" = --e2e ] || [ "$mode" = --ceiling ]; then
  echo "==> end-to-end benchmark in workerd (bench/e2e)"
  scripts/ensure-tools.sh
  if ! command -v wrk >/dev/null; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk >/dev/null
  fi
  scripts/build-worker.sh
  (cd bench/e2e && npm ci --no-audit --no-fund --loglevel=error)
  node_modules/.bin/esbuild bench/e2e/reference/worker.js --bundle --format=esm --platform=browser \
    --conditions=worker,browser --minify --outfile=bench/e2e/build/reference.js --log-level=warning
  printf 'reference bundle: %s bytes, %s gzip -9\n' "$(wc -c <bench/e2e/build/reference.js)" "$(gzip -9c bench/e2e/build/reference.js | wc -c)"
  if [ "$mode" != --ceiling ]; then
    (cd bench/e2e && node_modules/.bin/node run.mjs 2>/dev/null)
  fi
  if [ "$mode" != --e2e ]; then
    echo "==> where the end-to-end time goes (bench/e2e/ceiling.mjs)"
    (cd bench/e2e && node_modules/.bin/node ceiling.mjs 2>/dev/null)
  fi
fi
