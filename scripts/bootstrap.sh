#!/usr/bin/env bash
# Installs everything iterplay needs into ./.venv, on a machine with only Python, pip, git and apt.
# Usage: scripts/bootstrap.sh [app|test]   (test also installs the dev tools and Debian's chromium)
# Re-running is cheap: pip runs again only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-app}"
python="${PYTHON:-python3}"

say() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root for: $* (run as root or install sudo)" >&2; return 1; fi
}

apt_install() {
  say "Installing Debian packages: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if ! "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "iterplay needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  say "Creating the virtual environment .venv"
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv
    "$python" -m venv .venv
  fi
fi

extras="local"
[ "$purpose" = test ] && extras="local,dev"
stamp=".venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  if ! .venv/bin/python -c 'import llama_cpp' 2>/dev/null; then
    say "Installing Python packages. llama-cpp-python compiles from source the first time:" \
        "about 5 to 10 minutes on 2 cores, with little output while the compiler runs" \
        "(pip caches the wheel, so later installs take seconds)."
  else
    say "Installing Python packages"
  fi
  .venv/bin/python -m pip install --upgrade --quiet pip
  .venv/bin/python -m pip install --progress-bar off -e ".[$extras]" \
    | grep -vE '^(Requirement already satisfied|  Using cached|  Downloading)' || true
  .venv/bin/python -c 'import iterplay, llama_cpp, streamlit' # fail here, not later, if pip did
  touch "$stamp"
fi

if [ "$purpose" = test ] && ! command -v chromium >/dev/null; then
  apt_install chromium fonts-noto-color-emoji
fi
