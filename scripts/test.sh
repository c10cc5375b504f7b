#!/usr/bin/env bash
# Runs every test of kyoten on a fresh machine: installs the test tools the suite needs
# (into .venv-test), then runs the Rust test suite, formatting and lint checks.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-test
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
export KYOTEN_PYTHON="$PWD/$venv/bin/python"

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
