"""Faults seen through HTTP: the Chroma server going away and coming back (503 with a clear
message, then answers again without a restart), a full disk during an upload (507), and
SIGTERM to `qa serve` while questions are in flight (they all finish)."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from chromadb.api.models.Collection import Collection
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.pipeline import ingest_paths
from qa.index.embedding import SentenceTransformerEmbedder
from qa.service import QAService, build_service
from qa.settings import Settings
from tests.helpers.corpus import copy_corpus, make_settings
from tests.helpers.servers import ChromaServer, qa_serve

pytestmark = pytest.mark.slow

QUESTION = "How many jobs will the lab in Singapore create?"
KEY = "faults-key"
IN_FLIGHT = 48  # well under QA_MAX_QUESTIONS_IN_FLIGHT (64); enough to outlast the 0.5 s before SIGTERM


def test_a_chroma_server_outage_is_a_503_that_heals_itself(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    chroma = ChromaServer(tmp_path / "chroma")
    chroma.start()
    try:
        settings = make_settings(tmp_path / "data", chroma_url=chroma.url, store_timeout_seconds=2.0)
        service = build_service(settings, embedder)
        ingest_paths([copy_corpus(tmp_path / "corpus")], service.store, service.lexical)
        with TestClient(create_app(settings, service)) as client:
            assert client.post("/v1/ask", json={"question": QUESTION}).status_code == 200
            chroma.stop()
            started = time.monotonic()
            response = client.post("/v1/ask", json={"question": QUESTION})
            assert time.monotonic() - started < 2.0
            assert response.status_code == 503
            error = response.json()["error"]
            assert error["code"] == "store_unavailable" and "QA_CHROMA_URL" in error["message"]
            chat = client.post("/v1/chat", json={"messages": [{"role": "user", "content": QUESTION}]})
            assert chat.status_code == 503
            assert client.get("/readyz").status_code == 503
            assert client.get("/healthz").status_code == 200
            assert "qa_store_up 0.0" in client.get("/metrics").text
            chroma.start()
            assert client.post("/v1/ask", json={"question": QUESTION}).status_code == 200
            assert client.get("/readyz").status_code == 200
    finally:
        chroma.stop()


def test_a_full_disk_during_an_upload_is_a_507_and_the_store_keeps_working(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "data", admin_key=KEY)
    with TestClient(create_app(settings, build_service(settings, embedder))) as client:
        body = {"doc_id": "note", "title": "A note", "text": "The depot opens on 3 June."}

        def full(collection: Collection, *args: Any, **kwargs: Any) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(Collection, "upsert", full)
        response = client.post("/v1/documents", json=body, headers={"X-Admin-Key": KEY})
        assert response.status_code == 507, response.text
        assert response.json()["error"]["code"] == "storage_full"
        assert "free some space" in response.json()["error"]["message"]
        assert not list((settings.data_dir / "uploads").glob("*.md"))  # nothing half-kept
        monkeypatch.undo()
        assert client.get("/readyz").status_code == 200
        assert client.post("/v1/documents", json=body, headers={"X-Admin-Key": KEY}).status_code == 201


async def ask_many(base: str, count: int) -> list[int]:
    async with httpx.AsyncClient(timeout=60) as client:

        async def one(i: int) -> int:
            response = await client.post(f"{base}/v1/ask", json={"question": f"{QUESTION} ({i})"})
            return response.status_code

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def test_sigterm_lets_in_flight_questions_finish(
    corpus_service: QAService, corpus_settings: Settings, tmp_path: Path
) -> None:
    with qa_serve(
        corpus_settings.data_dir, tmp_path / "serve.log", tmp_path, QA_RATE_LIMIT_PER_MINUTE="0"
    ) as server:
        server.wait_until_ready()

        async def scenario() -> list[int]:
            questions = asyncio.ensure_future(ask_many(server.base, IN_FLIGHT))
            await asyncio.sleep(0.5)  # all are received and being answered
            assert not questions.done(), "answered too fast to test shutdown"
            server.proc.send_signal(signal.SIGTERM)
            return await questions

        statuses = asyncio.run(scenario())
        code = server.proc.wait(timeout=30)
    output = server.output()
    assert statuses == [200] * IN_FLIGHT, output
    assert code in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output and "Traceback" not in output
    with pytest.raises(httpx.TransportError):  # and it is gone
        httpx.get(f"{server.base}/healthz", timeout=2)
