"""Hardening (issue 14): one request never stalls the server; a cap on questions in flight.

These run the app under uvicorn on a loopback port in a thread, around a fake service: the
conversation rules and the middleware are real, answering is not needed."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from qa.service import QAService
from qa.types import Answer
from tests.helpers.corpus import make_settings
from tests.helpers.fakes import FakeService


def serve(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, in a thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def fake(tmp_path_factory: pytest.TempPathFactory) -> FakeService:
    return FakeService()


@pytest.fixture
def base(fake: FakeService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("data"), max_questions_in_flight=2)
    yield from serve(create_app(settings, cast(QAService, fake)))


@pytest.fixture
def one_thread_base(fake: FakeService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("data"), answer_threads=1)
    yield from serve(create_app(settings, cast(QAService, fake)))


def test_questions_wait_for_an_answer_thread_and_other_routes_do_not(
    one_thread_base: str, fake: FakeService
) -> None:
    fake.gate.clear()
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=one_thread_base, timeout=30) as client:
        first = pool.submit(client.post, "/v1/ask", json={"question": "First?"})
        assert fake.entered.acquire(timeout=10)
        second = pool.submit(client.post, "/v1/ask", json={"question": "Second?"})
        assert not fake.entered.acquire(timeout=0.5)  # waiting for the one answer thread
        assert client.get("/v1/documents").status_code == 200  # a sync route still has a thread
        fake.gate.set()
        assert first.result().status_code == 200 and second.result().status_code == 200


def doubling_conversation() -> list[dict[str, str]]:
    """The audit's body: a subject of 100 words, then "it it" follow-ups (20 messages, ~600 bytes)."""
    return [{"role": "user", "content": " ".join(["Acme"] * 100)}] + [
        {"role": "user", "content": "it it"} for _ in range(19)
    ]


def test_a_doubling_conversation_is_answered_at_once_and_health_answers_meanwhile(base: str) -> None:
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=base, timeout=60) as client:
        chat = pool.submit(client.post, "/v1/chat", json={"messages": doubling_conversation()})
        health = pool.submit(client.get, "/healthz")
        assert health.result().status_code == 200
        response = chat.result()
    # Before the fix this took minutes and gigabytes (the question doubled at every message) and
    # ended in a 400; now the substituted subject is bounded, so it is an ordinary short question.
    assert response.status_code == 200, response.text
    assert len(response.json()["rewritten_question"]) < 200


def test_questions_past_the_in_flight_cap_get_503_with_retry_after(base: str, fake: FakeService) -> None:
    fake.gate.clear()
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=base, timeout=30) as client:
        held = [pool.submit(client.post, "/v1/ask", json={"question": f"Question {i}?"}) for i in range(2)]
        for _ in held:
            assert fake.entered.acquire(timeout=10)
        refused = client.post("/v1/ask", json={"question": "One too many?"})
        assert client.get("/healthz").status_code == 200
        fake.gate.set()
        assert [f.result().status_code for f in held] == [200, 200]
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "busy"
    assert "QA_MAX_QUESTIONS_IN_FLIGHT" in refused.json()["error"]["message"]


# -- who is a client (rate limits) ----------------------------------------------------------------
ASK = {"question": "How many jobs?"}


def limited_app(tmp_path: Path, **settings: Any) -> FastAPI:
    overrides = {"rate_limit_per_minute": 10, "admin_key": SecretStr("right-key"), **settings}
    return create_app(make_settings(tmp_path / "data", **overrides), cast(QAService, FakeService()))


def statuses(client: TestClient, count: int, **kwargs: Any) -> list[int]:
    return [client.post("/v1/ask", json=ASK, **kwargs).status_code for _ in range(count)]


def test_x_forwarded_for_from_an_untrusted_peer_does_not_make_a_new_client(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path), client=("127.0.0.1", 5000)) as client:
        codes = [
            client.post("/v1/ask", json=ASK, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(12)
        ]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]


def test_a_trusted_proxy_names_the_client_and_cannot_be_bypassed(tmp_path: Path) -> None:
    app = limited_app(tmp_path, forwarded_allow_ips="10.0.0.0/8")
    with TestClient(app, client=("10.1.2.3", 5000)) as proxy:
        # Each end user behind the proxy has a budget of their own ...
        assert statuses(proxy, 10, headers={"X-Forwarded-For": "198.51.100.1"}) == [200] * 10
        assert statuses(proxy, 1, headers={"X-Forwarded-For": "198.51.100.1"}) == [429]
        assert statuses(proxy, 1, headers={"X-Forwarded-For": "198.51.100.2"}) == [200]
        # ... and a forged left-most hop changes nothing: the proxy appended the real one.
        forged = {"X-Forwarded-For": "192.0.2.99, 198.51.100.1"}
        assert statuses(proxy, 1, headers=forged) == [429]


def test_ipv6_clients_are_bucketed_by_their_64(tmp_path: Path) -> None:
    app = limited_app(tmp_path)
    with TestClient(app, client=("2001:db8::1", 5000)) as first:
        assert statuses(first, 10) == [200] * 10
    with TestClient(app, client=("2001:db8::ffff:2", 5000)) as same_64:
        assert statuses(same_64, 1) == [429]
    with TestClient(app, client=("2001:db8:0:1::1", 5000)) as other_64:
        assert statuses(other_64, 1) == [200]


