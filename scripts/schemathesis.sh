#!/usr/bin/env bash
# The conformance run: Schemathesis generates requests from openapi/openapi.json and sends them
# to a live `kyoten serve --demo` on a throwaway SQLite database, with every check on. Any
# failure (an undeclared status or content type, a body that does not match its schema, a 500,
# a schema-valid request refused …) fails the run.
#
#   bash scripts/schemathesis.sh [path/to/kyoten]      (default: target/debug/kyoten)
#
# It builds nothing: `cargo test` has built the binary. Schemathesis comes from .venv-test
# (scripts/test.sh installs tests/requirements.txt there); SCHEMATHESIS overrides it.
# KYOTEN_ST_MAX_EXAMPLES (default 100) bounds the test cases per operation and phase: about
# 6,000 requests as the kikan and a quarter of that as a consultation office, ~2 minutes on two
# cores. KYOTEN_ST_SEED (default 1) picks the generated cases; another seed explores others.
# Failures Schemathesis found before are replayed first from .schemathesis/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
binary=${1:-$target_dir/debug/kyoten}
schemathesis=${SCHEMATHESIS:-.venv-test/bin/schemathesis}
max_examples=${KYOTEN_ST_MAX_EXAMPLES:-100}
[ -x "$binary" ] || { echo "no kyoten binary at $binary (run cargo build first)" >&2; exit 2; }
[ -x "$schemathesis" ] || { echo "no schemathesis at $schemathesis (run scripts/test.sh)" >&2; exit 2; }

# shellcheck source=scripts/demo-server.sh
. scripts/demo-server.sh
work=$(mktemp -d)
trap 'stop_demo; rm -rf "$work"' EXIT

# actix's HTTP parser logs the malformed requests Schemathesis sends on purpose (and answers
# them 400): not kyoten's errors.
# --auth-failure-limit 0: Schemathesis's checks send requests without or with wrong keys on
# purpose, from one address, and the two passes together can reach the default limit (20 in a
# minute), after which every request is 429 and the checks fail for the wrong reason. The
# limit has its own tests (tests/api/rate_limits.rs).
RUST_LOG=info,actix_http::h1::dispatcher=off start_demo "$work" --auth-failure-limit 0

# The demo prints `export NAME=value   # comment` lines: CITY_KEY, KIKAN_KEY, HUB_KEY,
# OFFICE_KEY, FACILITY1_KEY … and REG. tests/schemathesis/schemathesis.toml reads them.
while read -r _ assignment _; do
  export "${assignment?}"
done < <(grep '^export ' "$work/keys")
export FACILITY1_ID
FACILITY1_ID=$(sed -n 's/^export FACILITY1_KEY=[^#]*# \([0-9]*\) .*/\1/p' "$work/keys")
: "${KIKAN_KEY:?} ${OFFICE_KEY:?} ${FACILITY1_KEY:?} ${REG:?} ${FACILITY1_ID:?}"

# One handoff, from the demo registration to the first facility, for the operations on a
# handoff to read (nothing Schemathesis generates composes a valid one). Sent by the demo
# registration's office, so that both passes may read it: the office as its sender, the kikan
# as a coordinator. (Schemathesis follows the link from POST /v1/handoffs to this one.)
export HANDOFF
HANDOFF=$(curl -fsS -X POST "$base/v1/handoffs" -H "Authorization: Bearer $OFFICE_KEY" \
  -H 'Content-Type: application/json' -d '{
  "registration_id": "'"$REG"'", "recipient": "'"$FACILITY1_ID"'", "purpose": "emergency_acceptance",
  "situation": {"kind": "caregiver_unavailable", "occurred_at": "'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'",
                "description": "主たる介護者が急病で入院した。", "urgency": "same_day"},
  "request": {"service_type": "short_stay", "start_on": "'"$(date -u -d '+9 hours' +%F)"'"}}' |
  sed -n 's/.*"handoff_id":"\([^"]*\)".*/\1/p')
: "${HANDOFF:?the demo handoff could not be created}"

# Two passes on the same server. The kikan's key reaches the most operations (see
# tests/schemathesis/schemathesis.toml); a shorter second pass with the consultation office's
# key covers the other side of the visibility rules: an office sees only the registrations it
# took, and 404 for the rest.
# Every check runs: all are on by default in Schemathesis 4, and the config file turns a few off
# for single operations, with the reason. (`--checks all` on the command line would override
# those per-operation settings.)
# One worker: with two, Hypothesis's lambda descriptions call ast.parse on two threads at once,
# which trips a CPython 3.11 bug ("AST constructor recursion depth mismatch"). The run is short.
run_pass() {
  local name=$1 examples=$2 started status=0
  export KYOTEN_ST_KEY=$3
  started=$(date +%s)
  SCHEMATHESIS_HOOKS="$PWD/tests/schemathesis/hooks.py" "$schemathesis" \
    --config-file tests/schemathesis/schemathesis.toml run openapi/openapi.json \
    --url "$base" \
    --max-examples "$examples" \
    --seed "${KYOTEN_ST_SEED:-1}" \
    --workers 1 \
    --no-color \
    --report junit --report-dir "${KYOTEN_ST_REPORT_DIR:-$work/report}/$name" || status=$?
  echo "schemathesis as the $name: exit $status after $(($(date +%s) - started)) s"
  return "$status"
}

status=0
run_pass kikan "$max_examples" "$KIKAN_KEY" || status=1
run_pass office "$(((max_examples + 3) / 4))" "$OFFICE_KEY" || status=1
if grep -aqE 'ERROR|panicked' "$work/server.log"; then
  echo "the server logged errors:" >&2
  grep -aE 'ERROR|panicked' "$work/server.log" | tail -20 >&2
  status=1
fi
exit "$status"
