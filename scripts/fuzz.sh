#!/usr/bin/env bash
# Fuzzes kyoten on the stable toolchain with cargo-afl (AFL++): installs what it needs unless
# it is there (cargo-afl, AFL++ built for this rustc), builds the targets of fuzz/, seeds each
# from conformance/vectors/, and runs each for FUZZ_SECONDS (default 60) one after another.
# Exits 1 when any target found a crash (or a seed crashes it) and prints where each crashing
# input is; 2 when fuzzing could not run.
#
#   bash scripts/fuzz.sh                   # every target, 60 s each
#   FUZZ_SECONDS=10 bash scripts/fuzz.sh   # the short run
#   bash scripts/fuzz.sh json c14n         # some targets only
#
# Replay an input: fuzz/target/release/TARGET < FILE (it reads stdin when not under AFL).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
all=(xml_reader c14n jws packet json xml_to_json xml_roundtrip)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "unknown target: $t (targets: ${all[*]})" >&2; exit 2; }
done

# --- tools -------------------------------------------------------------------------------
# AFL++ is built from source by cargo-afl: a C compiler and make.
if ! command -v cc >/dev/null || ! command -v make >/dev/null; then
  apt-get install -y build-essential
fi
# cargo-afl of the same version as the afl crate in fuzz/Cargo.lock.
afl_version=$(awk '/^name = "afl"$/ { getline; gsub(/"/, "", $3); print $3 }' fuzz/Cargo.lock)
if [ "$(cargo afl --version 2>/dev/null | awk '{print $2}')" != "$afl_version" ]; then
  cargo install --locked --force cargo-afl --version "$afl_version"
fi
# AFL++ and its runtime for this rustc, once (cargo-afl says so when they are already built).
if ! out=$(cargo afl config --build 2>&1); then
  grep -q "already built" <<<"$out" || { echo "$out" >&2; exit 2; }
fi

# --- build -------------------------------------------------------------------------------
(cd fuzz && cargo afl build --release --locked)

# --- seeds -------------------------------------------------------------------------------
# Every XML, JSON and signed file of the conformance vectors, collected afresh (not
# committed). The targets that read a mode byte first get each file under each mode.
corpus=fuzz/corpus
rm -rf "$corpus"
python3 - "$corpus" conformance/vectors <<'PY'
import base64, hashlib, os, pathlib, sys

corpus, vectors = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
files = sorted(p for p in vectors.rglob("*") if p.is_file())
by_ext = {ext: [p for p in files if p.suffix == ext] for ext in (".xml", ".json", ".jws")}

def put(target, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)

def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

for p in by_ext[".xml"]:
    data = p.read_bytes()
    for target in ("xml_reader", "c14n", "xml_to_json", "xml_roundtrip"):
        put(target, data)
    put("packet", b"\x00" + data)
    put("packet", b"\x01" + data)
for p in by_ext[".json"]:
    data = p.read_bytes()
    put("json", data)
    if p.name != "manifest.json" and b'"handoff"' in data:
        put("jws", b"\x02" + data)
for p in by_ext[".jws"]:
    data = p.read_bytes()
    put("jws", b"\x00" + data)
    put("packet", b"\x00" + data)
    parts = data.decode("ascii", "replace").strip().split(".")
    if len(parts) == 3:
        try:
            put("jws", b"\x01" + b64d(parts[0]) + b"\x00" + b64d(parts[1]))
        except ValueError:
            pass
for target in sorted(os.listdir(corpus)):
    print(f"seeds: {target}: {len(os.listdir(corpus / target))}")
PY

# --- fuzz --------------------------------------------------------------------------------
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
declare -A dict=([json]=json [jws]=json)
failed=0
summary=()
for t in "${targets[@]}"; do
  out=fuzz/out/$t
  rm -rf "$out"
  mkdir -p "$out"
  echo "fuzz: $t for ${seconds}s"
  status=0
  (cd fuzz && cargo afl fuzz -i "corpus/$t" -o "out/$t" -x "dict/${dict[$t]:-xml}.dict" \
      -t 2000 -V "$seconds" "target/release/$t") >"$out.log" 2>&1 || status=$?
  stats=$out/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    # AFL stops before fuzzing when a seed crashes the target; the seed is the input.
    seed=$(grep -ao "Test case '[^']*' results in a crash" "$out.log" | head -n 1 | cut -d"'" -f2 || true)
    if [ -n "$seed" ]; then
      echo "CRASH: $t: the seed fuzz/$seed crashes it (a conformance vector)" >&2
    else
      echo "fuzz: $t: afl-fuzz did not run (exit $status); its log: $out.log" >&2
      tail -n 20 "$out.log" >&2
    fi
    failed=1
    continue
  fi
  stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | sort)
  summary+=("$(printf '%-14s %6ss %12s execs %10s/s  corpus %5s  crashes %s  hangs %s' "$t" \
    "$(stat run_time)" "$(stat execs_done)" "$(stat execs_per_sec)" "$(stat corpus_count)" \
    "$(stat saved_crashes)" "$(stat saved_hangs)")")
  if [ -n "$crashes" ]; then
    failed=1
    while IFS= read -r f; do
      echo "CRASH: $t: $root/$f" >&2
    done <<<"$crashes"
    echo "  replay: fuzz/target/release/$t < FILE" >&2
  fi
done

echo
echo "target          time          execs        execs/s"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED (crashing inputs above; README, Fuzzing: how to turn one into a test)" >&2
  exit 1
fi
echo "fuzz: no crash in ${#targets[@]} targets"
