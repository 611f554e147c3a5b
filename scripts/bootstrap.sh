#!/usr/bin/env bash
# Installs everything iterplay needs into ./.venv, on a machine with only Python, pip, git and apt.
# Usage: scripts/bootstrap.sh [app|test]   (test also installs the dev tools, Debian's chromium and
# curl, and instructor in its own environment .venv/instructor)
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

# llama-cpp-python compiles llama.cpp from source: without a C and a C++ compiler and cmake its
# install fails after minutes of output. Check first; install them with apt where we can, and
# otherwise say exactly what to install.
ensure_build_tools() {
  local missing=()
  command -v cc >/dev/null || command -v gcc >/dev/null || missing+=("a C compiler")
  command -v c++ >/dev/null || command -v g++ >/dev/null || missing+=("a C++ compiler")
  command -v cmake >/dev/null || missing+=("cmake")
  [ ${#missing[@]} -eq 0 ] && return 0
  local needs
  needs="$(printf '%s, ' "${missing[@]}")"
  say "llama-cpp-python compiles from source and needs ${needs%, }"
  if command -v apt-get >/dev/null && apt_install build-essential cmake; then
    return 0
  fi
  echo "Install ${needs%, } and run $0 again; on Debian or Ubuntu:" \
       "sudo apt-get install build-essential cmake (on macOS: xcode-select --install;" \
       "brew install cmake)." >&2
  exit 1
}

# pip's own output is long; when it fails, show the lines that say why, not an ImportError later.
explain_pip_failure() {
  local log="$1"
  echo >&2
  echo "pip could not install iterplay's packages. What it said last (whole log: $log):" >&2
  grep -iE '^(error|fatal)|error:|cmake error|not found|no such file|could not' "$log" \
    | grep -vE '^\s*$' | tail -n 15 >&2 || true
  echo "---" >&2
  tail -n 15 "$log" >&2
  if grep -qiE 'cmake|compiler|CMAKE_C(XX)?_COMPILER' "$log"; then
    echo "The build of llama-cpp-python failed: check that a C/C++ compiler and cmake work" \
         "(sudo apt-get install build-essential cmake)." >&2
  fi
}

extras="local"
[ "$purpose" = test ] && extras="local,dev"
stamp=".venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  if ! .venv/bin/python -c 'import llama_cpp' 2>/dev/null; then
    ensure_build_tools
    say "Installing Python packages. llama-cpp-python compiles from source the first time:" \
        "about 5 to 10 minutes on 2 cores, with little output while the compiler runs" \
        "(pip caches the wheel, so later installs take seconds)."
  else
    say "Installing Python packages"
  fi
  log=".venv/pip-install.log"
  set +e
  {
    .venv/bin/python -m pip install --upgrade --quiet pip &&
      .venv/bin/python -m pip install --progress-bar off -e ".[$extras]"
  } 2>&1 | tee "$log" | grep -vE '^(Requirement already satisfied|  Using cached|  Downloading)'
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" != 0 ]; then
    explain_pip_failure "$log"
    exit 1
  fi
  # Fail here, in one sentence, if pip reported success but something cannot be imported.
  if ! problem="$(.venv/bin/python -c 'import iterplay, llama_cpp, streamlit' 2>&1)"; then
    echo "pip finished, but the installed packages do not import: ${problem##*$'\n'}" \
         "(whole log: $log)" >&2
    exit 1
  fi
  touch "$stamp"
fi

if [ "$purpose" = test ] && ! command -v chromium >/dev/null; then
  apt_install chromium fonts-noto-color-emoji
fi

# The tests run the exported curl commands with Debian's curl.
if [ "$purpose" = test ] && ! command -v curl >/dev/null; then
  apt_install curl
fi

# The tests run exported instructor programs in instructor's own environment: its pins conflict
# with the app's openai (scripts/instructor-requirements.txt says how). Inside .venv, so removing
# .venv removes it too.
instructor_requirements="scripts/instructor-requirements.txt"
instructor_stamp=".venv/instructor/.installed"
if [ "$purpose" = test ] &&
   { [ ! -f "$instructor_stamp" ] || [ "$instructor_requirements" -nt "$instructor_stamp" ]; }; then
  say "Installing instructor into .venv/instructor (the tests run exported instructor code there)"
  [ -x .venv/instructor/bin/python ] || "$python" -m venv .venv/instructor
  log=".venv/instructor-install.log"
  if ! .venv/instructor/bin/python -m pip install --progress-bar off \
       -r "$instructor_requirements" >"$log" 2>&1; then
    echo "pip could not install instructor into .venv/instructor; what it said last" \
         "(whole log: $log):" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
  touch "$instructor_stamp"
fi
