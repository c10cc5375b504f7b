#!/usr/bin/env bash
# HTTP throughput of POST /v1/validate/registration against a plain actix-web JSON echo of the
# same body, measured in one run on this machine with wrk (Debian package `wrk`).
# usage: scripts/bench-http.sh [seconds] [connections] [rounds]
# With BASE_BIN=path/to/another/kyoten (e.g. the binary scripts/bench-chain.sh builds of an
# earlier commit), each round also measures that build's validate endpoint, so the two builds
# are compared in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
cargo build --release --quiet --bin kyoten --example echo_server
body=target/bench/reference-registration.json
mkdir -p target/bench
python3 -c "import json,sys; print(json.dumps(json.load(open('conformance/vectors/registration/valid/full.json')), ensure_ascii=False, separators=(',',':')), end='')" > "$body"
cat > target/bench/post.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$body", "rb"); wrk.body = f:read("*a"); f:close()
LUA
./target/release/kyoten serve --port 18081 --workers 2 2>/dev/null & kyoten=$!
./target/release/examples/echo_server 18082 & echo=$!
base=""
trap 'kill $kyoten $echo $base 2>/dev/null' EXIT
# The earlier build starts once this one has created the database (and its key-encryption key)
# that both use, so that they do not race to create them.
for _ in $(seq 100); do curl -sf http://127.0.0.1:18081/health >/dev/null && break; sleep 0.1; done
if [ -n "${BASE_BIN:-}" ]; then "$BASE_BIN" serve --port 18083 --workers 2 2>/dev/null & base=$!; fi
sleep 1
rounds=${3:-3}
echo "body: $(wc -c < "$body") bytes; wrk -t2 -c$conns -d${secs}s; $rounds alternating rounds"
run() { wrk -t2 -c"$conns" -d"${secs}s" --latency -s target/bench/post.lua "$1"; }
wrk -t2 -c"$conns" -d2s -s target/bench/post.lua http://127.0.0.1:18082/echo > /dev/null
wrk -t2 -c"$conns" -d2s -s target/bench/post.lua http://127.0.0.1:18081/v1/validate/registration > /dev/null
[ -n "$base" ] && wrk -t2 -c"$conns" -d2s -s target/bench/post.lua http://127.0.0.1:18083/v1/validate/registration > /dev/null
ratios=()
base_ratios=()
for r in $(seq "$rounds"); do
  e=$(run http://127.0.0.1:18082/echo)
  v=$(run http://127.0.0.1:18081/v1/validate/registration)
  er=$(awk '/Requests\/sec/ {print $2}' <<< "$e"); vr=$(awk '/Requests\/sec/ {print $2}' <<< "$v")
  ep=$(awk '$1=="50%" {a=$2} $1=="99%" {b=$2} END {print a" / "b}' <<< "$e")
  vp=$(awk '$1=="50%" {a=$2} $1=="99%" {b=$2} END {print a" / "b}' <<< "$v")
  ratio=$(awk -v a="$vr" -v b="$er" 'BEGIN {printf "%.3f", a/b}')
  ratios+=("$ratio")
  echo "round $r: echo $er req/s (p50/p99 $ep)  validate $vr req/s (p50/p99 $vp)  ratio $ratio"
  grep -q "Non-2xx" <<< "$v$e" && echo "  non-2xx responses seen!"
  if [ -n "$base" ]; then
    b=$(run http://127.0.0.1:18083/v1/validate/registration)
    br=$(awk '/Requests\/sec/ {print $2}' <<< "$b")
    bratio=$(awk -v a="$br" -v b="$er" 'BEGIN {printf "%.3f", a/b}')
    base_ratios+=("$bratio")
    echo "         base validate $br req/s  ratio $bratio"
    grep -q "Non-2xx" <<< "$b" && echo "  non-2xx responses seen!"
  fi
done
if [ -n "$base" ]; then
  printf '%s\n' "${base_ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio base validate/echo: " a[int((NR+1)/2)]}'
fi
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio validate/echo: " a[int((NR+1)/2)]}'
