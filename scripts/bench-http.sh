#!/usr/bin/env bash
# HTTP throughput of POST /v1/validate/registration against a plain actix-web JSON echo of the
# same body, measured in one run on this machine with wrk (Debian package `wrk`).
# usage: scripts/bench-http.sh [seconds] [connections]
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
trap 'kill $kyoten $echo 2>/dev/null' EXIT
sleep 1
rounds=${3:-3}
echo "body: $(wc -c < "$body") bytes; wrk -t2 -c$conns -d${secs}s; $rounds alternating rounds"
run() { wrk -t2 -c"$conns" -d"${secs}s" --latency -s target/bench/post.lua "$1"; }
wrk -t2 -c"$conns" -d2s -s target/bench/post.lua http://127.0.0.1:18082/echo > /dev/null
wrk -t2 -c"$conns" -d2s -s target/bench/post.lua http://127.0.0.1:18081/v1/validate/registration > /dev/null
ratios=()
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
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio validate/echo: " a[int((NR+1)/2)]}'
