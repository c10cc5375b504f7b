#!/usr/bin/env bash
# Throughput and latency of the exchange's writes and facility search, with wrk (Debian
# package `wrk`), against a release build on SQLite or PostgreSQL:
#   - POST /v1/registrations (validated, stored, audited)
#   - PATCH /v1/facilities/{id}/vacancies (the daily vacancy update)
#   - GET /v1/facilities?… over 10,000 facility records (p50/p99)
# usage: scripts/bench-exchange.sh [sqlite|postgres] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
secs=${2:-10}
conns=${3:-32}
port=18083
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
cargo build --release --quiet --locked --bin kyoten --example seed_facilities
mkdir -p target/bench
# The key-encryption key of the benchmark databases (PostgreSQL needs one given).
[ -f target/bench/kek ] || (umask 077; openssl rand -base64 32 > target/bench/kek)
export KYOTEN_KEY_ENCRYPTION_KEY_FILE=$PWD/target/bench/kek
case "$backend" in
  sqlite)
    url=target/bench/exchange.sqlite
    rm -f "$url" "$url-wal" "$url-shm" ;;
  postgres)
    url=postgres://postgres@127.0.0.1:5432/kyoten_bench
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS kyoten_bench WITH (FORCE)" -c "CREATE DATABASE kyoten_bench" ;;
  *) echo "backend: sqlite or postgres"; exit 2 ;;
esac
./target/release/kyoten serve --demo --port $port --workers 2 --database-url "$url" \
  > target/bench/demo-keys.txt 2>/dev/null & server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
key() { awk -v v="export $1=" 'index($0, v) == 1 {sub(v, ""); print $1}' target/bench/demo-keys.txt; }
office=$(key OFFICE_KEY); facility=$(key FACILITY1_KEY); city=$(key CITY_KEY)

python3 -c "import json; print(json.dumps(json.load(open('demo/registration.json')), ensure_ascii=False, separators=(',',':')), end='')" > target/bench/registration.json
cat > target/bench/create.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $office"
local f = io.open("target/bench/registration.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
cat > target/bench/patch.lua <<LUA
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $facility"
wrk.body = '{"vacancies":[{"service_type":"short_stay","vacancies":1}]}'
LUA
cat > target/bench/search.lua <<LUA
wrk.headers["Authorization"] = "Bearer $city"
LUA
report() { # name, wrk output
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$2")
  p50=$(awk '$1=="50%" {print $2}' <<< "$2"); p99=$(awk '$1=="99%" {print $2}' <<< "$2")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<< "$2")
  echo "$1: $rps req/s  p50 $p50  p99 $p99  ${non2xx:+NON-2XX: $non2xx}"
}
run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$@"; }
base=http://127.0.0.1:$port
echo "backend $backend; wrk -t2 -c$conns -d${secs}s; server: 2 workers; $(nproc) cores"
report "POST /v1/registrations" "$(run -s target/bench/create.lua "$base/v1/registrations")"
report "PATCH /v1/facilities/{id}/vacancies" "$(run -s target/bench/patch.lua "$base/v1/facilities/0410100101/vacancies")"
./target/release/examples/seed_facilities "$url" 10000
# Fresh statistics, as autovacuum would gather them after a bulk load.
[ "$backend" = postgres ] && psql -q -h 127.0.0.1 -U postgres -d kyoten_bench -c ANALYZE
q="service_type=short_stay&has_vacancy=true&survey_group=A,B&medical_care=suction&limit=50"
echo "GET /v1/facilities?$q returns $(curl -s -H "Authorization: Bearer $city" "$base/v1/facilities?$q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))') records"
q2="ward=%E6%B3%89%E5%8C%BA&service_type=short_stay&variant=medical&vacancy_since=2026-01-01T00:00:00%2B09:00&limit=50"
# Latency as a few users at once see it (4 connections), then throughput under the full load.
few() { wrk -t2 -c4 -d"${secs}s" --latency "$@"; }
report "GET /v1/facilities, 10,006 records, 4 connections" "$(few -s target/bench/search.lua "$base/v1/facilities?$q")"
report "GET /v1/facilities (ward+variant+freshness), 4 connections" "$(few -s target/bench/search.lua "$base/v1/facilities?$q2")"
report "GET /v1/facilities, 10,006 records, $conns connections" "$(run -s target/bench/search.lua "$base/v1/facilities?$q")"
