#!/usr/bin/env bash
# The main job: set up, ingest corpus/ (only what is new or changed), serve API + widget.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/qa ingest corpus --prune
exec .venv/bin/qa serve --host "${QA_HOST:-127.0.0.1}" --port "${QA_PORT:-8000}"
