#!/usr/bin/env bash
# Set up a fresh machine (Debian, Python 3.11, CPU only): a virtualenv in .venv with the project.
# Usage: bash scripts/setup.sh [--browser]   (--browser also installs Debian's chromium for UI tests)
# The one place that installs. When nothing is missing it returns at once: .venv/.setup-stamp
# holds a hash of what installing depends on (pyproject.toml without its [tool.*] settings for
# pytest, ruff and mypy; this script), and pip runs again only when that changes or .venv is gone.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--browser" && ! -x /usr/bin/chromium ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi

STAMP=.venv/.setup-stamp
install_inputs() {  # pyproject.toml minus the tools' sections (setuptools' stay), then this script
  awk '/^\[/ { skip = /^\[tool\./ && !/^\[tool\.setuptools/ } !skip' pyproject.toml
  cat scripts/setup.sh
}
WANTED=$(install_inputs | sha256sum | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f $STAMP && "$(cat "$STAMP")" == "$WANTED" ]]; then
  exit 0
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
rm -f "$STAMP"  # an install that fails half-way leaves no stamp
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: the CPU build; an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[dev]"
echo "$WANTED" >"$STAMP"
