#!/usr/bin/env bash
# Builds the Worker: build/index.js + its wasm (what wrangler.toml's `main`
# points at). wrangler runs this as its [build] command; scripts/test.sh runs
# it before the Miniflare suite.
#
# worker-build never looks on PATH for its helpers and would try to download
# them from GitHub (unreachable here), so all three are named explicitly:
# wasm-bindgen from cargo (same version as Cargo.lock, see
# scripts/ensure-tools.sh), wasm-opt and esbuild from node_modules.
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

export WASM_BINDGEN_BIN="$cargo_bin/wasm-bindgen"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
nice worker-build --release
# 110 KB of function names that worker-build keeps (wasm-opt --debuginfo).
node scripts/strip-wasm-names.mjs build/index_bg.wasm
