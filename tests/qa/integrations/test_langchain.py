"""The LangChain retriever and answerer in LCEL chains: in process over the session's store of
corpus/, and against a real `qa serve` on loopback through its URL (POST /v1/search, /v1/ask)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough

from qa.errors import InvalidRequest, QAError, StoreUnavailable
from qa.filters import Filters
from qa.integrations.langchain import AnnouncementsAnswerer, AnnouncementsRetriever, RemoteBackend
from qa.service import QAService
from qa.settings import Settings
from qa.types import Answer
from tests.helpers.servers import ready_qa_serve as qa_serve

JOBS = "How many jobs will the lab in Singapore create?"
LAB = "openai-for-singapore"


def join_passages(docs: list[Document]) -> str:
    return "\n\n".join(f"[{d.metadata['doc_id']}] {d.page_content}" for d in docs)


def check_chains(retriever: AnnouncementsRetriever, answerer: AnnouncementsAnswerer, text_of: Any) -> None:
    """A small RAG chain over our retriever, our answerer composed with LCEL, and both in parallel."""
    docs = retriever.invoke(JOBS)
    assert LAB in [d.metadata["doc_id"] for d in docs]  # retrieval order; the answerer reads them all
    for doc in docs:
        assert set(doc.metadata) == {
            "doc_id",
            "title",
            "url",
            "date",
            "source",
            "chunk_id",
            "start",
            "end",
            "score",
        }
        assert (
            text_of(doc.metadata["doc_id"])[doc.metadata["start"] : doc.metadata["end"]] == doc.page_content
        )

    prompt = ChatPromptTemplate.from_messages([("user", "Context:\n{context}\n\nQuestion: {question}")])
    rag = {"context": retriever | join_passages, "question": RunnablePassthrough()} | prompt
    rendered = rag.invoke(JOBS).to_messages()[0].content
    assert "over 200 technical positions" in rendered and rendered.endswith(f"Question: {JOBS}")

    answer = answerer.invoke(JOBS)
    assert isinstance(answer, Answer) and "200" in answer.text and answer.citations[0].doc_id == LAB
    chain = {"question": RunnablePassthrough()} | answerer | RunnableLambda(lambda a: a.citations[0].quote)
    assert "200 technical positions" in chain.invoke(JOBS)
    both = RunnableParallel(answer=answerer, passages=retriever).invoke(JOBS)
    assert both["answer"].citations[0].doc_id in {d.metadata["doc_id"] for d in both["passages"]}
    assert answerer.batch([JOBS, "Who won the 2022 World Cup?"])[1].abstained


@pytest.mark.slow
def test_chains_in_process(corpus_service: QAService) -> None:
    retriever = AnnouncementsRetriever.in_process(corpus_service, top_k=3)
    answerer = AnnouncementsAnswerer.in_process(corpus_service)
    check_chains(retriever, answerer, lambda doc_id: corpus_service.store.get_document(doc_id).text)
    assert len(retriever.invoke(JOBS)) <= 3
    only = AnnouncementsRetriever.in_process(
        corpus_service, filters=Filters(doc_ids=["corvane-appoints-cfo"])
    )
    assert {d.metadata["doc_id"] for d in only.invoke(JOBS)} == {"corvane-appoints-cfo"}
    with pytest.raises(InvalidRequest, match="question must not be empty"):
        answerer.invoke("  ")


@pytest.fixture(scope="module")
def server(
    corpus_service: QAService, corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of `qa serve` (a real process on loopback) over the session's corpus store."""
    with qa_serve(corpus_settings.data_dir, tmp_path_factory.mktemp("langchain-serve")) as base:
        yield base


@pytest.mark.slow
def test_chains_against_qa_serve(server: str) -> None:
    retriever = AnnouncementsRetriever.remote(server, top_k=3)
    answerer = AnnouncementsAnswerer.remote(server)
    check_chains(
        retriever, answerer, lambda doc_id: httpx.get(f"{server}/v1/documents/{doc_id}").json()["text"]
    )
    dated = AnnouncementsRetriever.remote(
        server, filters=Filters(date_from="2025-05-01", date_to="2025-05-31")
    )
    assert {d.metadata["date"][:7] for d in dated.invoke(JOBS)} == {"2025-05"}
    with pytest.raises(InvalidRequest, match="answered 400: question must not be empty"):
        answerer.invoke({"question": " "})
    with pytest.raises(InvalidRequest, match="answered 400: top_k must be between 1 and 50, got 0"):
        AnnouncementsRetriever.remote(server, top_k=0).invoke(JOBS)


# -- logic, over a fake server -------------------------------------------------------------------


def test_remote_errors_become_ours() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/ask":
            return httpx.Response(503, json={"error": {"code": "store_unavailable", "message": "store down"}})
        return httpx.Response(500, text="boom")

    backend = RemoteBackend("http://qa.test", client=httpx.Client(transport=httpx.MockTransport(respond)))
    with pytest.raises(StoreUnavailable, match=re.escape("http://qa.test/v1/ask: store down")):
        AnnouncementsAnswerer(backend=backend).invoke(JOBS)
    with pytest.raises(QAError, match="answered 500: boom"):
        AnnouncementsRetriever(backend=backend).invoke(JOBS)
    with pytest.raises(StoreUnavailable, match=re.escape("cannot reach http://127.0.0.1:1/v1/ask")):
        AnnouncementsAnswerer.remote("http://127.0.0.1:1/").invoke(JOBS)
    with pytest.raises(InvalidRequest, match="a dict with 'question', got list"):
        AnnouncementsAnswerer(backend=backend).invoke([JOBS])
