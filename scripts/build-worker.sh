#!/usr/bin/env bash
# Builds the Worker: build/index.js + its wasm (what wrangler.toml's `main`
# points at). wrangler runs this as its [build] command; scripts/test.sh runs
# it before the Miniflare suite.
#
# worker-build never looks on PATH for its helpers and would try to download
# them from GitHub (unreachable here), so all three are named explicitly:
# wasm-bindgen from cargo (same version as Cargo.lock, see
# scripts/ensure-tools.sh), wasm-opt and esbuild from node_modules.
#
# wrangler runs this before every `deploy --dry-run` and `wrangler dev`, and
# wasm-opt alone takes ~30 s, so a build whose inputs are unchanged since the
# last one (the fingerprint below, kept in build/.inputs) is skipped.
# `rm -rf build` forces a fresh one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$root/node_modules/.bin:$cargo_bin:$PATH"

for tool in worker-build wasm-bindgen; do
  command -v "$tool" >/dev/null || { echo "build-worker: $tool missing; run scripts/ensure-tools.sh" >&2; exit 1; }
done
for tool in wasm-opt esbuild; do
  [ -x "$root/node_modules/.bin/$tool" ] || { echo "build-worker: node_modules/.bin/$tool missing; run scripts/ensure-tools.sh" >&2; exit 1; }
done

fingerprint() {
  {
    find src -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock scripts/build-worker.sh scripts/strip-wasm-names.mjs
    worker-build --version
    wasm-bindgen --version
    printf 'RUSTFLAGS=%s\n' "${RUSTFLAGS:-}"
  } | sha256sum | cut -d' ' -f1
}
inputs=$(fingerprint)
if [ -f build/index.js ] && [ -f build/index_bg.wasm ] && [ "$(cat build/.inputs 2>/dev/null)" = "$inputs" ]; then
  echo "build-worker: build/ is up to date with src/, Cargo.lock and the tools; not rebuilding"
  exit 0
fi
rm -f build/.inputs

export WASM_BINDGEN_BIN="$cargo_bin/wasm-bindgen"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
nice worker-build --release
# 110 KB of function names that worker-build keeps (wasm-opt --debuginfo).
node scripts/strip-wasm-names.mjs build/index_bg.wasm
echo "$inputs" >build/.inputs
