"""POST /v1/chat through the real app, the real model and a real Chroma store of corpus/
(the session's ``corpus_service``), and its HTTP contract over a fake service."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from api.app import create_app
from api.chat import stream_events
from api.schemas import ChatResponse
from qa.service import QAService
from qa.settings import Settings
from qa.store import Filters
from qa.types import Answer

JOBS = "How many jobs will the lab create?"
JOBS_ANSWER = "over 200 technical positions"


@pytest.fixture(scope="module")
def client(corpus_settings: Settings, corpus_service: QAService) -> Iterator[TestClient]:
    """The app over the session's store of corpus/ (tests/conftest.py), lifespan included."""
    with TestClient(create_app(corpus_settings, corpus_service)) as test_client:
        yield test_client


class EchoService:
    """A fake service that answers with the question it was given: enough for the HTTP contract."""

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
        return Answer(text=f"echo: {question}", abstained=False, confidence=0.5)


@pytest.fixture
def fake_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, cast(QAService, EchoService()))) as test_client:
        yield test_client


def chat(*contents: str) -> dict[str, Any]:
    """A request body of alternating user / assistant messages, starting with the user."""
    roles = ["user", "assistant"]
    return {"messages": [{"role": roles[i % 2], "content": c} for i, c in enumerate(contents)]}


