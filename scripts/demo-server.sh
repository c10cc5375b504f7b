# Sourced by the scripts that test against a live demo (schemathesis.sh, openapi-clients.sh):
# start_demo DIR [serve flags…] starts `$binary serve --demo` on a fresh SQLite database in DIR,
# on a free port, and sets `server` (its pid) and `base` (its URL) once /health answers; its
# stdout (the demo's keys) goes to DIR/keys, its log to DIR/server.log, and DIR/demo-keys.env
# is written beside the database. stop_demo stops it. RUST_LOG may be set by the caller.
server=
base=

start_demo() {
  local dir=$1
  shift
  mkdir -p "$dir"
  : >"$dir/server.log"
  # Port 0: the server picks a free port and says which on stderr.
  "$binary" serve --demo --port 0 --workers 2 --database-url "$dir/kyoten.sqlite" "$@" \
    >"$dir/keys" 2>"$dir/server.log" &
  server=$!
  for _ in $(seq 100); do
    base=$(sed -n 's/^kyoten listening on \(http:[^ ]*\).*/\1/p' "$dir/server.log")
    [ -n "$base" ] && curl -fs "$base/health" >/dev/null && return 0
    kill -0 "$server" 2>/dev/null || break
    base=
    sleep 0.1
  done
  echo "kyoten did not come up" >&2
  cat "$dir/server.log" >&2
  exit 1
}

stop_demo() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=
}
