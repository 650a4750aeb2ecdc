"""The OpenAI-compatible routes, driven by the official ``openai`` client and LangChain's
``ChatOpenAI``: in process over a recording fake service (the HTTP contract and errors), and
against a real ``qa serve`` over the store of corpus/ on loopback (slow)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import httpx
import openai
import pytest
from fastapi.testclient import TestClient
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings
from qa.types import Answer, Citation
from tests.helpers.corpus import make_settings
from tests.helpers.fakes import FakeService
from tests.helpers.llm_server import lab_answer, llm_app, scripted_llm_server
from tests.helpers.servers import ready_qa_serve as qa_serve

JOBS = "How many jobs will the lab in Singapore create?"
CITATION = Citation(
    doc_id="lab",
    title="Lab opens",
    url="https://example.org/lab",
    date="2025-03-04",
    chunk_id="lab:0",
    quote="The lab will create over 200 technical positions.",
    start=0,
    end=50,
)


@pytest.fixture
def fake() -> FakeService:
    """Answers every question with one cited sentence and records what it was asked."""
    answer = Answer(
        text="over 200 technical positions", abstained=False, confidence=0.9, citations=[CITATION]
    )
    return FakeService(answer=answer)


def in_process(settings: Settings, service: FakeService) -> TestClient:
    return TestClient(create_app(settings, cast(QAService, service)))


@pytest.fixture
def client(settings: Settings, fake: FakeService) -> Iterator[openai.OpenAI]:
    """The official client, talking to the app in process (TestClient is an httpx.Client)."""
    with in_process(settings, fake) as http:
        yield openai.OpenAI(
            base_url="http://testserver/v1", api_key="unused", http_client=http, max_retries=0
        )


def test_a_completion_is_the_answer_with_numbered_sources(client: openai.OpenAI, fake: FakeService) -> None:
    completion = client.chat.completions.create(
        model="announcements-qa",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": JOBS}],
        temperature=0.2,
    )
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.choices[0].finish_reason == "stop"
    content = completion.choices[0].message.content
    assert content == (
        "over 200 technical positions [1]\n\nSources:\n"
        "1. [Lab opens](<https://example.org/lab>), 2025-03-04: “The lab will create over 200 technical positions.”"
    )
    extra = completion.model_extra or {}
    assert extra["citations"] == [CITATION.model_dump(mode="json")]
    assert extra["abstained"] is False and extra["rewritten_question"] == JOBS
    assert fake.asked == [(JOBS, None, None, "extractive")]  # the system message is not part of the question


def test_our_options_travel_as_extra_body_fields(client: openai.OpenAI, fake: FakeService) -> None:
    client.chat.completions.create(
        model="announcements-qa-extractive",
        messages=[{"role": "user", "content": [{"type": "text", "text": JOBS}]}],
        extra_body={"top_k": 3, "filters": {"source": "newsroom"}},
    )
    question, top_k, filters, answerer = fake.asked[0]
    assert (question, top_k, answerer) == (JOBS, 3, "extractive")
    assert filters is not None and filters.source == "newsroom"


def test_an_answer_sent_back_is_context_without_its_sources(client: openai.OpenAI, fake: FakeService) -> None:
    first = client.chat.completions.create(
        model="announcements-qa", messages=[{"role": "user", "content": JOBS}]
    )
    client.chat.completions.create(
        model="announcements-qa",
        messages=[
            {"role": "user", "content": JOBS},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": "And where will it be based?"},
        ],
    )
    rewritten = fake.asked[-1][0]
    # The earlier turn travels as context beside the readable question, not inside it.
    assert rewritten.startswith("Where will") and "200" in fake.contexts[-1]
    assert "Sources" not in rewritten and "example" not in rewritten and "[1]" not in rewritten


def test_a_stream_is_chunks_that_join_into_the_same_message(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(
        model="announcements-qa", messages=[{"role": "user", "content": JOBS}]
    )
    chunks = list(
        client.chat.completions.create(
            model="announcements-qa", messages=[{"role": "user", "content": JOBS}], stream=True
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks) and len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks].count("stop") == 1
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"][0]["doc_id"] == "lab"


def test_the_raw_stream_ends_with_done(settings: Settings, fake: FakeService) -> None:
    body = {"model": "announcements-qa", "messages": [{"role": "user", "content": JOBS}], "stream": True}
    with (
        in_process(settings, fake) as http,
        http.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert events[-1] == "data: [DONE]" and all(e.startswith("data: {") for e in events[:-1])


def test_models_lists_the_answerers_this_server_offers(settings: Settings, fake: FakeService) -> None:
    with in_process(settings, fake) as http:
        models = openai.OpenAI(base_url="http://testserver/v1", api_key="x", http_client=http).models.list()
        assert [m.id for m in models.data] == ["announcements-qa", "announcements-qa-extractive"]
    llm = make_settings(
        settings.data_dir, llm_base_url="http://127.0.0.1:9/v1", llm_model="m", allow_answerer_override=True
    )
    with in_process(llm, fake) as http:
        assert "announcements-qa-llm" in [m["id"] for m in http.get("/v1/models").json()["data"]]
    fixed = make_settings(settings.data_dir, allow_answerer_override=False)
    with in_process(fixed, fake) as http:
        assert [m["id"] for m in http.get("/v1/models").json()["data"]] == ["announcements-qa"]


def openai_error(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    return dict(body["error"])


@pytest.mark.parametrize(
    ("kwargs", "error", "code", "words"),
    [
        ({"model": "gpt-4o"}, openai.NotFoundError, "model_not_found", "use one of: announcements-qa"),
        ({"n": 2}, openai.BadRequestError, "invalid_request", "n must be 1"),
        ({"messages": []}, openai.BadRequestError, "invalid_request", "messages must not be empty"),
        (
            {"messages": [{"role": "user", "content": JOBS}, {"role": "assistant", "content": "200"}]},
            openai.BadRequestError,
            "invalid_request",
            "last message",
        ),
        (
            {"messages": [{"role": "tool", "content": "x", "tool_call_id": "1"}]},
            openai.BadRequestError,
            "invalid_request",
            "role 'tool' is not supported",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
            openai.BadRequestError,
            "invalid_request",
            "only text content",
        ),
        (
            {"messages": [{"role": "user", "content": "x" * 9000}]},
            openai.APIStatusError,
            "conversation_too_large",
            "8,000 characters",
        ),
        ({"extra_body": {"top_k": "3"}}, openai.UnprocessableEntityError, "invalid_request", "top_k"),
    ],
)
def test_bad_requests_are_openai_errors_that_say_what_to_fix(
    client: openai.OpenAI, kwargs: dict[str, Any], error: type[openai.APIStatusError], code: str, words: str
) -> None:
    request: dict[str, Any] = {
        "model": "announcements-qa",
        "messages": [{"role": "user", "content": JOBS}],
        **kwargs,
    }
    with pytest.raises(error) as caught:
        client.chat.completions.create(**request)
    body = openai_error(caught.value)
    assert body["code"] == code and words in body["message"]
    assert body["type"] == "invalid_request_error" and caught.value.status_code < 500


def test_the_question_rate_limit_covers_completions(settings: Settings, fake: FakeService) -> None:
    limited = make_settings(settings.data_dir, rate_limit_per_minute=1)
    with in_process(limited, fake) as http:
        client = openai.OpenAI(base_url="http://testserver/v1", api_key="x", http_client=http, max_retries=0)
        client.chat.completions.create(model="announcements-qa", messages=[{"role": "user", "content": JOBS}])
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(
                model="announcements-qa", messages=[{"role": "user", "content": JOBS}]
            )
    body = openai_error(caught.value)
    assert body["type"] == "rate_limit_error" and "QA_RATE_LIMIT_PER_MINUTE" in body["message"]
    assert caught.value.response.headers["retry-after"]


def test_other_routes_keep_our_error_shape(settings: Settings, fake: FakeService) -> None:
    with in_process(settings, fake) as http:
        body = http.post("/v1/ask", json={"question": JOBS, "top_k": "3"}).json()
    assert set(body["error"]) == {"code", "message"}


# -- a real `qa serve` over the store of corpus/ -----------------------------------------------


@pytest.fixture(scope="module")
def server(
    corpus_service: QAService, corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of `qa serve` (a real process on loopback) over the session's corpus store."""
    with qa_serve(corpus_settings.data_dir, tmp_path_factory.mktemp("openai-serve")) as base:
        yield base


