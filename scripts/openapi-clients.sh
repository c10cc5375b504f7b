#!/usr/bin/env bash
# The OpenAPI document as an integrator's tools read it: openapi/openapi.json is linted by
# Redocly and Spectral (no error, no warning: every rule turned off says why in
# tests/openapi-clients/redocly.yaml and .spectral.yaml), then a Python client
# (openapi-python-client) and a TypeScript client (openapi-typescript + openapi-fetch, checked
# by tsc) are generated from it, and each calls every operation, typed, against a fresh
# `kyoten serve --demo` (tests/openapi-clients/plan.json says the order, keys and statuses).
#
#   bash scripts/openapi-clients.sh [path/to/kyoten]      (default: target/debug/kyoten)
#
# It builds nothing: `cargo test` has built the binary. The Node.js tools are installed from
# tests/openapi-clients/package-lock.json (npm ci), openapi-python-client from
# tests/requirements.txt into .venv-test (scripts/test.sh). About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
binary=${1:-$target_dir/debug/kyoten}
python=${KYOTEN_PYTHON:-$PWD/.venv-test/bin/python}
tools=tests/openapi-clients
[ -x "$binary" ] || { echo "no kyoten binary at $binary (run cargo build first)" >&2; exit 2; }
[ -x "$python" ] || { echo "no Python at $python (run scripts/test.sh)" >&2; exit 2; }
command -v npm >/dev/null || { echo "npm is missing: install the Debian packages nodejs and npm" >&2; exit 2; }

# npm ci only when the lock changed since the last install.
if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.installed-lock.json" 2>/dev/null; then
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$tools/package-lock.json" "$tools/node_modules/.installed-lock.json"
fi
bin="$PWD/$tools/node_modules/.bin"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

echo "== Redocly lint"
"$bin/redocly" lint openapi/openapi.json --config "$tools/redocly.yaml" --max-problems 50 2>&1 |
  grep -v '[║╔╚]' | sed '/^$/d'
# Redocly exits 0 on warnings: fail on any.
"$bin/redocly" lint openapi/openapi.json --config "$tools/redocly.yaml" --format=summary 2>&1 |
  grep -q '^warning\|^error' && { echo "Redocly reported warnings" >&2; exit 1; }

echo "== Spectral lint"
"$bin/spectral" lint openapi/openapi.json --ruleset "$tools/.spectral.yaml" --fail-severity=warn

# shellcheck source=scripts/demo-server.sh
. scripts/demo-server.sh
work=$(mktemp -d)
trap 'stop_demo; rm -rf "$work"' EXIT

echo "== openapi-python-client"
"$(dirname "$python")/openapi-python-client" generate --path openapi/openapi.json \
  --output-path "$work/python/kyoten_client" --meta none \
  --config "$tools/openapi-python-client.yaml" >"$work/python-generate.log" 2>&1 ||
  { cat "$work/python-generate.log" >&2; exit 1; }
# Any warning means a part of the document the client leaves out.
if grep -q 'WARNING\|Unable to\|will not be generated' "$work/python-generate.log"; then
  cat "$work/python-generate.log" >&2
  echo "openapi-python-client left parts of the document out" >&2
  exit 1
fi

echo "== openapi-typescript + tsc"
"$bin/openapi-typescript" openapi/openapi.json --output "$work/ts/schema.d.ts" >/dev/null
node "$tools/generate_calls.mjs" openapi/openapi.json "$tools/plan.json" "$work/ts/calls.ts"
cp "$tools/tsconfig.json" "$work/ts/"
ln -s "$PWD/$tools/node_modules" "$work/ts/node_modules"
"$bin/tsc" -p "$work/ts/tsconfig.json"

# A fresh demo for each client: the plan changes what it calls.
export RUST_LOG=warn,actix_http::h1::dispatcher=off

echo "== every operation through the Python client"
start_demo "$work/python-demo"
"$python" "$tools/call_python.py" "$work/python" openapi/openapi.json "$tools/plan.json" \
  "$base" "$work/python-demo/demo-keys.env"
stop_demo

echo "== every operation through the TypeScript client"
start_demo "$work/ts-demo"
node "$work/ts/out/calls.js" "$base" "$work/ts-demo/demo-keys.env"
stop_demo