def test_a_wildcard_proxy_list_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="'\\*' would let every client pick its own address"):
        make_settings(tmp_path, forwarded_allow_ips="127.0.0.1, *")
    with pytest.raises(ValidationError, match="'proxy' is not an IP address or network"):
        make_settings(tmp_path, forwarded_allow_ips="proxy")
    result = CliRunner().invoke(
        cli, ["serve", "--forwarded-allow-ips", "*"], env={"QA_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "QA_FORWARDED_ALLOW_IPS" in result.output and "'*'" in result.output


def test_wrong_admin_keys_are_rate_limited(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path)) as client:
        codes = [
            client.delete("/v1/documents/x", headers={"X-Admin-Key": f"guess-{i}"}).status_code
            for i in range(30)
        ]
        locked = client.delete("/v1/documents/x", headers={"X-Admin-Key": "right-key"})
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "wrong admin keys" in locked.json()["error"]["message"]


def test_listing_documents_shares_the_question_budget(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path, rate_limit_per_minute=2)) as client:
        assert client.get("/v1/documents").status_code == 200
        assert client.post("/v1/ask", json=ASK).status_code == 200
        assert client.get("/v1/documents").status_code == 429


# -- the paid model -----------------------------------------------------------------------------
LLM = {"llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "paid"}


def test_with_an_llm_configured_requests_cannot_switch_to_it_by_default(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path, **LLM)) as client:
        refused = client.post("/v1/ask", json={**ASK, "answerer": "llm", "top_k": 50})
    assert refused.status_code == 400
    assert "QA_ALLOW_ANSWERER_OVERRIDE" in refused.json()["error"]["message"]
    assert make_settings(tmp_path).answerer_override_allowed  # no llm: nothing to protect


def test_the_llm_answerer_takes_a_bounded_top_k(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path, allow_answerer_override=True, **LLM)) as client:
        refused = client.post("/v1/ask", json={**ASK, "answerer": "llm", "top_k": 50})
        chat = {"messages": [{"role": "user", "content": "Why?"}], "answerer": "llm", "top_k": 9}
        refused_chat = client.post("/v1/chat", json=chat)
        assert client.post("/v1/ask", json={**ASK, "top_k": 50}).status_code == 200  # extractive: as before
    assert refused.status_code == 400 and refused_chat.status_code == 400
    assert "at most 8 (QA_LLM_MAX_TOP_K), got 50" in refused.json()["error"]["message"]


def test_answers_are_counted_by_answerer_in_metrics(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path)) as client:
        client.post("/v1/ask", json=ASK)
        client.post("/v1/chat", json={"messages": [{"role": "user", "content": "How many jobs?"}]})
        metrics = client.get("/metrics").text
    assert 'qa_answers_total{answerer="extractive"} 2.0' in metrics


# -- unexpected errors, documents -----------------------------------------------------------------
class FailingService(FakeService):
    def ask(self, *args: Any, **kwargs: Any) -> Answer:
        raise RuntimeError("a bug\nover two lines")


def test_an_unexpected_error_is_json_with_a_request_id_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(tmp_path / "data"), cast(QAService, FailingService()))
    with (
        caplog.at_level(logging.INFO, logger="api"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        response = client.post("/v1/ask", json=ASK)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    lines = [r for r in caplog.records if r.name == "api"]
    assert len(lines) == 1 and lines[0].levelname == "ERROR" and "\n" not in lines[0].getMessage()
    assert error["request_id"] in lines[0].getMessage() and "RuntimeError" in lines[0].getMessage()


ADMIN = {"X-Admin-Key": "right-key"}
DEEP = "---\ndoc_id: deep\nnested: " + "[" * 2000 + "]" * 2000 + "\n---\nBody text here.\n"


def test_front_matter_nested_2000_deep_is_a_400_not_a_500(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path)) as client:
        response = client.post("/v1/documents", headers=ADMIN, files={"file": ("deep.md", DEEP.encode())})
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("doc_id", "reason"),
    [("a\u0000b", "U+0000"), ("tab\u202eexe", "U+202E"), ("cafe\u0301", "normal form NFC")],
)
def test_doc_ids_with_control_characters_or_unnormalised_are_a_400_that_says_why(
    tmp_path: Path, doc_id: str, reason: str
) -> None:
    with TestClient(limited_app(tmp_path)) as client:
        created = client.post(
            "/v1/documents", headers=ADMIN, json={"doc_id": doc_id, "title": "T", "text": "x"}
        )
        fetched = client.get(f"/v1/documents/{quote(doc_id)}")
    for response in (created, fetched):
        assert response.status_code == 400, response.text
        assert reason in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "  JavaScript:void(0)", "//x"]
)
def test_a_document_url_that_is_not_http_is_refused_on_upload(tmp_path: Path, url: str) -> None:
    with TestClient(limited_app(tmp_path)) as client:
        response = client.post(
            "/v1/documents", headers=ADMIN, json={"title": "T", "text": "Some text.", "url": url}
        )
    assert response.status_code == 400, response.text
    assert "only http(s) links are kept" in response.json()["error"]["message"]


# -- /docs offline --------------------------------------------------------------------------------
def test_the_docs_page_loads_its_assets_from_this_server_under_a_csp(tmp_path: Path) -> None:
    with TestClient(limited_app(tmp_path)) as client:
        page = client.get("/docs")
        script = client.get("/docs-assets/swagger-ui-bundle.js")
        css = client.get("/docs-assets/swagger-ui.css")
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    assert 'src="/docs-assets/swagger-ui-bundle.js"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in policy and "default-src 'none'" in policy
    assert script.status_code == 200 and len(script.content) > 100_000
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


@pytest.mark.slow
def test_the_docs_page_renders_offline_in_a_browser_without_csp_violations(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    for base_url in serve(limited_app(tmp_path)):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            page = browser.new_page()
            page.on(
                "console",
                lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())  # offline
            page.goto(f"{base_url}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            title = page.inner_text(".swagger-ui .info .title")
            operations = page.locator(".opblock").count()
            browser.close()
    assert "Announcements QA" in title and operations >= 5
    assert violations == []
