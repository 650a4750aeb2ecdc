"""Who may write, and abuse: the admin key, rate limits, body and header limits, time limits,
security headers, CORS, /metrics, and secrets kept out of logs, errors and metrics.

Over a fake service (fast); the write routes over a real store are in test_admin.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.security import MAX_HEADER_BYTES, RateLimiter
from qa.errors import NotFound, StoreUnavailable
from qa.service import QAService, validate_question
from qa.settings import Settings
from qa.store import Filters
from qa.types import Answer, Article
from tests.conftest import make_settings

ADMIN_KEY = "admin-sentinel-7d1f0c"
LLM_KEY = "llm-sentinel-93ab2e"
ASK = {"question": "How many jobs?"}
CHAT = {"messages": [{"role": "user", "content": "How many jobs?"}]}


class FakeStore:
    def __init__(self) -> None:
        self.down = False

    def counts(self) -> tuple[int, int]:
        if self.down:
            raise StoreUnavailable("the Chroma store cannot be reached (test)")
        return 3, 7

    def get_document(self, doc_id: str) -> Article:
        raise NotFound(f"no document with doc_id {doc_id!r}")


class FakeService:
    """Answers at once (or after ``delay`` seconds) with the question echoed."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.store = FakeStore()

    def warm_up(self) -> None:
        pass

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        context: str = "",
    ) -> Answer:
        time.sleep(self.delay)
        return Answer(text=f"echo: {validate_question(question)}", abstained=False, confidence=0.5)


def app_client(tmp_path: Path, service: Any = None, **overrides: Any) -> TestClient:
    settings = make_settings(tmp_path / "data", **overrides)
    return TestClient(create_app(settings, cast(QAService, service or FakeService())))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path, admin_key=ADMIN_KEY, llm_api_key=LLM_KEY) as test_client:
        yield test_client


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    return message


# -- the admin key ------------------------------------------------------------------------------
def test_without_a_configured_key_writes_are_disabled_not_open(tmp_path: Path) -> None:
    with app_client(tmp_path) as client:
        for response in (
            client.post("/v1/documents", json={"title": "T", "text": "Body."}),
            client.post("/v1/documents", json={"title": "T", "text": "Body."}, headers={"X-Admin-Key": ""}),
            client.delete("/v1/documents/some-doc", headers={"Authorization": "Bearer anything"}),
        ):
            assert "set QA_ADMIN_KEY" in error_of(response, 403, "writes_disabled")


@pytest.mark.parametrize(
    ("headers", "needle"),
    [
        ({}, "X-Admin-Key"),
        ({"X-Admin-Key": ""}, "X-Admin-Key"),
        ({"Authorization": "Basic " + ADMIN_KEY}, "Bearer"),
        ({"X-Admin-Key": "wrong"}, "wrong"),
        ({"X-Admin-Key": ADMIN_KEY[:-1]}, "wrong"),
        ({"X-Admin-Key": ADMIN_KEY + "x"}, "wrong"),
        ({"Authorization": "Bearer wrong"}, "wrong"),
        ({"X-Admin-Key": "ключ".encode()}, "wrong"),  # not ASCII: compared as bytes, no crash
    ],
)
def test_writes_need_the_right_key(client: TestClient, headers: dict[str, Any], needle: str) -> None:
    for response in (
        client.post("/v1/documents", json={"title": "T", "text": "Body."}, headers=headers),
        client.delete("/v1/documents/some-doc", headers=headers),
    ):
        message = error_of(response, 401, "unauthorized")
        assert needle in message and ADMIN_KEY not in message
        assert response.headers["www-authenticate"] == "Bearer"


def test_the_key_is_checked_before_the_body_is_read(client: TestClient) -> None:
    # A wrong key gets 401, not a complaint about the (unread, invalid) body.
    response = client.post(
        "/v1/documents",
        content=b"\xff" * 100,
        headers={"content-type": "application/json", "X-Admin-Key": "x"},
    )
    error_of(response, 401, "unauthorized")


def test_the_key_in_the_query_string_is_not_accepted(client: TestClient) -> None:
    response = client.post(f"/v1/documents?admin_key={ADMIN_KEY}", json={"title": "T", "text": "Body."})
    error_of(response, 401, "unauthorized")


# -- rate limits ----------------------------------------------------------------------------------
def test_questions_are_rate_limited_per_client_with_retry_after(tmp_path: Path) -> None:
    with app_client(tmp_path, rate_limit_per_minute=3) as client:
        assert client.post("/v1/ask", json=ASK).status_code == 200
        assert client.post("/v1/chat", json=CHAT).status_code == 200  # one budget for both routes
        assert client.post("/v1/ask", json=ASK).status_code == 200
        refused = client.post("/v1/ask", json=ASK)
        message = error_of(refused, 429, "rate_limited")
        assert "QA_RATE_LIMIT_PER_MINUTE" in message and "3 per minute" in message
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        error_of(client.post("/v1/chat", json=CHAT), 429, "rate_limited")
        # Other routes are not limited, and another client has its own budget.
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/documents/x").status_code != 429
        other = TestClient(client.app, client=("192.0.2.7", 40000))
        assert other.post("/v1/ask", json=ASK).status_code == 200
        metrics = client.get("/metrics").text
        assert 'qa_http_requests_total{method="POST",route="/v1/ask",status="429"} 1.0' in metrics


def test_a_zero_rate_limit_means_no_limit(tmp_path: Path) -> None:
    with app_client(tmp_path, rate_limit_per_minute=0) as client:
        assert all(client.post("/v1/ask", json=ASK).status_code == 200 for _ in range(30))


def test_the_rate_limiter_refills_evenly_and_bounds_its_memory() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=3, max_clients=2, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(20.0)  # one request every 20 s
    now[0] = 20.0
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    limiter.acquire("b")
    limiter.acquire("c")  # evicts "a", the least recently seen
    assert set(limiter._buckets) == {"b", "c"}


