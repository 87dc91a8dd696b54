#!/usr/bin/env bash
# API fuzzing: Schemathesis against the run command's stack (`wrangler dev`
# and the rest of dev/local-stack.mjs), driven by docs/openapi.yaml.
#
#   scripts/api-fuzz.sh          (scripts/test.sh runs it; needs
#                                 scripts/ensure-tools.sh --test first)
#
# - Starts the local stack on free ports with its own state directory, so a
#   developer's `scripts/dev.sh` keeps running undisturbed. RATE_LIMIT_MAX is
#   raised for this run (WORKER_VARS) so the fuzzer is not answered 429 after
#   20 requests; everything else is dev/dev.env.
# - Checks that a token from the development issuer gets a URL, then runs
#   Schemathesis with a valid `Authorization: Bearer` token on every request
#   (scripts/api-fuzz-hooks.py; Schemathesis also sends requests without it
#   and with a made-up one by itself). Checks: all of Schemathesis's, except
#   the one excluded below; so no 5xx, every status, content type, header and
#   body as documented, 405 + Allow for undocumented methods, no success
#   without valid credentials, no schema-violating body accepted, and every
#   response within 10 s (max_response_time, part of `all`).
# - Bounded: API_FUZZ_SECONDS (default 60) of generation; a request with no
#   answer in 30 s fails the run as a hang; the whole Schemathesis run is
#   killed after API_FUZZ_SECONDS + 120 s.
# - Then /healthz must still answer 200 and the stack must still be running.
# - The stack is always stopped. On failure its log and Schemathesis's report
#   are kept and their directory printed.
#
# `wrangler dev` rebuilds and reloads the Worker when a file under src/
# changes: editing the Rust sources during a run stalls requests for the
# rebuild and can fail it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WRANGLER_SEND_METRICS=false

fuzz_seconds=${API_FUZZ_SECONDS:-60}
venv="$root/.tools/venv"
st="$venv/bin/schemathesis"
node="$root/node_modules/.bin/node"

die() { printf 'api-fuzz: %s\n' "$*" >&2; exit 1; }
[ -x "$st" ] || die "Schemathesis missing: run scripts/ensure-tools.sh --test"
[ -x "$node" ] || die "node_modules missing: run scripts/ensure-tools.sh"
st_version=$("$st" --version | sed 's/.* //')

state=$(mktemp -d "${TMPDIR:-/tmp}/upload-signer-fuzz-XXXXXX")
stack_pid=""
fuzz_pid=""
ok=false

