#!/usr/bin/env bash
# The cost of the record chain on registration creates: the same wrk load (POST
# /v1/registrations, validated, stored, audited) against a release build of BASE (default: the
# last commit before the chain) and of the working tree, in alternating rounds on fresh SQLite
# (or PostgreSQL) databases, so both sides of each ratio see the same machine state.
# usage: scripts/bench-chain.sh [sqlite|postgres] [rounds] [seconds] [connections] [BASE]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
rounds=${2:-5}
secs=${3:-10}
conns=${4:-32}
base_commit=${5:-d272b58}
port=18085
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
mkdir -p target/bench
# Both builds share target/ (the dependencies are compiled once); each binary is copied out.
cargo build --release --quiet --locked --bin kyoten
cp target/release/kyoten target/bench/kyoten-current
if [ ! -x "target/bench/kyoten-$base_commit" ]; then
  rm -rf target/bench/base-tree
  git worktree add --detach target/bench/base-tree "$base_commit" >/dev/null
  (cd target/bench/base-tree && CARGO_TARGET_DIR="$PWD/../../../target" cargo build --release --quiet --locked --bin kyoten)
  cp target/release/kyoten "target/bench/kyoten-$base_commit"
  git worktree remove --force target/bench/base-tree
  # Put the working tree's binary back where the other scripts expect it.
  cp target/bench/kyoten-current target/release/kyoten
fi
[ -f target/bench/kek ] || (umask 077; openssl rand -base64 32 > target/bench/kek)
export KYOTEN_KEY_ENCRYPTION_KEY_FILE=$PWD/target/bench/kek
python3 -c "import json; print(json.dumps(json.load(open('demo/registration.json')), ensure_ascii=False, separators=(',',':')), end='')" > target/bench/registration.json

one() { # binary → req/s of POST /v1/registrations on a fresh database
  local bin=$1 url server office
  case "$backend" in
    sqlite)
      url=target/bench/chain.sqlite
      rm -f "$url" "$url-wal" "$url-shm" ;;
    postgres)
      url=postgres://postgres@127.0.0.1:5432/kyoten_bench_chain
      psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS kyoten_bench_chain WITH (FORCE)" -c "CREATE DATABASE kyoten_bench_chain" ;;
  esac
  "$bin" serve --demo --port $port --workers 2 --database-url "$url" > target/bench/chain-keys.txt 2>/dev/null & server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  office=$(awk -v v="export OFFICE_KEY=" 'index($0, v) == 1 {sub(v, ""); print $1}' target/bench/chain-keys.txt)
  cat > target/bench/chain-create.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $office"
local f = io.open("target/bench/registration.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
  local out
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s target/bench/chain-create.lua "http://127.0.0.1:$port/v1/registrations")
  kill $server; wait $server 2>/dev/null || true
  if grep -q "Non-2xx" <<< "$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<< "$out"
}

echo "backend $backend; $rounds alternating rounds; wrk -t2 -c$conns -d${secs}s; server 2 workers; $(nproc) cores"
echo "round  $base_commit/s  current/s  current÷base"
ratios=(); basev=(); curv=()
for r in $(seq "$rounds"); do
  b=$(one "target/bench/kyoten-$base_commit"); c=$(one target/bench/kyoten-current)
  ratio=$(python3 -c "print(f'{$c/$b:.3f}')")
  echo "$r      $b      $c      $ratio"
  ratios+=("$ratio"); basev+=("$b"); curv+=("$c")
done
python3 - "${ratios[*]}" "${basev[*]}" "${curv[*]}" <<'PY'
import statistics, sys
r, b, c = ([float(x) for x in a.split()] for a in sys.argv[1:4])
print(f"median: base {statistics.median(b):.0f}/s, current {statistics.median(c):.0f}/s, "
      f"ratio {statistics.median(r):.3f} (rounds {min(r):.3f}–{max(r):.3f}); "
      f"cost {100 * (1 - statistics.median(r)):.1f} %")
PY
