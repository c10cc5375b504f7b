#!/usr/bin/env bash
# Batch validation throughput and memory: `kyoten validate` on NDJSON files of 100,000 and
# 300,000 registrations (peak RSS must not grow with the file), and the HTTP batch endpoint.
# usage: scripts/bench-batch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin kyoten
mkdir -p target/bench
for n in 100000 300000; do
  f=target/bench/registrations-$((n / 1000))k.ndjson
  [ -s "$f" ] || python3 scripts/gen-ndjson.py "$n" "$f"
done
for n in 100k 300k; do
  f=target/bench/registrations-$n.ndjson
  for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o target/bench/time.txt ./target/release/kyoten validate "$f" > target/bench/out.txt || true
    read -r secs rss < <(tail -n 1 target/bench/time.txt)
    docs=$(awk '/documents:/ {print $1}' target/bench/out.txt)
    echo "cli $n run $run: $docs documents in ${secs}s = $(awk -v d="$docs" -v s="$secs" 'BEGIN {printf "%d", d/s}') documents/s, peak RSS $((rss / 1024)) MB"
  done
done
# No limit on keyless batches here: the benchmark sends 100,000 documents in one request.
./target/release/kyoten serve --port 18083 --workers 2 --validate-batch-max-documents 0 2>/dev/null & pid=$!
trap 'kill $pid 2>/dev/null' EXIT
sleep 1
f=target/bench/registrations-100k.ndjson
for run in 1 2 3; do
  start=$(date +%s.%N)
  lines=$(curl -s -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$f" \
    http://127.0.0.1:18083/v1/validate/registration/batch | wc -l)
  end=$(date +%s.%N)
  echo "http batch run $run: $lines reports in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b-a}')s = $(awk -v n="$lines" -v a="$start" -v b="$end" 'BEGIN {printf "%d", n/(b-a)}') documents/s"
done
echo "server peak RSS: $(awk '/VmHWM/ {print int($2/1024)" MB"}' /proc/$pid/status)"
