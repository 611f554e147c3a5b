#!/usr/bin/env bash
# Installs what is missing, then starts the iterplay playground on the embedded model.
# Extra arguments go to `streamlit run` (e.g. ./run.sh --server.port 8600).
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh app
echo
echo "==> Starting iterplay at http://localhost:${ITERPLAY_PORT:-8501} (Ctrl+C stops)"
exec .venv/bin/streamlit run app.py --server.port "${ITERPLAY_PORT:-8501}" "$@"
