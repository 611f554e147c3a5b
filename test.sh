#!/usr/bin/env bash
# Installs what is missing (Python packages, the embedded model, Debian's chromium), then runs
# every test: core, CLI, embedded-model smoke test, Streamlit AppTest and browser tests.
# Extra arguments go to pytest (e.g. ./test.sh -k splitter).
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh test
echo
echo "==> Checking style (ruff)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo
echo "==> Running the tests"
exec .venv/bin/python -m pytest "$@"
