"""LangChain adapters: our hybrid retrieval as a ``BaseRetriever`` and our answerer as a runnable.

Both work in process (over a `QAService`) or against a running ``qa serve`` (its URL), so our
retrieval and answers compose into LCEL chains::

    retriever = AnnouncementsRetriever.remote("http://127.0.0.1:8000", top_k=4)
    answerer = AnnouncementsAnswerer.remote("http://127.0.0.1:8000")
    chain = {"context": retriever | join_passages, "question": RunnablePassthrough()} | prompt | model
    answer = answerer.invoke("How many jobs will the lab create?")  # an Answer with citations

A retrieved ``Document`` is one passage: ``page_content`` its text, ``metadata`` its ``doc_id``,
``title``, ``url``, ``date``, ``source``, ``chunk_id``, ``start``/``end`` (character offsets in
the cleaned document, ``GET /v1/documents/{doc_id}``) and the fused ``score``.

Errors are ours: InvalidRequest for input the service refuses (also when a remote server
answers 4xx, with its message), StoreUnavailable when it answers 503 or cannot be reached.
"""

from __future__ import annotations

from typing import Any, Protocol, Self

import httpx
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import BaseModel, ConfigDict

from qa.errors import InvalidRequest, QAError, StoreUnavailable
from qa.filters import Filters
from qa.service import QAService
from qa.types import Answer, Citation

DOCUMENT_METADATA = ("doc_id", "title", "url", "date", "source", "chunk_id", "start", "end")


class Backend(Protocol):
    """Where passages and answers come from: a service in this process or a server."""

    def search(self, query: str, top_k: int | None, filters: Filters | None) -> list[Citation]: ...

    def ask(self, question: str, top_k: int | None, filters: Filters | None) -> Answer: ...


class LocalBackend:
    def __init__(self, service: QAService) -> None:
        self.service = service

    def search(self, query: str, top_k: int | None, filters: Filters | None) -> list[Citation]:
        passages = self.service.search(query, top_k, filters)
        return [Citation.in_passage(p, 0, len(p.text), score=p.score) for p in passages]

    def ask(self, question: str, top_k: int | None, filters: Filters | None) -> Answer:
        return self.service.ask(question, top_k, filters)


class RemoteBackend:
    """``POST /v1/search`` and ``POST /v1/ask`` of a running ``qa serve``."""

    def __init__(self, base_url: str, timeout: float = 60.0, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)

    def search(self, query: str, top_k: int | None, filters: Filters | None) -> list[Citation]:
        body = self._post("/v1/search", {"query": query, **_options(top_k, filters)})
        return [Citation.model_validate(p) for p in body["passages"]]

    def ask(self, question: str, top_k: int | None, filters: Filters | None) -> Answer:
        return Answer.model_validate(
            self._post("/v1/ask", {"question": question, **_options(top_k, filters)})
        )

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        url = self.base_url + path
        try:
            response = self.client.post(url, json=payload)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(
                f"cannot reach {url}: {type(exc).__name__}; is `qa serve` running?"
            ) from None
        if response.is_success:
            return response.json()
        try:
            message = str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = response.text[:300]
        if response.status_code == 503:
            raise StoreUnavailable(f"{url}: {message}")
        if response.status_code < 500:
            raise InvalidRequest(f"{url} answered {response.status_code}: {message}")
        raise QAError(f"{url} answered {response.status_code}: {message}")


def _options(top_k: int | None, filters: Filters | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if top_k is not None:
        options["top_k"] = top_k
    if filters is not None:
        options["filters"] = filters.model_dump(exclude_none=True)
    return options


def passage_document(citation: Citation) -> Document:
    """A passage (cited whole) as a LangChain Document with our metadata."""
    metadata = citation.model_dump(
        include={"doc_id", "title", "url", "date", "source", "chunk_id", "start", "end"}
    )
    return Document(page_content=citation.quote, metadata={**metadata, "score": citation.score})


class _Connected(BaseModel):
    """The fields and constructors both adapters share: where to ask, how many passages, filters."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Any  # a Backend; Any because pydantic cannot check a Protocol
    top_k: int | None = None  # None: the service's QA_TOP_K
    filters: Filters | None = None

    @classmethod
    def in_process(cls, service: QAService, **kwargs: Any) -> Self:
        """Over a service in this process (``qa.service.build_service(settings)``)."""
        return cls(backend=LocalBackend(service), **kwargs)

    @classmethod
    def remote(cls, base_url: str, timeout: float = 60.0, **kwargs: Any) -> Self:
        """Against a running ``qa serve`` at ``base_url`` (``http://127.0.0.1:8000``)."""
        return cls(backend=RemoteBackend(base_url, timeout), **kwargs)


class AnnouncementsRetriever(_Connected, BaseRetriever):
    """Hybrid (dense + BM25, fused) retrieval over the announcements, as LangChain Documents."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [passage_document(c) for c in self.backend.search(query, self.top_k, self.filters)]


class AnnouncementsAnswerer(_Connected, RunnableSerializable[Any, Answer]):
    """Our answer (text, citations, abstention) to a question: a str, or a dict with ``question``."""

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        return self._call_with_config(self._answer, input, config, run_type="chain")

    def _answer(self, input: Any) -> Answer:
        question = input.get("question") if isinstance(input, dict) else input
        if not isinstance(question, str):
            kind = type(input).__name__
            raise InvalidRequest(
                f"the input must be the question (a str) or a dict with 'question', got {kind}"
            )
        answer: Answer = self.backend.ask(question, self.top_k, self.filters)
        return answer
