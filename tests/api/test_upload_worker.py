"""POST /v1/documents with uploads prepared in a real worker process (a fake embedder in it, a
real Chroma on tmp_path): stored as in process; a worker that dies is a 500 JSON error with a
request id, the server keeps serving and the next upload gets a new worker; the app's lifespan
stops the worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.preparation import LocalPreparer, load_upload
from ingest.worker import IngestWorker
from qa.service import QAService, build_service
from tests.helpers.corpus import make_settings
from tests.helpers.fakes import FakeEmbedder, FakeService
from tests.helpers.http import error_of
from tests.helpers.preparers import CRASH, fake_preparer

KEY = "worker-admin-key"
AUTH = {"X-Admin-Key": KEY}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app over a fake-embedder store, its uploads prepared by a worker (no lifespan: that
    would load spaCy for the answerer)."""
    settings = make_settings(
        tmp_path_factory.mktemp("worker") / "data", admin_key=KEY, analyse_at_ingest=False, ingest_worker=True
    )
    application = create_app(settings, build_service(settings, FakeEmbedder()))
    worker = application.state.upload_preparer = IngestWorker(fake_preparer)
    yield application
    worker.close()


def test_an_upload_prepared_by_the_worker_is_stored_and_kept(app: FastAPI) -> None:
    client = TestClient(app)
    body = {
        "doc_id": "harbour",
        "title": "Harbour",
        "text": "Port Velmar opened a harbour.\n\nIt cost 48 million euros.",
    }
    response = client.post("/v1/documents", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "created" and response.json()["chunks"] >= 1
    worker = cast(IngestWorker, app.state.upload_preparer)
    assert worker.pid is not None and worker.pid != os.getpid()
    service = cast(QAService, app.state.service)
    assert service.store.get_document("harbour").text.startswith("Port Velmar")
    assert client.post("/v1/documents?replace=true", json=body, headers=AUTH).json()["status"] == "unchanged"
    error_of(client.post("/v1/documents", json=body, headers=AUTH), 409, "duplicate_document")
    bad = {"title": "Bad", "text": "Text.", "url": "javascript:alert(1)"}
    assert "url" in error_of(client.post("/v1/documents", json=bad, headers=AUTH), 400)["message"]


def test_a_worker_that_dies_is_a_500_with_a_request_id_and_the_next_upload_works(app: FastAPI) -> None:
    client = TestClient(app)
    body = {"doc_id": "doomed", "title": "Doomed", "text": f"This one stops the worker. {CRASH}"}
    response = client.post("/v1/documents", json=body, headers=AUTH)
    error = error_of(response, 500, "ingest_worker_failed")
    assert "exit code 3" in error["message"] and "nothing was stored" in error["message"]
    assert error["request_id"] and response.headers["x-request-id"] == error["request_id"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/v1/documents/doomed").status_code == 404
    body = {"doc_id": "after", "title": "After", "text": "The next upload gets a new worker."}
    assert client.post("/v1/documents", json=body, headers=AUTH).status_code == 201


def test_the_lifespan_stops_the_worker(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", admin_key=KEY, ingest_worker=True)
    application = create_app(settings, cast(QAService, FakeService()))
    worker = IngestWorker(fake_preparer)
    with TestClient(application):
        application.state.upload_preparer = worker
        worker.prepare(load_upload(staged(tmp_path), max_bytes=1000, chunk_size=900, overlap=1))  # starts it
        pid = worker.pid
        assert pid is not None
    assert worker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def staged(folder: Path) -> Path:
    path = folder / "note.md"
    path.write_text("A note.\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("enabled", [True, False])
def test_the_app_makes_its_preparer_on_the_first_upload_and_a_worker_only_when_asked(
    tmp_path: Path, enabled: bool
) -> None:
    settings = make_settings(tmp_path / "data", admin_key=KEY, ingest_worker=enabled)
    application = create_app(settings, build_service(settings, FakeEmbedder()))
    assert getattr(application.state, "upload_preparer", None) is None
    client = TestClient(application)
    response = client.post("/v1/documents", content=b"x", headers={**AUTH, "Content-Type": "text/plain"})
    error_of(response, 415)  # refused before anything is prepared
    preparer = application.state.upload_preparer
    assert isinstance(preparer, IngestWorker if enabled else LocalPreparer)
    if isinstance(preparer, IngestWorker):
        assert preparer.pid is None  # made, not started: no process before it has work
