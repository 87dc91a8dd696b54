#!/usr/bin/env bash
# Native micro-benchmarks (criterion): the presigner vs rusty-s3 and
# aws-sigv4 on the same PUT, RS256 verification, the verified-token cache,
# one rate-limit decision. Results: bench/micro/target/criterion/; the
# numbers in docs/benchmarks.md come from this command. The peers live only
# in bench/micro (its own lockfile), never in the Worker's build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd bench/micro
nice cargo bench --locked "$@"