@pytest.mark.slow
def test_the_openai_client_against_qa_serve(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused", timeout=120)
    assert "announcements-qa" in [m.id for m in client.models.list()]
    completion = client.chat.completions.create(
        model="announcements-qa", messages=[{"role": "user", "content": JOBS}]
    )
    content = completion.choices[0].message.content or ""
    assert "200" in content.split("\n\n")[0] and "\n\nSources:\n1. " in content
    citations = (completion.model_extra or {})["citations"]
    assert citations[0]["doc_id"] == "openai-for-singapore" and citations[0]["quote"] in content
    stream = client.chat.completions.create(
        model="announcements-qa", messages=[{"role": "user", "content": JOBS}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == content


@pytest.mark.slow
def test_an_abstention_is_an_ordinary_message_with_related_articles(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused", timeout=120)
    completion = client.chat.completions.create(
        model="announcements-qa",
        messages=[{"role": "user", "content": "Who will lead OpenAI's lab in Singapore?"}],
    )
    content = completion.choices[0].message.content or ""
    assert content.startswith("The announcements don't say.\n\nRelated articles:\n1. ")
    assert (completion.model_extra or {})["abstained"] is True


@pytest.mark.slow
def test_langchain_chat_openai_against_qa_serve(server: str) -> None:
    model = ChatOpenAI(base_url=f"{server}/v1", api_key="unused", model="announcements-qa", timeout=120)
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | model | StrOutputParser()
    answer = chain.invoke({"question": JOBS})
    assert "200" in answer and "Sources:" in answer
    assert "".join(chain.stream({"question": JOBS})) == answer


@pytest.mark.slow
def test_a_follow_up_is_answered_in_context(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused", timeout=120)
    first = client.chat.completions.create(
        model="announcements-qa", messages=[{"role": "user", "content": JOBS}]
    )
    follow_up = client.chat.completions.create(
        model="announcements-qa",
        messages=[
            {"role": "user", "content": JOBS},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": "How much funding is behind the initiative?"},
        ],
    )
    assert "300 million" in (follow_up.choices[0].message.content or "").split("\n\n")[0]
    assert httpx.get(f"{server}/healthz").status_code == 200


@pytest.mark.slow
def test_the_llm_model_answers_with_verified_claims_only(
    corpus_settings: Settings, corpus_service: QAService
) -> None:
    with scripted_llm_server() as llm, llm_app(corpus_settings, corpus_service, llm.url) as http:
        client = openai.OpenAI(base_url="http://testserver/v1", api_key="x", http_client=http, max_retries=0)
        assert "announcements-qa-llm" in [m.id for m in client.models.list()]
        llm.queue(lab_answer)
        stream = client.chat.completions.create(
            model="announcements-qa-llm", messages=[{"role": "user", "content": JOBS}], stream=True
        )
        content = "".join(c.choices[0].delta.content or "" for c in stream)
    # The unsupported claim (an invented S$500 million) never reaches the client, not even mid-stream.
    assert content.startswith(
        "OpenAI's Applied AI Lab in Singapore plans to create over 200 technical positions [1]."
    )
    assert "500 million" not in content and "\n\nSources:\n1. [OpenAI and Singapore" in content
