"""The short form of bench/load_test.py (8 clients for 10 s on /v1/ask and /v1/chat while
documents are ingested through the API): no errors, and /healthz answers throughout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.corpus import CORPUS_DIR, ROOT

pytestmark = pytest.mark.slow

FILES = (
    "openai-for-singapore.md",
    "auralis-singapore-health-ai.md",
    "sorell-tokyo-ai-drug-discovery-lab.txt",
)


def test_short_load_run_has_no_errors_and_health_always_answers(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(CORPUS_DIR / name, corpus / name)
    out = tmp_path / "load.json"
    command = [sys.executable, str(ROOT / "bench" / "load_test.py"), "--clients", "8", "--seconds", "10"]
    command += ["--max-requests", "2000", "--corpus", str(corpus), "--data-dir", str(tmp_path / "data")]
    done = subprocess.run([*command, "--json", str(out)], capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["errors"] == 0
    assert result["questions"] > 8 and result["documents_ingested"] >= 1
    health = result["routes"]["/healthz"]
    assert health["requests"] >= 10 and health["errors"] == 0
    assert {"/v1/ask", "/v1/chat", "POST /v1/documents"} <= set(result["routes"])
