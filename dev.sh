#!/usr/bin/env bash
# The two set-up commands of the README, for any fresh machine with Python >= 3.11 —
# also a stock Debian/Ubuntu whose system Python refuses `pip install` (PEP 668):
#
#   ./dev.sh demo [lcsp demo options]   a fictitious region on the embedded SQLite ledger, then the TUI
#   ./dev.sh test [pytest options]      the test suite (what CI runs)
#
# Everything goes into a virtual environment in .venv (made on first use; on Debian/Ubuntu
# the python3-venv package is installed first if it is missing, with sudo when not root).
set -euo pipefail
cd "$(dirname "$0")"
venv=.venv

python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    if command -v apt-get >/dev/null; then
      sudo=""
      [ "$(id -u)" -eq 0 ] || sudo=sudo
      echo "dev.sh: installing python3-venv (Debian/Ubuntu keep venv apart from Python)" >&2
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    fi
    "$python" -m venv "$venv"
  fi
fi
export PATH="$PWD/$venv/bin:$PATH" VIRTUAL_ENV="$PWD/$venv"

case "${1:-}" in
  demo)
    shift
    python -m pip install -q -e .
    exec lcsp demo "$@"
    ;;
  test)
    shift
    python -m pip install -q -e '.[test]'
    exec python -m pytest "$@"
    ;;
  *)
    echo "usage: ./dev.sh demo [options] | ./dev.sh test [pytest options]" >&2
    exit 2
    ;;
esac
