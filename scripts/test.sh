#!/usr/bin/env bash
# Set up (including Debian's chromium for the browser tests) and run the whole test suite: the
# fast set (what a bare `pytest` runs), then the slow one (`pytest -m slow`: the real model,
# servers, the browser). Each run lists its 15 slowest tests. Extra arguments go to both runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
run() { .venv/bin/python -m pytest -q --durations=15 "$@" || [[ $? -eq 5 ]]; }  # 5: none selected
run "$@"
run -m slow "$@"
