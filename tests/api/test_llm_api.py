"""/v1/ask and /v1/chat with the llm answerer: the real app over the session's store of corpus/,
talking to a scripted OpenAI-compatible server on loopback (tests/helpers/llm_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings
from tests.helpers.http import chat_events
from tests.helpers.llm_server import (
    KEY,
    LAB,
    Reply,
    ScriptedLLM,
    lab_answer,
    llm_app,
    number_of,
    scripted_llm_server,
)

pytestmark = pytest.mark.slow

JOBS = "How many jobs will the lab in Singapore create?"


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLLM]:
    with scripted_llm_server() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_script(llm: ScriptedLLM) -> None:
    llm.script.clear()
    llm.requests.clear()


@pytest.fixture(scope="module")
def client(corpus_settings: Settings, corpus_service: QAService, llm: ScriptedLLM) -> Iterator[TestClient]:
    with llm_app(corpus_settings, corpus_service, llm.url) as test_client:
        yield test_client


def chat(*contents: str, **extra: Any) -> dict[str, Any]:
    roles = ["user", "assistant"]
    return {"messages": [{"role": roles[i % 2], "content": c} for i, c in enumerate(contents)], **extra}


# -- /v1/ask ------------------------------------------------------------------------------------
def test_ask_with_the_llm_answerer_keeps_what_the_passages_support(
    client: TestClient, llm: ScriptedLLM
) -> None:
    llm.queue(lab_answer)
    response = client.post("/v1/ask", json={"question": JOBS, "answerer": "llm"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["answerer"] == "llm" and answer["fallback"] == "" and not answer["abstained"]
    assert (
        answer["text"]
        == "OpenAI's Applied AI Lab in Singapore plans to create over 200 technical positions [1]."
    )
    assert answer["dropped_claims"] == [
        {
            "text": f"The lab will be funded with S$500 million [{number_of(llm.requests[0].body, LAB)}].",
            "reason": f"“S$500 million” is not in passage {number_of(llm.requests[0].body, LAB)}",
        }
    ]
    (citation,) = answer["citations"]
    document = client.get("/v1/documents/openai-for-singapore").json()["text"]
    assert citation["doc_id"] == "openai-for-singapore"
    assert document[citation["start"] : citation["end"]] == citation["quote"]
    assert LAB in citation["quote"]
    assert KEY not in response.text


def test_the_server_default_stays_extractive(client: TestClient, llm: ScriptedLLM) -> None:
    answer = client.post("/v1/ask", json={"question": JOBS}).json()
    assert answer["answerer"] == "extractive" and answer["text"] == "over 200 technical positions"
    assert llm.requests == []


def test_llm_without_a_model_server_is_a_400_naming_the_settings(
    corpus_settings: Settings, corpus_service: QAService
) -> None:
    with TestClient(create_app(corpus_settings, corpus_service)) as plain:
        for path, body in [("/v1/ask", {"question": JOBS}), ("/v1/chat", chat(JOBS))]:
            response = plain.post(path, json={**body, "answerer": "llm"})
            assert response.status_code == 400
            error = response.json()["error"]
            assert error["code"] == "invalid_request"
            assert "set QA_LLM_BASE_URL and QA_LLM_MODEL" in error["message"]


def test_a_server_may_refuse_to_let_requests_choose(
    corpus_settings: Settings, corpus_service: QAService, llm: ScriptedLLM
) -> None:
    with llm_app(corpus_settings, corpus_service, llm.url, allow_answerer_override=False) as locked:
        response = locked.post("/v1/ask", json={"question": JOBS, "answerer": "llm"})
        assert response.status_code == 400
        assert "QA_ALLOW_ANSWERER_OVERRIDE=false" in response.json()["error"]["message"]
        assert locked.post("/v1/ask", json={"question": JOBS, "answerer": "extractive"}).status_code == 200
    assert llm.requests == []


def test_qa_answerer_llm_makes_it_the_default(
    corpus_settings: Settings, corpus_service: QAService, llm: ScriptedLLM
) -> None:
    llm.queue(lab_answer)
    with llm_app(corpus_settings, corpus_service, llm.url, answerer="llm") as app:
        assert app.post("/v1/ask", json={"question": JOBS}).json()["answerer"] == "llm"
        extractive = app.post("/v1/ask", json={"question": JOBS, "answerer": "extractive"}).json()
        assert extractive["answerer"] == "extractive"
    assert len(llm.requests) == 1


def test_an_unknown_answerer_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": JOBS, "answerer": "gpt"})
    assert response.status_code == 422 and "answerer" in response.json()["error"]["message"]


# -- the model server's failures --------------------------------------------------------------
@pytest.mark.parametrize("stream", [False, True])
def test_a_model_server_error_is_a_502_naming_the_server(
    client: TestClient, llm: ScriptedLLM, stream: bool
) -> None:
    llm.queue(Reply(status=500))
    response = client.post("/v1/chat", json=chat(JOBS, answerer="llm", stream=stream))
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "llm_error"
    assert f"the model server at {llm.url} answered HTTP 500" in error["message"]
    assert KEY not in response.text


@pytest.mark.parametrize("stream", [False, True])
def test_a_model_server_timeout_is_a_504(client: TestClient, llm: ScriptedLLM, stream: bool) -> None:
    llm.queue(Reply("Over 200 [1].", delay=3.0))
    response = client.post("/v1/chat", json=chat(JOBS, answerer="llm", stream=stream))
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "llm_timeout"
    assert "did not answer within 1 s (QA_LLM_TIMEOUT)" in response.json()["error"]["message"]


def test_with_qa_llm_fallback_a_failure_is_the_extractive_answer(
    corpus_settings: Settings, corpus_service: QAService, llm: ScriptedLLM
) -> None:
    llm.queue(Reply(status=503))
    with llm_app(corpus_settings, corpus_service, llm.url, llm_fallback=True) as app:
        answer = app.post("/v1/ask", json={"question": JOBS, "answerer": "llm"}).json()
    assert answer["fallback"] == "extractive" and answer["text"] == "over 200 technical positions"
    assert "answered HTTP 503" in answer["note"]


def test_an_unverifiable_answer_falls_back_flagged(client: TestClient, llm: ScriptedLLM) -> None:
    llm.queue(Reply("The lab will create 5,000 jobs [1]. It is in Paris [9]."))
    answer = client.post("/v1/ask", json={"question": JOBS, "answerer": "llm"}).json()
    assert answer["fallback"] == "extractive" and answer["answerer"] == "extractive"
    assert answer["text"] == "over 200 technical positions"
    assert [d["text"] for d in answer["dropped_claims"]] == [
        "The lab will create 5,000 jobs [1].",
        "It is in Paris [9].",
    ]


# -- streaming ----------------------------------------------------------------------------------
def test_chat_streams_the_model_text_then_the_verified_citations(
    client: TestClient, llm: ScriptedLLM
) -> None:
    llm.queue(lab_answer)
    events = chat_events(client, chat(JOBS, answerer="llm"))
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"delta"} and len(names) > 10
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    n = number_of(llm.requests[0].body, LAB)
    assert streamed == (
        f"OpenAI's Applied AI Lab in Singapore plans to create over 200 technical positions [{n}]. "
        f"The lab will be funded with S$500 million [{n}]."
    )
    citations, done = events[-2][1], events[-1][1]
    assert (
        done["text"]
        == "OpenAI's Applied AI Lab in Singapore plans to create over 200 technical positions [1]."
    )
    assert citations["citations"] == done["citations"] and len(done["citations"]) == 1
    assert done["dropped_claims"][0]["reason"] == f"“S$500 million” is not in passage {n}"
    assert done["rewritten_question"] == JOBS and done["answerer"] == "llm"


def test_a_failure_mid_stream_ends_with_an_error_event(client: TestClient, llm: ScriptedLLM) -> None:
    llm.queue(Reply("Over 200 technical positions [1].", stall_after=2, delay_after=3.0))
    events = chat_events(client, chat(JOBS, answerer="llm"))
    assert [name for name, _ in events] == ["delta", "delta", "error"]
    assert events[-1][1]["error"]["code"] == "llm_timeout"


def test_the_extractive_stream_is_unchanged(client: TestClient, llm: ScriptedLLM) -> None:
    events = chat_events(client, chat(JOBS))
    assert events[0][0] == "citations" and events[-1][0] == "done"
    assert llm.requests == []


# -- follow-ups ---------------------------------------------------------------------------------
def test_the_model_rewrites_a_follow_up(client: TestClient, llm: ScriptedLLM) -> None:
    llm.queue(Reply("Where will OpenAI's Applied AI Lab be based?"), lab_answer)
    body = chat(JOBS, "over 200 technical positions [1].", "And where will it be based?", answerer="llm")
    answer = client.post("/v1/chat", json=body).json()
    assert answer["rewritten_question"] == "Where will OpenAI's Applied AI Lab be based?"
    rewrite, question = llm.requests
    assert "Last message: And where will it be based?" in rewrite.content("user")
    assert (
        question.content("user").rstrip().endswith("Question: Where will OpenAI's Applied AI Lab be based?")
    )


def test_without_qa_llm_rewrite_the_rule_based_rewrite_is_used(
    corpus_settings: Settings, corpus_service: QAService, llm: ScriptedLLM
) -> None:
    llm.queue(lab_answer)
    body = chat(JOBS, "over 200 technical positions", "And where will it be based?", answerer="llm")
    with llm_app(corpus_settings, corpus_service, llm.url, llm_rewrite=False) as app:
        answer = app.post("/v1/chat", json=body).json()
    assert answer["rewritten_question"].startswith("Where will the lab be based?")
    assert len(llm.requests) == 1
