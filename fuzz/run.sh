#!/usr/bin/env bash
# Fuzzing, bounded: runs each cargo-fuzz target (libFuzzer, nightly) for a
# fixed time from the committed seed corpus, then prints executions and
# coverage per target. A crash stops the script (exit 1) with the input
# copied to fuzz/regressions/<target>/, where tests/fuzz_corpus.rs replays it
# on stable in every test run once committed.
#   fuzz/run.sh [seconds-per-target (default 60)] [target ...]
# Installs what it needs (idempotent): the nightly toolchain and cargo-fuzz.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(upload_body file_name jwt canonical confirm)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  nice cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# No sanitizer: the crate forbids `unsafe`; what is hunted here is panics,
# hangs and broken invariants, and uninstrumented runs are several times faster.
fuzz=(cargo +nightly fuzz)
opts=(--sanitizer none --release)
echo "==> building fuzz targets"
if ! nice "${fuzz[@]}" build "${opts[@]}" >"${TMPDIR:-/tmp}/fuzz-build.log" 2>&1; then
  cat "${TMPDIR:-/tmp}/fuzz-build.log"
  echo "fuzz: the targets do not build" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=()
for t in "${targets[@]}"; do
  echo "==> fuzzing $t for ${seconds}s"
  # Only this run's findings: stale artifacts of fixed crashes are not news.
  rm -rf "fuzz/artifacts/$t"
  mkdir -p "$work/$t" "fuzz/artifacts/$t"
  log="$work/$t.log"
  # New inputs go to the scratch corpus; the committed seeds are only read.
  if ! nice "${fuzz[@]}" run "${opts[@]}" "$t" "$work/$t" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1; then
    tail -40 "$log"
    mkdir -p "fuzz/regressions/$t"
    found=false
    for crash in fuzz/artifacts/"$t"/*; do
      [ -f "$crash" ] || continue
      found=true
      cp "$crash" "fuzz/regressions/$t/"
      # Printed too, so a CI log alone is enough to reproduce it.
      echo "fuzz: $t: input kept as fuzz/regressions/$t/$(basename "$crash") (base64: $(base64 -w0 "$crash"))"
    done
    $found || echo "fuzz: $t failed without a crash input (see the log above)"
    exit 1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "$work/$t" -type f | wc -l)
  summary+=("$(printf '%-12s %10s execs  %6s edges (cov)  %6s features  %5s new corpus units' "$t" "$execs" "$cov" "$ft" "$corpus")")
done
echo "==> fuzz summary (${seconds}s per target, no crashes)"
printf '%s\n' "${summary[@]}"
