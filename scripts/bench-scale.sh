#!/usr/bin/env bash
# A prefecture-sized exchange: MUNICIPALITIES municipalities, FACILITIES facility records and
# REGISTRATIONS registrations spread over them (examples/seed_facilities.rs and
# examples/seed_registrations.rs, through the store's own writes), the demo kikan scoped to the
# first municipality (Sendai, 041009). Then, against `kyoten serve --workers 2`, in 3
# alternating rounds with wrk: finding a person (POST /v1/search/registrations, 4 connections,
# 1,000 searches that find people of the kikan's municipality), facility search (GET
# /v1/facilities, 4 connections), matching (GET /v1/registrations/{id}/candidates, 4
# connections), GET /health as the floor, and registration creates (32 connections).
# usage: scripts/bench-scale.sh [postgres|sqlite] [registrations] [facilities] [municipalities] [seconds]
# REUSE=1 measures the database a previous run seeded (same backend) without seeding.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-postgres}
n=${2:-1000000}
f=${3:-100000}
m=${4:-60}
secs=${5:-10}
port=18087
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
cargo build --release --quiet --locked --bin kyoten --example seed_registrations --example seed_facilities
mkdir -p target/bench
[ -f target/bench/kek ] || (umask 077; openssl rand -base64 32 > target/bench/kek)
export KYOTEN_KEY_ENCRYPTION_KEY_FILE=$PWD/target/bench/kek
case "$backend" in
  sqlite) url=target/bench/scale.sqlite ;;
  postgres) url=postgres://postgres@127.0.0.1:5432/kyoten_bench_scale ;;
  *) echo "backend: sqlite or postgres"; exit 2 ;;
esac
keys=target/bench/scale-keys-$backend.txt
bodies=target/bench/scale-bodies-$backend.txt
if [ "${REUSE:-0}" != 1 ]; then
  case "$backend" in
    sqlite) rm -f "$url" "$url-wal" "$url-shm" ;;
    postgres) psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS kyoten_bench_scale WITH (FORCE)" -c "CREATE DATABASE kyoten_bench_scale" ;;
  esac
  ./target/release/kyoten serve --demo --port $port --workers 2 --database-url "$url" > "$keys" 2>/dev/null & server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  kill $server; wait $server 2>/dev/null || true
  start=$(date +%s)
  ./target/release/examples/seed_facilities "$url" "$f" "$m"
  echo "facilities seeded in $(( $(date +%s) - start )) s"
  start=$(date +%s)
  ./target/release/examples/seed_registrations "$url" "$n" "$m"
  echo "registrations seeded in $(( $(date +%s) - start )) s"
  cp target/bench/search-bodies.txt "$bodies"
  ./target/release/kyoten org scope demo-kikan 041009 --database-url "$url" >/dev/null
  [ "$backend" = postgres ] && psql -q -h 127.0.0.1 -U postgres -d kyoten_bench_scale -c "VACUUM ANALYZE"
fi
./target/release/kyoten serve --port $port --workers 2 --database-url "$url" >/dev/null 2>&1 & server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
key() { awk -v v="export $1=" 'index($0, v) == 1 {sub(v, ""); print $1}' "$keys"; }
kikan=$(key KIKAN_KEY); office=$(key OFFICE_KEY)
# A registration of the kikan's municipality to match for (the demo's own).
person=reg_demo_aoba_1
cat > target/bench/scale-search.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $kikan"
local bodies = {}
for line in io.lines("$bodies") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
LUA
cat > target/bench/scale-get.lua <<LUA
wrk.headers["Authorization"] = "Bearer $kikan"
LUA
python3 -c "import json; print(json.dumps(json.load(open('demo/registration.json')), ensure_ascii=False, separators=(',',':')), end='')" > target/bench/registration.json
cat > target/bench/scale-create.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $office"
local f = io.open("target/bench/registration.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
facilities="/v1/facilities?service_type=short_stay&has_vacancy=true&survey_group=A,B&medical_care=suction&limit=50"
matching="/v1/registrations/$person/candidates?situation=caregiver_unavailable"
for path in "$facilities" "$matching"; do
  code=$(curl -s -o target/bench/scale-answer.json -w '%{http_code}' -H "Authorization: Bearer $kikan" "http://127.0.0.1:$port$path")
  echo "GET $path → $code, $(wc -c < target/bench/scale-answer.json) bytes"
done
echo "one search finds $(curl -s -X POST -H "Authorization: Bearer $kikan" -H 'Content-Type: application/json' -d "$(head -n 1 "$bodies")" "http://127.0.0.1:$port/v1/search/registrations" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))') registrations"
report() { # name, wrk output
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$2")
  p50=$(awk '$1=="50%" {print $2}' <<< "$2"); p99=$(awk '$1=="99%" {print $2}' <<< "$2")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<< "$2")
  echo "$1: $rps req/s  p50 $p50  p99 $p99  ${non2xx:+NON-2XX: $non2xx}"
}
echo "backend $backend; $n registrations, $f facilities, $m municipalities; wrk ${secs}s; server 2 workers; $(nproc) cores; $(git rev-parse --short HEAD)$(git diff --quiet || echo +changes)"
for round in 1 2 3; do
  report "round $round person search (4)" "$(wrk -t2 -c4 -d"${secs}s" --latency -s target/bench/scale-search.lua "http://127.0.0.1:$port/v1/search/registrations")"
  report "round $round facility search (4)" "$(wrk -t2 -c4 -d"${secs}s" --latency -s target/bench/scale-get.lua "http://127.0.0.1:$port$facilities")"
  report "round $round matching (4)" "$(wrk -t2 -c4 -d"${secs}s" --latency -s target/bench/scale-get.lua "http://127.0.0.1:$port$matching")"
  report "round $round GET /health floor (4)" "$(wrk -t2 -c4 -d"${secs}s" --latency "http://127.0.0.1:$port/health")"
  report "round $round creates (32)" "$(wrk -t2 -c32 -d"${secs}s" --latency -s target/bench/scale-create.lua "http://127.0.0.1:$port/v1/registrations")"
done
