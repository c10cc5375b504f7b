#!/usr/bin/env bash
# Reference points for BENCHMARKS.md: validates the same NDJSON file of registrations against
# kyoten's published schemas (all formats asserted, schema checks only) with python-jsonschema
# and with Ajv, each in one process, then with `kyoten validate` (schema + domain rules) on one
# core and on all cores, and prints one JSON line per run on stdout.
#
# usage: scripts/bench-compare/run.sh FILE.ndjson
#   e.g. python3 scripts/gen-ndjson.py 100000 target/bench/registrations-100k.ndjson
#        scripts/bench-compare/run.sh target/bench/registrations-100k.ndjson
# Needs python3 (with venv) and node/npm; installs into .venv/ and node_modules/ here.
set -euo pipefail
file=$(realpath "${1:?usage: run.sh FILE.ndjson}")
cd "$(dirname "$0")"

# Installs go to stderr so that stdout carries only the results.
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv >&2; fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt >&2
npm ci --no-audit --no-fund --loglevel=error >&2

.venv/bin/python validate_jsonschema.py "$file"
node validate_ajv.mjs "$file"

# kyoten itself, in the same run (release build; one core, then every core).
kyoten_run() {
  local threads=$1 label=$2 start end out
  start=$(date +%s.%N)
  out=$(RAYON_NUM_THREADS=$threads ../../target/release/kyoten validate "$file" | tail -n 1 || true)
  end=$(date +%s.%N)
  awk -v l="$label" -v s="$start" -v e="$end" -v o="$out" 'BEGIN {
    split(o, w, " "); n = w[1]; inv = w[5];
    printf "{\"tool\":\"%s\",\"documents\":%d,\"invalid\":%d,\"seconds\":%.3f,\"documents_per_second\":%.1f}\n", l, n, inv, e - s, n / (e - s) }'
}
(cd ../.. && cargo build --release --quiet --bin kyoten) >&2
kyoten_run 1 "kyoten-1-core"
kyoten_run "$(nproc)" "kyoten-$(nproc)-cores"
