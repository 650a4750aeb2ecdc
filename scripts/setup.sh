#!/usr/bin/env bash
# Set up a fresh machine (Debian, Python 3.11, CPU only): a virtualenv in .venv with the project.
# Usage: bash scripts/setup.sh [--browser]   (--browser also installs Debian's chromium for UI tests)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--browser" && ! -x /usr/bin/chromium ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: the CPU build; an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[dev]"