def events_of(client: TestClient, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a streamed answer."""
    with client.stream("POST", "/v1/chat", json={**body, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def error_of(response: Any) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    error: dict[str, str] = body["error"]
    return error


# -- follow-ups -------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_follow_up_is_answered_from_the_conversations_document(client: TestClient) -> None:
    response = client.post("/v1/chat", json=chat(JOBS, JOBS_ANSWER, "And where will it be based?"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["rewritten_question"].startswith("Where will the lab be based?")
    assert answer["retrieved_doc_ids"][0] == "openai-for-singapore"
    assert not answer["abstained"]
    assert "Singapore" in answer["text"]
    citation = answer["citations"][0]
    assert citation["doc_id"] == "openai-for-singapore"
    assert answer["text"] in citation["quote"]


@pytest.mark.slow
def test_a_money_follow_up_retrieves_the_same_article(client: TestClient) -> None:
    answer = client.post("/v1/chat", json=chat(JOBS, JOBS_ANSWER, "How much money is behind it?")).json()
    assert answer["rewritten_question"] == "How much money is behind the lab?"
    # Asked alone, "How much money is behind the lab?" is answered from another lab's article.
    assert "openai-for-singapore" in answer["retrieved_doc_ids"][:3]
    assert all(c["doc_id"] == "openai-for-singapore" for c in answer["citations"])


@pytest.mark.slow
@pytest.mark.parametrize("doc_ids", [None, ["openai-for-singapore"]])
def test_a_follow_up_about_the_initiative_stays_with_the_conversations_article(
    client: TestClient, doc_ids: list[str] | None
) -> None:
    body = chat(JOBS, JOBS_ANSWER, "How much funding is behind the initiative?")
    if doc_ids is not None:  # what the widget sends: the documents of the citations it showed
        body["messages"][1]["doc_ids"] = doc_ids
    answer = client.post("/v1/chat", json=body).json()
    assert answer["rewritten_question"] == "How much funding is behind the initiative?"
    assert not answer["abstained"]
    assert [c["doc_id"] for c in answer["citations"]] == ["openai-for-singapore"] * len(answer["citations"])


@pytest.mark.slow
def test_a_follow_up_the_conversations_documents_cannot_answer_is_asked_over_everything(
    client: TestClient,
) -> None:
    body = chat(JOBS, JOBS_ANSWER, "How many jobs will it create?")
    body["messages"][1]["doc_ids"] = ["no-such-document"]
    answer = client.post("/v1/chat", json=body).json()
    assert not answer["abstained"]
    assert answer["citations"][0]["doc_id"] == "openai-for-singapore"


def test_doc_ids_on_a_user_message_are_refused(fake_client: TestClient) -> None:
    body = chat(JOBS)
    body["messages"][0]["doc_ids"] = ["openai-for-singapore"]
    response = fake_client.post("/v1/chat", json=body)
    assert response.status_code == 400
    assert "only assistant messages carry doc_ids" in error_of(response)["message"]


@pytest.mark.slow
def test_a_new_topic_is_not_rewritten_and_may_abstain(client: TestClient) -> None:
    answer = client.post("/v1/chat", json=chat(JOBS, JOBS_ANSWER, "Who won the 2022 World Cup?")).json()
    assert answer["rewritten_question"] == "Who won the 2022 World Cup?"
    assert answer["abstained"]
    assert answer["citations"] == []
    assert answer["related"]


@pytest.mark.slow
def test_the_json_answer_is_an_answer_plus_the_rewritten_question(client: TestClient) -> None:
    answer = client.post("/v1/chat", json=chat(JOBS)).json()
    assert set(answer) == set(ChatResponse.model_fields)
    assert answer["rewritten_question"] == JOBS


# -- streaming --------------------------------------------------------------------------------
@pytest.mark.slow
def test_streamed_events_come_as_citations_deltas_done(client: TestClient) -> None:
    events = events_of(client, chat(JOBS, JOBS_ANSWER, "And where will it be based?"))
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) >= 3
    first, done = events[0][1], events[-1][1]
    assert first["rewritten_question"] == done["rewritten_question"]
    assert first["citations"] == done["citations"] and done["citations"]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["text"]
    assert "Singapore" in done["text"]
    ChatResponse.model_validate(done)


@pytest.mark.slow
def test_a_streamed_abstention_says_so_and_offers_related_articles(client: TestClient) -> None:
    events = events_of(client, chat("Who won the 2022 World Cup?"))
    assert events[0] == ("citations", {"citations": [], "rewritten_question": "Who won the 2022 World Cup?"})
    done = events[-1][1]
    assert done["abstained"] and done["text"] == "The announcements don't say."
    assert done["related"]


@pytest.mark.slow
def test_a_stream_can_be_closed_early(client: TestClient) -> None:
    with client.stream("POST", "/v1/chat", json={**chat(JOBS), "stream": True}) as response:
        first = next(response.iter_lines())
    assert first == "event: citations"
    assert client.get("/healthz").status_code == 200  # the app carries on


def test_twenty_messages_and_eight_thousand_characters_are_accepted(fake_client: TestClient) -> None:
    messages = [
        {"role": "assistant", "content": "Hi."},
        *chat(*["Where is it?", "Here."] * 9, "Who won the 2022 World Cup?")["messages"],
    ]
    messages[1]["content"] += "x" * (8000 - sum(len(m["content"]) for m in messages))
    assert len(messages) == 20 and sum(len(m["content"]) for m in messages) == 8000
    response = fake_client.post("/v1/chat", json={"messages": messages})
    assert response.status_code == 200
    assert response.json()["text"] == "echo: Who won the 2022 World Cup?"


def test_the_stream_frames_the_answer_as_events(fake_client: TestClient) -> None:
    events = events_of(fake_client, chat("How many  jobs?\nAsk again."))
    names = [name for name, _ in events]
    done = events[-1][1]
    assert done["text"] == "echo: How many jobs? Ask again."
    assert names == ["citations", *["delta"] * len(done["text"].split()), "done"]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["text"]


def test_the_generator_stops_once_the_client_has_gone() -> None:
    calls = 0

    class GoneAfterFirstEvent(Request):
        async def is_disconnected(self) -> bool:
            nonlocal calls
            calls += 1
            return calls > 1

    response = ChatResponse(
        text="over 200 technical positions", abstained=False, confidence=0.9, rewritten_question="q"
    )
    request = GoneAfterFirstEvent({"type": "http", "method": "POST", "headers": []})

    async def collect() -> list[str]:
        return [event async for event in stream_events(response, request)]

    sent = asyncio.run(collect())
    assert len(sent) == 1 and sent[0].startswith("event: citations\n")


# -- limits and errors ------------------------------------------------------------------------
def test_more_than_twenty_messages_are_refused(fake_client: TestClient) -> None:
    response = fake_client.post("/v1/chat", json=chat(*["Where is it?", "Here."] * 10, "And now?"))
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "conversation_too_large"
    assert "at most 20 messages, got 21" in error["message"]


def test_more_than_eight_thousand_characters_are_refused(fake_client: TestClient) -> None:
    response = fake_client.post("/v1/chat", json=chat("a" * 6000, "b" * 1000, "c" * 1001))
    assert response.status_code == 413
    assert "at most 8,000 characters in total, got 8,001" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (chat(JOBS, JOBS_ANSWER), 400, "the last message must be from the user"),
        (chat(JOBS, "", "Where?"), 400, "message 2 (assistant) is empty"),
        (chat("   "), 400, "message 1 (user) is empty"),
        ({"messages": []}, 400, "messages must not be empty"),
        ({"messages": [{"role": "system", "content": "hi"}]}, 422, "messages.0.role"),
        ({"messages": [{"role": "user", "content": "hi", "name": "x"}]}, 422, "unknown field"),
    ],
)
def test_malformed_conversations_get_a_4xx_that_says_why(
    fake_client: TestClient, body: dict[str, Any], status: int, message: str
) -> None:
    for stream in (False, True):
        response = fake_client.post("/v1/chat", json={**body, "stream": stream})
        assert response.status_code == status
        assert message in error_of(response)["message"]
