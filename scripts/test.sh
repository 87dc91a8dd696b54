#!/usr/bin/env bash
# The README's test command: installs what it needs (scripts/ensure-tools.sh
# --test), then runs every check and test. Exits non-zero on the first failure.
#
#   1. cargo fmt --check
#   2. cargo clippy -D warnings, native (all targets) and wasm32 (the Worker)
#   3. cargo test: unit tests, the AWS SigV4 vectors, the presigner
#      against a real signature-verifying S3 server (s3s-fs), property
#      tests, and the committed fuzz corpora replayed
#   3b. fuzzing: each cargo-fuzz target for FUZZ_SECONDS (default 15) from
#      its seed corpus (fuzz/run.sh; nightly)
#   4. build the Worker (scripts/build-worker.sh) and bundle it offline with
#      `wrangler deploy --dry-run`, reporting its size
#   5. the Miniflare end-to-end suite against that build (tests/e2e)
#   6. API fuzzing: Schemathesis against `wrangler dev` (the run command's
#      stack) from docs/openapi.yaml, bounded to ~60 s (scripts/api-fuzz.sh)
#   7. the browser test: the whole local stack (the run command's) driven
#      through the demo and Uppy pages in Debian's Chromium (tests/e2e/browser)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WRANGLER_SEND_METRICS=false
export CARGO_TERM_COLOR=never

# Each step is stamped with the minutes:seconds since the start, so a slow
# step shows in the CI log.
step() { printf '\n==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "installing missing tools"
scripts/ensure-tools.sh --test

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, all targets)"
nice cargo clippy --all-targets --locked -- -D warnings

step "cargo clippy (wasm32, the Worker)"
nice cargo clippy --target wasm32-unknown-unknown --lib --locked -- -D warnings

step "cargo test (unit, SigV4 vectors, real S3 server, properties, fuzz corpora)"
nice cargo test --locked --no-fail-fast

step "fuzzing: ${FUZZ_SECONDS:-15} s per cargo-fuzz target (fuzz/run.sh)"
fuzz/run.sh "${FUZZ_SECONDS:-15}"

step "build the Worker"
scripts/build-worker.sh

step "wrangler deploy --dry-run (offline bundle)"
rm -rf dist
npx --no-install wrangler deploy --dry-run --outdir dist
wasm=$(find dist -name '*.wasm' | head -n 1)
[ -n "$wasm" ] || { echo "no wasm in dist/" >&2; exit 1; }
printf 'Worker wasm: %s bytes raw, %s bytes gzip -9; index.js: %s bytes\n' \
  "$(wc -c <"$wasm")" "$(gzip -9c "$wasm" | wc -c)" "$(wc -c <dist/index.js)"

step "Miniflare end-to-end suite"
(cd tests/e2e && npm test)

step "API fuzzing: Schemathesis against wrangler dev (docs/openapi.yaml)"
scripts/api-fuzz.sh

step "browser test: local stack + demo and Uppy pages in Chromium (screenshots: tests/e2e/artifacts/)"
(cd tests/e2e && npm run test:browser)

step "all tests passed"
