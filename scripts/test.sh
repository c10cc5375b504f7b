#!/usr/bin/env bash
# Runs every test of kyoten on a fresh machine: installs the test tools the suite needs
# (xmlsec1; python packages into .venv-test), then runs the Rust test suite, formatting and
# lint checks, and Schemathesis against the OpenAPI document and a live server.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# xmlsec1: the XMLDSig interoperability tests compare with it (Debian package xmlsec1).
if ! command -v xmlsec1 >/dev/null; then
  apt-get install -y xmlsec1 || {
    echo "xmlsec1 could not be installed: apt-get install xmlsec1 (as root), then run this again" >&2
    exit 2
  }
fi

venv=.venv-test
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
export KYOTEN_PYTHON="$PWD/$venv/bin/python"

# xmllint: the XML Schema tests validate documents with it.
command -v xmllint >/dev/null || apt-get install -y libxml2-utils

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
# The OpenAPI document against the live server (the binary cargo test just built).
SCHEMATHESIS="$PWD/$venv/bin/schemathesis" bash scripts/schemathesis.sh
# The integration suite once more, with the shared server on PostgreSQL instead of SQLite.
KYOTEN_TEST_BACKEND=postgres cargo test --locked --test api