stop_stack() {
  [ -n "$stack_pid" ] || return 0
  # SIGTERM is the stack's Ctrl-C path: it stops wrangler/workerd, s3s-fs and
  # the servers it started (each in its own process group), then exits.
  kill -TERM "$stack_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$stack_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$stack_pid" 2>/dev/null; then
    kill -KILL "$stack_pid" 2>/dev/null || true
    # The stack starts each server in a process group of its own (wrangler
    # with workerd under it); a killed parent cannot stop them, so stop every
    # group whose leader's command line names this run's state directory.
    own_pgid=$(ps -o pgid= -p $$ | tr -d ' ')
    for pid in $(pgrep -f "$state" || true); do
      pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')
      # Group leaders only (the stack's detached servers), never our group.
      [ "$pgid" = "$pid" ] && [ "$pgid" != "$own_pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null || true
    done
  fi
  wait "$stack_pid" 2>/dev/null || true
  stack_pid=""
}
cleanup() {
  # Schemathesis runs under `timeout`, which passes the signal on to it.
  if [ -n "$fuzz_pid" ]; then
    kill -TERM "$fuzz_pid" 2>/dev/null || true
    wait "$fuzz_pid" 2>/dev/null || true
  fi
  stop_stack
  if $ok; then
    rm -rf "$state"
  else
    printf 'api-fuzz: stack log and Schemathesis report kept in %s\n' "$state" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Four free loopback ports (the browser test picks its own the same way).
read -r worker_port s3_port issuer_port demo_port < <("$venv/bin/python" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
[[ "${demo_port:-}" =~ ^[0-9]+$ ]] || die "could not pick free ports"
worker="http://127.0.0.1:$worker_port"
issuer="http://127.0.0.1:$issuer_port"
upload="$worker/api/v1/s3/generatePreSignedURL"

printf '==> starting the local stack (state and log in %s)\n' "$state"
WORKER_PORT=$worker_port S3_PORT=$s3_port ISSUER_PORT=$issuer_port DEMO_PORT=$demo_port \
  LOCAL_STACK_DIR="$state/stack" WORKER_VARS='{"RATE_LIMIT_MAX":"1000000"}' \
  "$node" dev/local-stack.mjs >"$state/stack.log" 2>&1 &
stack_pid=$!
# The stack waits up to 180 s for the Worker itself and exits if it fails;
# wrangler runs the Worker build first (incremental after scripts/test.sh's).
deadline=$((SECONDS + 600))
until grep -q '^==> local stack ready' "$state/stack.log"; do
  if ! kill -0 "$stack_pid" 2>/dev/null; then
    tail -n 40 "$state/stack.log" >&2
    die "the local stack exited before it was ready"
  fi
  [ "$SECONDS" -lt "$deadline" ] || { tail -n 40 "$state/stack.log" >&2; die "the local stack was not ready in 600 s"; }
  sleep 1
done
curl -sf --max-time 10 "$worker/healthz" >/dev/null || die "$worker/healthz does not answer 200"

# A valid token must get a URL: otherwise every request would be a documented
# 401 and the fuzzing would prove little.
token=$(curl -sf --max-time 10 "$issuer/token?sub=user_fuzz") || die "the development issuer gave no token"
status=$(curl -s -o "$state/sanity.json" -w '%{http_code}' --max-time 30 "$upload" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"type":"profile","fileName":"sanity.png"}')
[ "$status" = 200 ] || { cat "$state/sanity.json" >&2; echo >&2; die "a valid token got $status, not 200"; }

requests_before=$(grep -cE '^\[worker\] \[wrangler:info\] [A-Z]+ /' "$state/stack.log" || true)
printf '==> Schemathesis %s: %s s against %s\n' "$st_version" "$fuzz_seconds" "$worker"
started=$SECONDS
rc=0
# Run from the state directory: Schemathesis and Hypothesis write caches
# (.schemathesis/, .hypothesis/) into the working directory.
# Excluded check:
#   positive_data_acceptance — expects a 2xx for every schema-valid body, but
#     the upload policy (types, extensions, the extension's MIME type, size
#     limits) is deployment configuration (UPLOAD_POLICY) and not part of the
#     document, so a schema-valid body such as {"type":"x","fileName":"y"} is
#     rightly refused with a documented 400. Its mirror,
#     negative_data_rejection, stays on.
# In the background with `wait`, so a signal to this script stops it at once.
(
  cd "$state"
  API_FUZZ_ISSUER=$issuer SCHEMATHESIS_HOOKS="$root/scripts/api-fuzz-hooks.py" \
    exec timeout --kill-after=10 $((fuzz_seconds + 120)) nice "$st" run "$root/docs/openapi.yaml" \
    --url "$worker" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-time "$fuzz_seconds" --max-examples 100 \
    --workers 2 --request-timeout 30 \
    --generation-database none --no-color \
    --report ndjson,junit --report-dir "$state/report"
) &
fuzz_pid=$!
wait "$fuzz_pid" || rc=$?
fuzz_pid=""
elapsed=$((SECONDS - started))

# "Keeps answering": the stack is still up and /healthz still answers 200.
alive=true
kill -0 "$stack_pid" 2>/dev/null || alive=false
health=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$worker/healthz" || true)

requests=$(($(grep -cE '^\[worker\] \[wrangler:info\] [A-Z]+ /' "$state/stack.log" || true) - requests_before))
cases=$("$venv/bin/python" - "$state"/report/ndjson-*.ndjson <<'EOF' 2>/dev/null || echo "?"
import json, sys
total = 0
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        if "ScenarioFinished" in event:
            total += len(event["ScenarioFinished"]["recorder"].get("cases", {}))
print(total)
EOF
)
# Which answers the signer gave: 200s by `data.method` (the POST form and the
# PUT URL both reached), read from Schemathesis's recorded responses.
signed=$("$venv/bin/python" - "$state"/report/ndjson-*.ndjson <<'EOF' 2>/dev/null || echo "?"
import base64, json, sys
counts = {}
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        if "ScenarioFinished" not in event:
            continue
        for interaction in event["ScenarioFinished"]["recorder"].get("interactions", {}).values():
            response = interaction.get("response") or {}
            if response.get("status_code") != 200:
                continue
            try:
                content = base64.b64decode(response["content"]["$base64"])
                method = json.loads(content)["data"]["method"]
            except Exception:
                continue
            counts[method] = counts.get(method, 0) + 1
print(", ".join(f"{n} {m}" for m, n in sorted(counts.items())) or "none")
EOF
)

if [ "$rc" -eq 0 ] && $alive && [ "$health" = 200 ]; then
  ok=true
  printf 'api-fuzz: %s test cases, %s requests answered by the Worker in %s s (Schemathesis %s): no 5xx, every response as documented, /healthz still 200; signed answers: %s\n' \
    "$cases" "$requests" "$elapsed" "$st_version" "$signed"
  exit 0
fi
printf 'api-fuzz: FAILED after %s test cases, %s requests, %s s (Schemathesis %s): schemathesis exit %s%s, stack %s, /healthz %s\n' \
  "$cases" "$requests" "$elapsed" "$st_version" "$rc" "$([ "$rc" -ge 124 ] && echo " (timed out)")" \
  "$($alive && echo running || echo "gone")" "$health" >&2
exit 1
