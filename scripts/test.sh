#!/usr/bin/env bash
# Runs every test of kyoten on a fresh machine: installs the test tools the suite needs
# (xmlsec1; python packages into .venv-test; Node.js tools into tests/openapi-clients), then runs
# the Rust test suite, formatting and lint checks, Schemathesis against the OpenAPI document and
# a live server, and clients generated from the OpenAPI document against a demo.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs a Debian package (as root, or through sudo) when a command it provides is missing.
need() { # command package
  command -v "$1" >/dev/null && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=$(command -v sudo || true)
  if [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; then
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "$2" >/dev/null && return 0
  fi
  echo "$1 is missing: install the Debian package $2 (apt-get install $2), then run this again" >&2
  exit 2
}

# PostgreSQL: the storage tests create and drop a fresh database per test on the local server.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  else
    echo "PostgreSQL is not installed: apt-get install postgresql, then run this again" >&2
    exit 2
  fi
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
export KYOTEN_TEST_POSTGRES_URL=${KYOTEN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# The tests need a role that may create databases. Debian's PostgreSQL asks for a password on
# TCP by default: then give one in the URL, or allow trust for 127.0.0.1 in pg_hba.conf.
need psql postgresql-client
if ! psql "$KYOTEN_TEST_POSTGRES_URL" -qtAc 'SELECT 1' >/dev/null 2>/tmp/kyoten-psql.err; then
  echo "cannot connect to PostgreSQL as $KYOTEN_TEST_POSTGRES_URL: $(head -n 1 /tmp/kyoten-psql.err)" >&2
  echo "set KYOTEN_TEST_POSTGRES_URL=postgres://USER:PASSWORD@127.0.0.1:5432/postgres (a role with CREATEDB)," >&2
  echo "or add 'host all postgres 127.0.0.1/32 trust' to pg_hba.conf for a test machine" >&2
  exit 2
fi

# xmlsec1: the XMLDSig interoperability tests compare with it (Debian package xmlsec1).
need xmlsec1 xmlsec1
# xmllint: the XML Schema tests validate documents with it.
need xmllint libxml2-utils
need curl curl
# Node.js and npm: Redocly, Spectral and the TypeScript client (scripts/openapi-clients.sh).
need node nodejs
need npm npm

# A virtual environment that lacks pip (made while python3-venv was missing) is made again.
venv=.venv-test
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv" || {
    rm -rf "$venv"
    echo "python3 -m venv failed: install the Debian package python3-venv, then run this again" >&2
    exit 2
  }
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
export KYOTEN_PYTHON="$PWD/$venv/bin/python"

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
# The OpenAPI document against the live server (the binary cargo test just built).
SCHEMATHESIS="$PWD/$venv/bin/schemathesis" bash scripts/schemathesis.sh
# The document as integrators' tools read it: Redocly and Spectral lints, then Python and
# TypeScript clients generated from it call every operation against a demo.
bash scripts/openapi-clients.sh
# The integration suite once more, with the shared server on PostgreSQL instead of SQLite.
KYOTEN_TEST_BACKEND=postgres cargo test --locked --test api
