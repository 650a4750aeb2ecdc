"""The assembled question-answering service: store, lexical index, retriever and answerer."""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from dataclasses import dataclass

from qa.errors import InvalidRequest
from qa.extractive import ExtractiveAnswerer
from qa.generative.answerer import GenerativeAnswerer, build_generative
from qa.index.embedding import Embedder, SentenceTransformerEmbedder
from qa.index.lexical import LexicalIndex
from qa.index.onnx_embedding import OnnxInt8Embedder
from qa.index.store import ChromaStore, Filters
from qa.language.analysis import Analyser
from qa.language.spans import SpanFinder
from qa.retrieval.hybrid import HybridRetriever, Retrieval
from qa.settings import Settings
from qa.types import Answer, Passage

MAX_QUESTION_CHARS = 2000
ANSWERERS = ("extractive", "llm")


@dataclass
class QAService:
    """Everything a question needs; build it with ``build_service`` or inject the parts."""

    store: ChromaStore
    lexical: LexicalIndex
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer
    top_k: int = 6
    generative: GenerativeAnswerer | None = None  # the llm answerer, when a model server is configured
    default_answerer: str = "extractive"

    def warm_up(self) -> None:
        """Load the models and the indexes now rather than on the first question."""
        self.store.open()
        self.lexical.ensure_current(self.store)
        self.answerer.spans.warm_up()
        self.retriever.embedder.embed(["warm up"])

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        context: str = "",
    ) -> Answer:
        """Answer one question; raises InvalidRequest for empty or oversized input or an
        answerer that is unknown or not configured, LLMError / LLMTimeout from the model server.

        ``context`` (terms carried from a conversation) helps retrieval find the article; it is
        not part of the question the answer must meet."""
        answer, _ = self.ask_with_passages(question, top_k, filters, answerer, context)
        return answer

    def ask_with_passages(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        context: str = "",
    ) -> tuple[Answer, list[Passage]]:
        """The answer and the passages it was chosen from (for evaluation and the chat)."""
        generative = self.generative_for(answerer)
        question, found, started = self._retrieve(question, top_k, filters, context)
        chosen = self.answerer if generative is None else generative
        answer = chosen.answer(question, found.passages, found.query_embedding, found.analysis)
        return _stamped(answer, found, started), cited_first(found.passages, answer)

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        context: str = "",
    ) -> Generator[str | Answer, None, None]:
        """The answer text in pieces as the model writes it, then the Answer (always last; the
        extractive answerer yields only the Answer). Errors are raised by ``next()``."""
        generative = self.generative_for(answerer)
        question, found, started = self._retrieve(question, top_k, filters, context)
        if generative is None:
            answer = self.answerer.answer(question, found.passages, found.query_embedding, found.analysis)
            yield _stamped(answer, found, started)
            return
        for event in generative.stream(question, found.passages, found.query_embedding, found.analysis):
            yield _stamped(event, found, started) if isinstance(event, Answer) else event

    def search(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        """The passages hybrid retrieval finds for ``query``, best first, without answering;
        raises InvalidRequest for the input ``ask`` refuses."""
        _, found, _ = self._retrieve(query, top_k, filters)
        return found.passages

    def generative_for(self, answerer: str | None) -> GenerativeAnswerer | None:
        """The generative answerer for "llm", None for "extractive" (default: the service's
        answerer); InvalidRequest for another name or "llm" without a configured model server."""
        name = answerer or self.default_answerer
        if name not in ANSWERERS:
            raise InvalidRequest(f"answerer must be one of {', '.join(ANSWERERS)}, got {name!r}")
        if name == "extractive":
            return None
        if self.generative is None:
            raise InvalidRequest(
                "the llm answerer is not configured on this server: set QA_LLM_BASE_URL and QA_LLM_MODEL "
                "(and QA_LLM_API_KEY if the model server needs one), or ask with answerer 'extractive'"
            )
        return self.generative

    def _retrieve(
        self, question: str, top_k: int | None, filters: Filters | None, context: str = ""
    ) -> tuple[str, Retrieval, float]:
        question = validate_question(question)
        k = self.top_k if top_k is None else top_k
        if not 1 <= k <= 50:
            raise InvalidRequest(f"top_k must be between 1 and 50, got {k}")
        started = time.perf_counter()
        context = " ".join(context.split())[:MAX_QUESTION_CHARS]
        return question, self.retriever.retrieve(question, k, filters, context), started


def cited_first(passages: list[Passage], answer: Answer) -> list[Passage]:
    """The passages with those of the documents the answer cites (or, when it abstains, offers as
    related) first, then the rest in retrieval order: reading them is the last and best ranking."""
    shown = [c.doc_id for c in answer.citations] or [r.doc_id for r in answer.related]
    order = {doc_id: i for i, doc_id in enumerate(dict.fromkeys(shown))}
    return sorted(passages, key=lambda p: order.get(p.doc_id, len(order)))  # stable: the rest keep theirs


def _stamped(answer: Answer, found: Retrieval, started: float) -> Answer:
    """``answer`` with the retrieved documents (cited ones first) and the time since ``started``."""
    answer.retrieved_doc_ids = list(dict.fromkeys(p.doc_id for p in cited_first(found.passages, answer)))
    answer.latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return answer


def validate_question(question: str) -> str:
    """The question stripped; InvalidRequest when empty or longer than 2,000 characters."""
    stripped = question.strip()
    if not stripped:
        raise InvalidRequest("question must not be empty")
    if len(stripped) > MAX_QUESTION_CHARS:
        raise InvalidRequest(f"question must be at most {MAX_QUESTION_CHARS} characters, got {len(stripped)}")
    return stripped


def build_embedder(settings: Settings, threads: int = 0) -> Embedder:
    """The configured embedding backend (QA_EMBEDDING_BACKEND); nothing is loaded yet. ``threads``:
    the ONNX model's threads (0: one per core, up to 4)."""
    if settings.embedding_backend == "onnx-int8":
        return OnnxInt8Embedder(
            settings.embedding_model,
            settings.data_dir / "models",
            settings.embedding_batch_size,
            settings.verify_model_checksums,
            threads,
        )
    return SentenceTransformerEmbedder(
        settings.embedding_model, settings.embedding_batch_size, settings.verify_model_checksums
    )


def build_analyser(settings: Settings, embedder: Embedder, parse_process: bool = False) -> Analyser | None:
    """The analyser of chunks at ingest (None when QA_ANALYSE_AT_INGEST is off); nothing is loaded yet.
    ``parse_process``: spaCy also parses in a helper process (for a batch ingest, not a server)."""
    return (
        Analyser(embedder, SpanFinder(settings.verify_model_checksums), parse_process)
        if settings.analyse_at_ingest
        else None
    )


def threads_beside_helper(cores: int | None = None) -> int:
    """The model's threads when spaCy's helper process holds a core beside it: one core fewer
    (at least one, at most 4). On 2 cores a second model thread only contends with the helper:
    ingest of 443 chunks took 12.1 s with one thread against 12.9 s with two (four runs each)."""
    available = cores if cores is not None else (os.cpu_count() or 1)
    return max(1, min(available - 1, 4))


def build_store(
    settings: Settings, embedder: Embedder | None = None, parse_process: bool = False
) -> tuple[ChromaStore, LexicalIndex]:
    """The configured store and its lexical index (nothing is opened yet); ``parse_process`` as in
    ``build_analyser``."""
    helped = parse_process and settings.analyse_at_ingest
    embedder = embedder or build_embedder(settings, threads_beside_helper() if helped else 0)
    analyser = build_analyser(settings, embedder, parse_process)
    store = ChromaStore(
        embedder,
        settings.data_dir,
        settings.chroma_url,
        settings.collection,
        timeout=settings.store_timeout_seconds,
        analyser=analyser,
    )
    lexical = LexicalIndex(settings.data_dir / "lexical" / settings.collection)
    return store, lexical


def build_service(settings: Settings, embedder: Embedder | None = None) -> QAService:
    """A service wired from settings; models load on first use or in ``warm_up``."""
    store, lexical = build_store(settings, embedder)
    retriever = HybridRetriever(
        store, store.embedder, lexical, settings.rrf_k, rerank_depth=settings.rerank_depth
    )
    # One spaCy pipeline for the answerer and the analysis of uploads.
    spans = (
        store.analyser.spans
        if isinstance(store.analyser, Analyser)
        else SpanFinder(settings.verify_model_checksums)
    )
    answerer = ExtractiveAnswerer(store.embedder, spans, settings.min_confidence)
    generative = build_generative(settings, answerer)
    return QAService(store, lexical, retriever, answerer, settings.top_k, generative, settings.answerer)
