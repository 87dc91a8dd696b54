#!/usr/bin/env bash
# Installs everything the build, the dev server and the tests need, and skips
# whatever is already there at the right version, so running it twice is cheap.
#
#   scripts/ensure-tools.sh          build + local-stack tools
#   scripts/ensure-tools.sh --test   also the test-only tools (e2e npm packages, Chromium,
#                                    Schemathesis in .tools/venv)
#
# Only package registries are used (crates.io, npm, PyPI, apt); nothing is downloaded
# from GitHub. First run on 2 cores: ~15 min, almost all of it compiling
# worker-build, wasm-bindgen-cli and s3s-fs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

WORKER_BUILD_VERSION=0.8.7
S3S_FS_VERSION=0.14.1
# Schemathesis (PyPI) for the API fuzzing, pinned with its dependencies in
# scripts/api-fuzz-requirements.txt.
SCHEMATHESIS_REQUIREMENTS=scripts/api-fuzz-requirements.txt
SCHEMATHESIS_VERSION=$(sed -n 's/^schemathesis==//p' "$SCHEMATHESIS_REQUIREMENTS")
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock
# (Cargo.toml pins it with "=", so the lock cannot drift from it silently).
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

with_test=false
[ "${1:-}" = "--test" ] && with_test=true

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$cargo_bin:$PATH"

# Stamped with minutes:seconds since this script started (compiles are slow).
say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
die() { printf 'ensure-tools: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
command -v rustup >/dev/null || die "rustup not found: the wasm32 target is installed through it"
command -v npm >/dev/null || die "npm not found: install Node.js (20+) and npm"
[ -n "$WASM_BINDGEN_VERSION" ] || die "no wasm-bindgen version in Cargo.lock"
[ -n "$SCHEMATHESIS_VERSION" ] || die "no schemathesis pin in $SCHEMATHESIS_REQUIREMENTS"

# --- Rust components and target ------------------------------------------
installed_components=$(rustup component list --installed)
for component in rustfmt clippy; do
  if ! grep -q "^$component" <<<"$installed_components"; then
    say "rustup component add $component"
    rustup component add "$component"
  fi
done
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# --- cargo-installed binaries ----------------------------------------------
# ensure_cargo_bin BINARY VERSION CRATE [cargo install flags...]
# Skips when `BINARY --version` already reports VERSION.
ensure_cargo_bin() {
  local bin=$1 version=$2 crate=$3
  shift 3
  if [ -x "$cargo_bin/$bin" ] && "$cargo_bin/$bin" --version 2>/dev/null | grep -qw "$version"; then
    return
  fi
  say "cargo install $crate $version (compiles from source; several minutes)"
  nice cargo install "$crate" --version "=$version" "$@"
}
ensure_cargo_bin worker-build "$WORKER_BUILD_VERSION" worker-build --locked
# No --locked: wasm-bindgen-cli's own lockfile does not resolve.
ensure_cargo_bin wasm-bindgen "$WASM_BINDGEN_VERSION" wasm-bindgen-cli
# The signature-checking S3 server of the local stack and of the tests.
ensure_cargo_bin s3s-fs "$S3S_FS_VERSION" s3s-fs --features binary --locked

# --- npm packages ------------------------------------------------------------
# ensure_npm DIR: `npm ci` unless node_modules matches package-lock.json.
ensure_npm() {
  local dir=$1 stamp="$1/node_modules/.upload-signer-lock.sha256" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  say "npm ci in ${dir#"$root"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}
ensure_npm "$root/."
if $with_test; then
  ensure_npm "$root/tests/e2e"
  # Debian's Chromium for the browser test (playwright-core drives it; a
  # browser download of Playwright's own cannot work here).
  if [ ! -x /usr/bin/chromium ]; then
    command -v apt-get >/dev/null || die "Chromium missing and no apt-get to install it"
    say "apt-get install chromium"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  # Schemathesis for scripts/api-fuzz.sh, in a project-local venv (.tools/venv,
  # gitignored). Skipped when the venv already holds exactly the pinned set
  # (stamp = hash of the requirements file) and reports the pinned version.
  venv="$root/.tools/venv"
  stamp="$venv/.upload-signer-requirements.sha256"
  want=$(sha256sum "$SCHEMATHESIS_REQUIREMENTS" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] ||
    [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    command -v python3 >/dev/null || die "python3 not found: Schemathesis (API fuzzing) needs Python 3.10+"
    say "pip install schemathesis==$SCHEMATHESIS_VERSION into .tools/venv"
    # --clear: a venv left by another Python (or half-built) is rebuilt.
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      --requirement "$SCHEMATHESIS_REQUIREMENTS"
    echo "$want" >"$stamp"
  fi
fi

say "tools ready: worker-build $WORKER_BUILD_VERSION, wasm-bindgen $WASM_BINDGEN_VERSION, s3s-fs $S3S_FS_VERSION$($with_test && echo ", $(/usr/bin/chromium --version 2>/dev/null), Schemathesis $SCHEMATHESIS_VERSION")"