# -- body, headers, time -----------------------------------------------------------------------------
def test_a_body_over_the_limit_is_a_413_that_names_the_setting(tmp_path: Path) -> None:
    with app_client(tmp_path, max_body_bytes=2048) as client:
        big = {"question": "x" * 3000}
        message = error_of(client.post("/v1/ask", json=big), 413, "body_too_large")
        assert "2,048-byte limit" in message and "QA_MAX_BODY_BYTES" in message

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
            yield b'{"question": "'
            for _ in range(10):
                yield b"x" * 500
            yield b'"}'

        response = client.post("/v1/chat", content=chunks(), headers={"content-type": "application/json"})
        assert "QA_MAX_BODY_BYTES" in error_of(response, 413, "body_too_large")
        assert client.post("/v1/ask", json={"question": "x" * 1000}).status_code == 200


def test_huge_headers_are_a_431(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Padding": "a" * (MAX_HEADER_BYTES + 1)})
    assert "smaller headers" in error_of(response, 431, "headers_too_large")
    many = {f"X-H{i}": "v" * 100 for i in range(200)}
    error_of(client.post("/v1/ask", json=ASK, headers=many), 431, "headers_too_large")


def test_a_slow_answer_is_a_504_within_the_time_limit(tmp_path: Path) -> None:
    with app_client(tmp_path, service=FakeService(delay=1.5), request_timeout_seconds=0.3) as client:
        started = time.monotonic()
        response = client.post("/v1/ask", json=ASK)
        assert time.monotonic() - started < 1.4
        assert "QA_REQUEST_TIMEOUT_SECONDS" in error_of(response, 504, "timeout")
        assert response.headers["retry-after"]
        error_of(client.post("/v1/chat", json=CHAT), 504, "timeout")
        assert client.get("/healthz").status_code == 200


# -- headers -----------------------------------------------------------------------------------------
def test_every_response_carries_security_headers(client: TestClient) -> None:
    for response in (
        client.get("/healthz"),
        client.post("/v1/ask", json={"question": ""}),
        client.get("/v1/nothing"),
        client.post("/v1/chat", json={**CHAT, "stream": True}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response.headers["cache-control"] in ("no-store", "no-cache")
    demo = client.get("/")
    assert "script-src 'self'" in demo.headers["content-security-policy"]  # its own policy kept
    assert demo.headers["x-frame-options"] == "DENY"
    widget = client.get("/widget.js")
    assert widget.headers["cache-control"] == "max-age=300"
    assert widget.headers["x-content-type-options"] == "nosniff"


def test_cors_allows_only_the_listed_origins_even_on_refusals(tmp_path: Path) -> None:
    allowed = "https://www.example.org"
    with app_client(tmp_path, cors_origins=[allowed], rate_limit_per_minute=1) as client:
        ok = client.post("/v1/ask", json=ASK, headers={"Origin": allowed})
        assert ok.headers["access-control-allow-origin"] == allowed
        refused = client.post("/v1/ask", json=ASK, headers={"Origin": allowed})
        assert refused.status_code == 429
        assert refused.headers["access-control-allow-origin"] == allowed  # the widget can read the 429
        other = client.options(
            "/v1/ask",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers
        delete = client.options(
            "/v1/documents/x", headers={"Origin": allowed, "Access-Control-Request-Method": "DELETE"}
        )
        assert "DELETE" not in delete.headers.get("access-control-allow-methods", "")


# -- /metrics and secrets -------------------------------------------------------------------------
def test_metrics_in_prometheus_text_format(client: TestClient) -> None:
    client.post("/v1/ask", json=ASK)
    client.post("/v1/ask", json={"question": ""})
    client.get("/v1/documents/a/b")
    client.get("/no/such/route")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'qa_http_requests_total{method="POST",route="/v1/ask",status="200"} 1.0' in text
    assert 'qa_http_requests_total{method="POST",route="/v1/ask",status="400"} 1.0' in text
    assert 'route="/v1/documents/{doc_id:path}"' in text and 'route="unmatched"' in text
    assert "/no/such/route" not in text  # labels are templates, never raw paths
    assert 'qa_http_request_duration_seconds_bucket{le="0.1",route="/v1/ask"}' in text
    assert "qa_documents 3.0" in text and "qa_chunks 7.0" in text and "qa_store_up 1.0" in text


def test_metrics_answer_while_the_store_is_down(client: TestClient) -> None:
    cast(Any, client.app).state.service.store.down = True
    response = client.get("/metrics")
    assert response.status_code == 200 and "qa_store_up 0.0" in response.text


def test_secrets_never_appear_in_logs_errors_or_metrics(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings: Settings = cast(Any, client.app).state.settings
    secrets = [getattr(settings, name) for name in type(settings).model_fields if name.endswith("_key")]
    assert {s.get_secret_value() for s in secrets if isinstance(s, SecretStr)} >= {ADMIN_KEY, LLM_KEY}
    seen = [repr(settings), str(settings), settings.model_dump_json()]
    for headers in ({"X-Admin-Key": "nope"}, {"Authorization": "Bearer nope"}, {}):
        seen.append(client.post("/v1/documents", json={"title": 1}, headers=headers).text)
    seen.append(client.post("/v1/ask", json={"question": ADMIN_KEY[:5], "top_k": 0}).text)
    seen.append(client.post("/v1/ask", json={"question": "x", "admin_key": 1}).text)
    seen.append(client.get("/metrics").text)
    seen.append(client.get("/openapi.json").text)
    seen.append(caplog.text)
    for text in seen:
        assert ADMIN_KEY not in text and LLM_KEY not in text
