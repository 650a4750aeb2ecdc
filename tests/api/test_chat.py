"""POST /v1/chat through the real app, the real model and a real Chroma store of corpus/
(the session's ``corpus_service``), and its HTTP contract over a fake service."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Generator, Iterator
from typing import Any, ClassVar, cast

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from api.app import create_app
from api.chat import stream_events
from api.schemas import ChatResponse
from qa.service import QAService
from qa.settings import Settings
from qa.types import Answer
from tests.helpers.fakes import FakeService
from tests.helpers.http import chat_events, error_of

JOBS = "How many jobs will the lab in Singapore create?"
FUNDING = "How much funding is behind the initiative?"
JOBS_ANSWER = "over 200 technical positions"


@pytest.fixture(scope="module")
def client(corpus_settings: Settings, corpus_service: QAService) -> Iterator[TestClient]:
    """The app over the session's store of corpus/ (tests/conftest.py), lifespan included."""
    with TestClient(create_app(corpus_settings, corpus_service)) as test_client:
        yield test_client


@pytest.fixture
def fake_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, cast(QAService, FakeService()))) as test_client:
        yield test_client


def chat(*contents: str) -> dict[str, Any]:
    """A request body of alternating user / assistant messages, starting with the user."""
    roles = ["user", "assistant"]
    return {"messages": [{"role": roles[i % 2], "content": c} for i, c in enumerate(contents)]}


# -- follow-ups -------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_follow_up_is_answered_from_the_conversations_document(client: TestClient) -> None:
    # Over every article this question abstains (two initiatives have funding); the conversation's
    # article holds the answer.
    response = client.post("/v1/chat", json=chat(JOBS, JOBS_ANSWER, FUNDING))
    assert response.status_code == 200
    answer = response.json()
    assert answer["rewritten_question"] == FUNDING
    assert answer["retrieved_doc_ids"][0] == "openai-for-singapore"
    assert not answer["abstained"]
    assert "300 million" in answer["text"]
    assert {c["doc_id"] for c in answer["citations"]} == {"openai-for-singapore"}
    # a span lies in its quote; a passage of two sentences is their two quotes
    assert answer["text"] in " ".join(c["quote"] for c in answer["citations"])


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
    assert answer["related"] == []  # no article is on that topic: none is offered


@pytest.mark.slow
def test_the_json_answer_is_an_answer_plus_the_rewritten_question(client: TestClient) -> None:
    answer = client.post("/v1/chat", json=chat(JOBS)).json()
    assert set(answer) == set(ChatResponse.model_fields)
    assert answer["rewritten_question"] == JOBS


# -- streaming --------------------------------------------------------------------------------
@pytest.mark.slow
def test_streamed_events_come_as_citations_deltas_done(client: TestClient) -> None:
    events = chat_events(client, chat(JOBS, JOBS_ANSWER, FUNDING))
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) >= 3
    first, done = events[0][1], events[-1][1]
    assert first["rewritten_question"] == done["rewritten_question"]
    assert first["citations"] == done["citations"] and done["citations"]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["text"]
    assert "300 million" in done["text"]
    ChatResponse.model_validate(done)


@pytest.mark.slow
def test_a_streamed_abstention_says_so_and_offers_related_articles(client: TestClient) -> None:
    unsaid = "Who will lead OpenAI's lab in Singapore?"  # on the seed article's topic; it names no head
    events = chat_events(client, chat(unsaid))
    assert events[0] == ("citations", {"citations": [], "rewritten_question": unsaid})
    done = events[-1][1]
    assert done["abstained"] and done["text"] == "The announcements don't say."
    assert [r["doc_id"] for r in done["related"]][:1] == ["openai-for-singapore"]


@pytest.mark.slow
def test_a_streamed_abstention_off_every_topic_offers_no_related_articles(client: TestClient) -> None:
    done = chat_events(client, chat("Who won the 2022 World Cup?"))[-1][1]
    assert done["abstained"] and done["related"] == []


class LongAnswers(FakeService):
    """Answers with 400 words (400 delta events), or streams them as a model would (``llm``),
    recording how many pieces were taken from the model's stream and whether it was closed."""

    WORDS: ClassVar[list[str]] = [f"word{i}" for i in range(400)]

    def __init__(self) -> None:
        super().__init__()
        self.pieces_taken = 0
        self.stream_closed = False

    def ask(self, question: str, *args: Any, **kwargs: Any) -> Answer:
        return Answer(text=" ".join(self.WORDS), abstained=False, confidence=0.5)

    def ask_stream(self, question: str, *args: Any, **kwargs: Any) -> Generator[str | Answer, None, None]:
        try:
            for word in self.WORDS:
                self.pieces_taken += 1
                yield word + " "
            yield self.ask(question)
        finally:
            self.stream_closed = True


async def leave_after(app: Any, body: dict[str, Any], chunks: int) -> list[bytes]:
    """POST ``body`` to /v1/chat as a client that disconnects once ``chunks`` pieces of the
    response body have arrived; returns what was sent, once the app has returned."""
    data = json.dumps(body).encode()
    sent: list[bytes] = []
    gone = asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": data, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        if message["type"] == "http.response.body" and message.get("body"):
            sent.append(message["body"])
            if len(sent) >= chunks:
                gone.set()

    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat",
        "raw_path": b"/v1/chat",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=20)
    return sent


def test_a_client_that_leaves_mid_stream_gets_no_more_events(settings: Settings) -> None:
    app = create_app(settings, cast(QAService, LongAnswers()))
    sent = asyncio.run(leave_after(app, {**chat(JOBS), "stream": True}, chunks=3))
    received = b"".join(sent)
    assert received.startswith(b"event: citations\n")
    assert 3 <= received.count(b"event: ") < 10, received  # of 402: citations, 400 deltas, done
    assert b"event: done" not in received


def test_a_client_that_leaves_mid_stream_closes_the_model_stream(settings: Settings) -> None:
    service = LongAnswers()
    app = create_app(settings, cast(QAService, service))
    body = {**chat(JOBS), "stream": True, "answerer": "llm"}
    received = b"".join(asyncio.run(leave_after(app, body, chunks=3)))
    assert received.startswith(b"event: delta\n")
    assert b"event: done" not in received
    assert service.stream_closed, "the model's stream must be closed when the client leaves"
    assert service.pieces_taken < 20, service.pieces_taken  # of 400: the model was asked no further


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
    events = chat_events(fake_client, chat("How many  jobs?\nAsk again."))
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
