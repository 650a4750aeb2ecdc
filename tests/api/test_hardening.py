"""Hardening (issue 14): one request never stalls the server; a cap on questions in flight.

These run the app under uvicorn on a loopback port in a thread, around a fake service: the
conversation rules and the middleware are real, answering is not needed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from qa.service import QAService
from qa.store import Filters
from qa.types import Answer
from tests.conftest import make_settings


class BlockingService:
    """Answers with the question, after ``gate`` opens (so questions can be held in flight)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Semaphore(0)

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
        self.entered.release()
        self.gate.wait(timeout=30)
        return Answer(text=f"echo: {question}", abstained=False, confidence=0.5)


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
def fake(tmp_path_factory: pytest.TempPathFactory) -> BlockingService:
    return BlockingService()


@pytest.fixture
def base(fake: BlockingService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("data"), max_questions_in_flight=2)
    yield from serve(create_app(settings, cast(QAService, fake)))


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


def test_questions_past_the_in_flight_cap_get_503_with_retry_after(base: str, fake: BlockingService) -> None:
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
