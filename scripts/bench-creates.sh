#!/usr/bin/env bash
# Registration creates against their floors, side by side: in each round, on a fresh database,
# (1) on PostgreSQL the raw floor — pgbench at CONNS clients running the rows a create writes as
# plain SQL (scripts/pgbench-create.py: the demo registration's own rows with new ids, in one
# transaction with the create's one read); (2) the store floor — the store's own create from
# CONNS threads, no HTTP, authentication or validation (examples/create_floor.rs); (3)
# `POST /v1/registrations` with wrk at CONNS connections against `kyoten serve --workers 2`.
# Rounds alternate, so every column of a round sees the same machine state. Prints each round
# and the medians with their spread.
# usage: scripts/bench-creates.sh [sqlite|postgres] [rounds] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-postgres}
rounds=${2:-3}
secs=${3:-10}
conns=${4:-32}
port=18086
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
mkdir -p target/bench
cargo build --release --quiet --locked --bin kyoten --example create_floor
[ -f target/bench/kek ] || (umask 077; openssl rand -base64 32 > target/bench/kek)
export KYOTEN_KEY_ENCRYPTION_KEY_FILE=$PWD/target/bench/kek
python3 -c "import json; print(json.dumps(json.load(open('demo/registration.json')), ensure_ascii=False, separators=(',',':')), end='')" > target/bench/registration.json

fresh() { # → the URL of an empty database
  case "$backend" in
    sqlite)
      rm -f target/bench/creates.sqlite target/bench/creates.sqlite-wal target/bench/creates.sqlite-shm
      echo target/bench/creates.sqlite ;;
    postgres)
      psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS kyoten_bench_creates WITH (FORCE)" -c "CREATE DATABASE kyoten_bench_creates" >&2
      echo postgres://postgres@127.0.0.1:5432/kyoten_bench_creates ;;
  esac
}

serve() { # URL → starts the demo server in the background, sets $server and $office
  target/release/kyoten serve --demo --port $port --workers 2 --database-url "$1" > target/bench/creates-keys.txt 2>/dev/null & server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  office=$(awk -v v="export OFFICE_KEY=" 'index($0, v) == 1 {sub(v, ""); print $1}' target/bench/creates-keys.txt)
}

raw() { # → transactions/s of the create's rows as plain SQL (PostgreSQL)
  local url; url=$(fresh)
  serve "$url"; kill $server; wait $server 2>/dev/null || true   # the demo's rows to copy
  python3 scripts/pgbench-create.py kyoten_bench_creates > target/bench/pgbench-create.sql
  pgbench -h 127.0.0.1 -U postgres -n -M simple -c "$conns" -j 2 -T "$secs" \
    -f target/bench/pgbench-create.sql kyoten_bench_creates 2>/dev/null | awk '/^tps/ {printf "%.0f\n", $3}'
}

floor() { # → creates/s of the store's own create
  local url; url=$(fresh)
  serve "$url"; kill $server; wait $server 2>/dev/null || true   # the demo organizations
  target/release/examples/create_floor "$url" "$conns" "$secs"
}

http() { # → creates/s of POST /v1/registrations
  local url out; url=$(fresh)
  serve "$url"
  cat > target/bench/creates.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $office"
local f = io.open("target/bench/registration.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s target/bench/creates.lua "http://127.0.0.1:$port/v1/registrations")
  kill $server; wait $server 2>/dev/null || true
  if grep -q "Non-2xx" <<< "$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<< "$out"
}

echo "backend $backend; $rounds alternating rounds; $conns connections/threads, ${secs}s each; server 2 workers; $(nproc) cores; $(git rev-parse --short HEAD)$(git diff --quiet || echo +changes)"
echo "round  raw/s  floor/s  http/s  http÷raw  http÷floor"
raws=(); floors=(); https=()
for r in $(seq "$rounds"); do
  if [ "$backend" = postgres ]; then w=$(raw); else w=0; fi
  f=$(floor); h=$(http)
  echo "$r      $w    $f      $h     $(python3 -c "print(f'{$h/$w:.3f}' if $w else '-')")    $(python3 -c "print(f'{$h/$f:.3f}')")"
  raws+=("$w"); floors+=("$f"); https+=("$h")
done
python3 - "${raws[*]}" "${floors[*]}" "${https[*]}" <<'PY'
import statistics, sys
w, f, h = ([float(x) for x in a.split()] for a in sys.argv[1:4])
def line(name, xs):
    return f"{name} {statistics.median(xs):.0f}/s ({min(xs):.0f}–{max(xs):.0f})"
def ratio(name, a, b):
    r = [x / y for x, y in zip(a, b)]
    return f"{name} {statistics.median(r):.3f} ({min(r):.3f}–{max(r):.3f})"
parts = [line("floor", f), line("http", h), ratio("http÷floor", h, f)]
if all(w):
    parts = [line("raw", w)] + parts + [ratio("http÷raw", h, w)]
print("median: " + ", ".join(parts))
PY
