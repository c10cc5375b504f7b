#!/usr/bin/env bash
# Throughput of POST /v1/handoffs (compose from the stored registration, validate, sign as JWS
# and as XMLDSig, store, provision record) with wrk against a release build, and of reading a
# packet in each form.
# usage: scripts/bench-handoffs.sh [sqlite|postgres] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
secs=${2:-10}
conns=${3:-32}
port=18084
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
cargo build --release --quiet --locked --bin kyoten
mkdir -p target/bench
case "$backend" in
  sqlite)
    url=target/bench/handoffs.sqlite
    rm -f "$url" "$url-wal" "$url-shm" ;;
  postgres)
    url=postgres://postgres@127.0.0.1:5432/kyoten_bench_handoffs
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS kyoten_bench_handoffs WITH (FORCE)" -c "CREATE DATABASE kyoten_bench_handoffs" ;;
  *) echo "backend: sqlite or postgres"; exit 2 ;;
esac
./target/release/kyoten serve --demo --port $port --workers 2 --database-url "$url" \
  > target/bench/handoff-keys.txt 2>/dev/null & server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
key() { awk -v v="export $1=" 'index($0, v) == 1 {sub(v, ""); print $1}' target/bench/handoff-keys.txt; }
office=$(key OFFICE_KEY); facility=$(key FACILITY1_KEY); reg=$(key REG)
base=http://127.0.0.1:$port
body='{"registration_id":"'$reg'","recipient":"0410100101","purpose":"emergency_acceptance","situation":{"kind":"caregiver_unavailable","occurred_at":"2026-11-22T08:30:00+09:00","description":"主たる介護者が急病で入院した。","urgency":"same_day"},"request":{"service_type":"short_stay","start_on":"2026-11-22"}}'
cat > target/bench/handoff.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $office"
wrk.body = '$body'
LUA
h=$(curl -s -X POST "$base/v1/handoffs" -H "Authorization: Bearer $office" -H 'Content-Type: application/json' -d "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["handoff_id"])')
size=$(curl -s "$base/v1/handoffs/$h" -H "Authorization: Bearer $facility" -H 'Accept: application/jose' | wc -c)
xsize=$(curl -s "$base/v1/handoffs/$h" -H "Authorization: Bearer $facility" -H 'Accept: application/xml' | wc -c)
for form in jose xml; do
cat > target/bench/read-$form.lua <<LUA
wrk.headers["Authorization"] = "Bearer $facility"
wrk.headers["Accept"] = "application/$form"
LUA
done
report() {
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$2")
  p50=$(awk '$1=="50%" {print $2}' <<< "$2"); p99=$(awk '$1=="99%" {print $2}' <<< "$2")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<< "$2")
  echo "$1: $rps req/s  p50 $p50  p99 $p99  ${non2xx:+NON-2XX: $non2xx}"
}
run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$@"; }
rps() { awk '/Requests\/sec/ {print $2}' <<< "$1"; }
echo "backend $backend; wrk -t2 -c$conns -d${secs}s; server: 2 workers; $(nproc) cores; packet: JWS $size bytes, XML $xsize bytes"
# Alternating rounds of the floor (GET /health: the server answering without work) and the
# handoff create, so that every ratio compares two runs on the same machine state.
rounds=${ROUNDS:-3}
ratios=(); posts=()
for r in $(seq "$rounds"); do
  floor_out=$(run "$base/health"); post_out=$(run -s target/bench/handoff.lua "$base/v1/handoffs")
  if grep -q "Non-2xx" <<< "$post_out"; then echo "non-2xx answers: $post_out" >&2; exit 1; fi
  report "round $r floor GET /health" "$floor_out"
  report "round $r POST /v1/handoffs (compose, validate, sign JWS + XML, store, provision record)" "$post_out"
  posts+=("$(rps "$post_out")"); ratios+=("$(python3 -c "print(f'{$(rps "$post_out")/$(rps "$floor_out"):.3f}')")")
done
python3 - "${posts[*]}" "${ratios[*]}" <<'PY'
import statistics, sys
p, r = ([float(x) for x in a.split()] for a in sys.argv[1:3])
print(f"POST /v1/handoffs: median {statistics.median(p):.0f} req/s (rounds {min(p):.0f}–{max(p):.0f}); "
      f"share of the floor: median {statistics.median(r):.3f} ({min(r):.3f}–{max(r):.3f})")
PY
report "GET /v1/handoffs/{id} as application/jose (receipt recorded)" "$(run -s target/bench/read-jose.lua "$base/v1/handoffs/$h")"
report "GET /v1/handoffs/{id} as application/xml (receipt recorded)" "$(run -s target/bench/read-xml.lua "$base/v1/handoffs/$h")"
