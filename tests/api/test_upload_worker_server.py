"""A real `qa serve` on loopback takes a large upload while it answers: the upload is prepared in
the ingest worker process, and meanwhile `/healthz` and a question are answered. Stopping the
server stops the worker. (How long each took is measured by bench/load_test.py, not here.)"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import ingest_paths
from qa.index.embedding import SentenceTransformerEmbedder
from qa.service import build_service
from tests.helpers.corpus import copy_corpus, make_settings
from tests.helpers.servers import qa_serve

pytestmark = pytest.mark.slow

KEY = "worker-server-key"
QUESTION = "How many jobs will the lab in Singapore create?"


def large_document(sentences: int = 1200) -> str:
    """About 100 KB of distinct sentences: tens of seconds of embedding and analysis on 2 cores."""
    towns = ["Velmar", "Orrin", "Kessa", "Taloma", "Brisk"]
    return "\n\n".join(
        f"Item {i}: the {towns[i % 5]} council approved {i * 7 % 900 + 20} new homes and a depot costing "
        f"{i % 400 + 5} million euros, the mayor said on day {i % 28 + 1}."
        for i in range(sentences)
    )


def ingest_worker_of(pid: int) -> int | None:
    """The pid of the server's ingest worker (a spawned multiprocessing child), if running."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and b"spawn_main" in command:
            return int(entry.name)
    return None


def test_questions_and_health_are_answered_while_a_large_upload_is_prepared(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    data_dir = tmp_path / "data"
    service = build_service(make_settings(data_dir, embedding_backend="torch"), embedder)
    ingest_paths([copy_corpus(tmp_path / "corpus")], service.store, service.lexical)
    settings = {"QA_ADMIN_KEY": KEY, "QA_RATE_LIMIT_PER_MINUTE": "0", "QA_LOG_LEVEL": "info"}
    with qa_serve(data_dir, tmp_path / "serve.log", tmp_path, **settings) as server:
        server.wait_until_ready()
        assert ingest_worker_of(server.proc.pid) is None  # lazily: not before the first upload
        uploaded: list[httpx.Response] = []
        body = {"doc_id": "council-homes", "title": "Council homes", "text": large_document()}

        def upload() -> None:
            with httpx.Client(base_url=server.base, timeout=900) as client:
                uploaded.append(client.post("/v1/documents", json=body, headers={"X-Admin-Key": KEY}))

        uploading = threading.Thread(target=upload)
        uploading.start()
        worker = None
        while worker is None and uploading.is_alive():  # the upload has reached the worker
            worker = ingest_worker_of(server.proc.pid)
            uploading.join(0.1)
        assert worker is not None, server.output()
        with httpx.Client(base_url=server.base, timeout=120) as client:
            health = client.get("/healthz")
            answer = client.post("/v1/ask", json={"question": QUESTION})
            assert uploading.is_alive(), "the upload finished first: make the document larger"
        assert health.status_code == 200
        assert answer.status_code == 200, answer.text
        assert "200" in answer.json()["text"]
        uploading.join(900)
        assert uploaded and uploaded[0].status_code == 201, uploaded[0].text if uploaded else "no response"
        assert uploaded[0].json()["chunks"] > 50
        stored = httpx.get(f"{server.base}/v1/documents/council-homes", timeout=30)
        assert stored.status_code == 200
        assert ingest_worker_of(server.proc.pid) == worker  # kept for the next upload
        code = server.stop()
    output = server.output()
    assert code in (0, -15), output
    assert "Traceback" not in output and "ERROR" not in output
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # stopped with the server
