"""The HTTP API over the ingested corpus: documents, errors, health and the schema over a store
with a fake embedder (fast); answers with exact citations over the real model, and `qa serve` as
a real process (slow)."""

from __future__ import annotations

import gc
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.pipeline import ingest_paths
from qa.service import QAService, build_service
from qa.settings import Settings
from tests.helpers.corpus import CORPUS_DIR, CORPUS_DOCS, make_settings
from tests.helpers.fakes import FakeEmbedder, FakeService
from tests.helpers.http import error_of
from tests.helpers.servers import qa_serve

QUESTION = "How many jobs will the lab in Singapore create?"


@pytest.fixture(scope="module")
def answering_client(corpus_service: QAService, corpus_settings: Settings) -> Iterator[TestClient]:
    """The app over the session's store of corpus/ and the real model, lifespan included."""
    with TestClient(create_app(corpus_settings, service=corpus_service)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The app over corpus/ ingested with a fake embedder, without its lifespan (which would load
    the models): for every route and error that needs no answer."""
    settings = make_settings(tmp_path_factory.mktemp("app") / "data", analyse_at_ingest=False)
    service = build_service(settings, FakeEmbedder())
    assert not ingest_paths([CORPUS_DIR], service.store, service.lexical).failures
    return TestClient(create_app(settings, service=service))


@pytest.mark.slow
def test_ask_answers_with_exact_citations(answering_client: TestClient) -> None:
    response = answering_client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["abstained"] is False
    assert "200" in answer["text"]
    assert 0.0 <= answer["confidence"] <= 1.0 and answer["latency_ms"] > 0
    assert answer["citations"]
    first = answer["citations"][0]
    assert first["doc_id"] == "openai-for-singapore"
    assert first["answer_start"] is not None
    for citation in answer["citations"]:
        doc = answering_client.get(f"/v1/documents/{citation['doc_id']}")
        assert doc.status_code == 200
        text = doc.json()["text"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        if citation["answer_start"] is not None:
            assert citation["start"] <= citation["answer_start"] < citation["answer_end"] <= citation["end"]
    doc_text = answering_client.get(f"/v1/documents/{first['doc_id']}").json()["text"]
    assert doc_text[first["answer_start"] : first["answer_end"]] == answer["text"]


@pytest.mark.slow
def test_ask_with_top_k_and_filters(answering_client: TestClient) -> None:
    response = answering_client.post(
        "/v1/ask",
        json={
            "question": QUESTION,
            "top_k": 3,
            "filters": {"doc_ids": ["sorell-tokyo-ai-drug-discovery-lab"]},
        },
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer["retrieved_doc_ids"]) <= {"sorell-tokyo-ai-drug-discovery-lab"}
    assert all(c["doc_id"] == "sorell-tokyo-ai-drug-discovery-lab" for c in answer["citations"])


@pytest.mark.slow
def test_a_filter_matching_nothing_abstains(answering_client: TestClient) -> None:
    response = answering_client.post("/v1/ask", json={"question": QUESTION, "filters": {"source": "Nobody"}})
    assert response.status_code == 200
    assert response.json()["abstained"] is True and response.json()["citations"] == []


def test_list_documents(client: TestClient) -> None:
    response = client.get("/v1/documents")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == CORPUS_DOCS and len(body["documents"]) == CORPUS_DOCS
    ids = [d["doc_id"] for d in body["documents"]]
    assert ids == sorted(ids) and "openai-for-singapore" in ids
    assert set(body["documents"][0]) == {"doc_id", "title", "source", "date", "url"}
    page = client.get("/v1/documents", params={"limit": 5, "offset": 17}).json()
    assert [d["doc_id"] for d in page["documents"]] == ids[17:]
    assert (page["limit"], page["offset"], page["total"]) == (5, 17, CORPUS_DOCS)
    assert body["next_cursor"] is None and page["next_cursor"] is None  # last pages
    walked, cursor = [], None
    while True:  # by cursor, 7 at a time: every document once, in order
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/documents", params=params).json()
        walked += [d["doc_id"] for d in page["documents"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == ids


def test_get_a_document(client: TestClient) -> None:
    body = client.get("/v1/documents/openai-for-singapore").json()
    assert body["title"] == "OpenAI and Singapore: A Strategic Partnership in AI"
    assert body["date"] == "2025-05-21" and body["source"] == "Brief IA"
    assert "over 200 technical positions" in body["text"]
    assert "Gratuit" not in body["text"]  # cleaned text, not the raw file


def test_an_unknown_document_is_a_404(client: TestClient) -> None:
    error = error_of(client.get("/v1/documents/no-such-doc"), 404, "not_found")
    assert "no-such-doc" in error["message"]
    error_of(client.get("/v1/documents/a/b/c"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"question": ""}, 400, "must not be empty"),
        ({"question": "   \n\t "}, 400, "must not be empty"),
        ({"question": "x" * 2001}, 400, "at most 2000"),
        ({"question": "x" * 200_000}, 422, "question"),
        ({"question": 123}, 422, "question"),
        ({"question": None}, 422, "question"),
        ({"question": ["a"]}, 422, "question"),
        ({}, 422, "'question' is required"),
        ({"question": QUESTION, "extra": 1}, 422, "unknown field 'extra'"),
        ({"question": QUESTION, "top_k": 0}, 400, "top_k must be between 1 and 50, got 0"),
        ({"question": QUESTION, "top_k": 51}, 400, "got 51"),
        ({"question": QUESTION, "top_k": -1}, 400, "got -1"),
        ({"question": QUESTION, "top_k": 10**30}, 400, "top_k"),
        ({"question": QUESTION, "top_k": "many"}, 422, "top_k"),
        ({"question": QUESTION, "top_k": 2.5}, 422, "top_k"),
        ({"question": QUESTION, "filters": {"date_from": "yesterday"}}, 400, "ISO 8601"),
        ({"question": QUESTION, "filters": {"date_to": "2025-02-30"}}, 400, "ISO 8601"),
        ({"question": QUESTION, "filters": {"date_from": 2025}}, 422, "date_from"),
        ({"question": QUESTION, "filters": {"colour": "red"}}, 422, "unknown field 'filters.colour'"),
        ({"question": QUESTION, "filters": {"doc_ids": "openai"}}, 422, "doc_ids"),
        ({"question": QUESTION, "filters": {"doc_ids": [f"d{i}" for i in range(101)]}}, 422, "doc_ids"),
        ({"question": QUESTION, "filters": "recent"}, 422, "filters"),
        ([QUESTION], 422, None),
    ],
)
def test_bad_requests_are_4xx_that_say_what_to_fix(
    client: TestClient, body: Any, status: int, needle: str | None
) -> None:
    error = error_of(client.post("/v1/ask", json=body), status)
    if needle:
        assert needle in error["message"]


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        ('{"question": "unterminated', {"content-type": "application/json"}),
        ("", {"content-type": "application/json"}),
        ("question=hi", {"content-type": "application/x-www-form-urlencoded"}),
        ("\xff\xfe", {"content-type": "application/json"}),
    ],
)
def test_a_body_that_is_not_json_is_a_422(client: TestClient, content: str, headers: dict[str, str]) -> None:
    error_of(client.post("/v1/ask", content=content.encode("latin-1"), headers=headers), 422)


@pytest.mark.slow
@pytest.mark.parametrize(
    "question", ["\x00\x01 jobs?", "🤖" * 50, "<script>alert(1)</script>", "SELECT * FROM docs; --", "?"]
)
def test_odd_questions_are_answered_or_abstained_never_500(
    answering_client: TestClient, question: str
) -> None:
    response = answering_client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["abstained"], bool)


def test_document_list_parameters_are_checked(client: TestClient) -> None:
    error_of(client.get("/v1/documents", params={"limit": 0}), 422)
    error_of(client.get("/v1/documents", params={"limit": "ten"}), 422)
    error_of(client.get("/v1/documents", params={"offset": -1}), 422)


def test_unknown_routes_and_methods(client: TestClient) -> None:
    error_of(client.get("/v1/nothing"), 404, "not_found")
    error_of(client.get("/v1/ask"), 405, "method_not_allowed")


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["documents"] == CORPUS_DOCS


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "swagger" in client.get("/docs").text.lower()
    schema = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/documents", "/v1/documents/{doc_id}", "/healthz", "/readyz"} <= set(
        schema["paths"]
    )


def test_what_is_loaded_at_start_is_left_out_of_garbage_collection(tmp_path: Path) -> None:
    """The collector's full passes over the models' objects held every request for 100-220 ms."""
    gc.unfreeze()
    app = create_app(make_settings(tmp_path / "data"), cast(QAService, FakeService()))
    with TestClient(app) as started:
        assert gc.get_freeze_count() > 0
        assert started.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0  # the app's stop hands them back


@pytest.mark.slow
def test_an_unreachable_store_is_a_503(tmp_path: Path, embedder: Any) -> None:
    settings = make_settings(tmp_path, chroma_url="http://127.0.0.1:1")
    # Without the context manager the lifespan (which would fail to warm up) does not run.
    client = TestClient(create_app(settings, service=build_service(settings, embedder)))
    assert client.get("/healthz").status_code == 200
    error_of(client.get("/readyz"), 503, "store_unavailable")
    error_of(client.post("/v1/ask", json={"question": QUESTION}), 503, "store_unavailable")
    error_of(client.get("/v1/documents"), 503, "store_unavailable")


# -- `qa serve`, a real server process -------------------------------------------------------


@pytest.mark.slow
def test_qa_serve_answers_and_stops_cleanly_on_sigterm(
    corpus_service: QAService, corpus_settings: Settings, tmp_path: Path
) -> None:
    with qa_serve(corpus_settings.data_dir, tmp_path / "serve.log", tmp_path, QA_LOG_LEVEL="info") as server:
        server.wait_until_ready()
        base = server.base
        assert httpx.get(f"{base}/readyz").json()["documents"] == CORPUS_DOCS
        answer = httpx.post(f"{base}/v1/ask", json={"question": QUESTION}, timeout=60).json()
        assert "200" in answer["text"] and answer["citations"][0]["doc_id"] == "openai-for-singapore"
        bad = httpx.post(f"{base}/v1/ask", json={"question": ""})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
        assert httpx.get(f"{base}/widget.js").status_code == 200
        code = server.stop()
    output = server.output()
    # uvicorn shuts down gracefully, then re-raises the signal so the parent sees it (a clean
    # exit for process managers such as systemd).
    assert code in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output and "Finished server process" in output
    assert f"Serving on {server.base}/" in output
    assert "Traceback" not in output and "ERROR" not in output
