#!/usr/bin/env bash
# Latency of finding a person during a call (POST /v1/search/registrations) over N
# registrations, with wrk (Debian package `wrk`), against a release build on SQLite or
# PostgreSQL. The searches rotate over 1,000 bodies that find people of the set: a family name
# in hiragana with the birth date, a whole reading with long-vowel marks, a name as written
# with the birth date, a phone. The floor is GET /health on the same server in the same run,
# measured alternately with the search (3 rounds each).
# usage: scripts/bench-search.sh [sqlite|postgres] [registrations] [seconds] [connections]
# REUSE=1 measures the database a previous run seeded (same backend and size) without seeding.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
n=${2:-100000}
secs=${3:-10}
conns=${4:-4}
port=18084
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
cargo build --release --quiet --locked --bin kyoten --example seed_registrations
mkdir -p target/bench
[ -f target/bench/kek ] || (umask 077; openssl rand -base64 32 > target/bench/kek)
export KYOTEN_KEY_ENCRYPTION_KEY_FILE=$PWD/target/bench/kek
case "$backend" in
  sqlite) url=target/bench/search.sqlite ;;
  postgres) url=postgres://postgres@127.0.0.1:5432/kyoten_bench_search ;;
  *) echo "backend: sqlite or postgres"; exit 2 ;;
esac
if [ "${REUSE:-0}" != 1 ]; then
  case "$backend" in
    sqlite) rm -f "$url" "$url-wal" "$url-shm" ;;
    postgres) psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS kyoten_bench_search WITH (FORCE)" -c "CREATE DATABASE kyoten_bench_search" ;;
  esac
  # The demo organizations and keys first, then the registrations, then the server on them.
  ./target/release/kyoten serve --demo --port $port --workers 2 --database-url "$url" \
    > target/bench/search-keys-$backend.txt 2>/dev/null & server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  kill $server; wait $server 2>/dev/null || true
  ./target/release/examples/seed_registrations "$url" "$n"
  cp target/bench/search-bodies.txt target/bench/search-bodies-$backend.txt
  [ "$backend" = postgres ] && psql -q -h 127.0.0.1 -U postgres -d kyoten_bench_search -c ANALYZE
fi
./target/release/kyoten serve --port $port --workers 2 --database-url "$url" >/dev/null 2>&1 & server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
key() { awk -v v="export $1=" 'index($0, v) == 1 {sub(v, ""); print $1}' target/bench/search-keys-$backend.txt; }
kikan=$(key KIKAN_KEY)
cat > target/bench/search.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $kikan"
local bodies = {}
for line in io.lines("target/bench/search-bodies-$backend.txt") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
LUA
first=$(head -n 1 target/bench/search-bodies-$backend.txt)
echo "one search finds $(curl -s -X POST -H "Authorization: Bearer $kikan" -H 'Content-Type: application/json' -d "$first" "http://127.0.0.1:$port/v1/search/registrations" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))') registrations"
report() { # name, wrk output
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$2")
  p50=$(awk '$1=="50%" {print $2}' <<< "$2"); p99=$(awk '$1=="99%" {print $2}' <<< "$2")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<< "$2")
  echo "$1: $rps req/s  p50 $p50  p99 $p99  ${non2xx:+NON-2XX: $non2xx}"
}
echo "backend $backend; $n registrations; wrk -t2 -c$conns -d${secs}s; server: 2 workers; $(nproc) cores"
for round in 1 2 3; do
  report "round $round POST /v1/search/registrations" "$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s target/bench/search.lua "http://127.0.0.1:$port/v1/search/registrations")"
  report "round $round GET /health (floor)" "$(wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/health")"
done
