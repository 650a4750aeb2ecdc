"""Test doubles for unit tests of logic: an embedder, a store and a service that need no model,
and a factory for retrieved passages."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence

from qa.errors import NotFound, StoreUnavailable
from qa.filters import Filters
from qa.index.chunking import chunk_article
from qa.index.store import ChromaStore
from qa.service import validate_question
from qa.types import Answer, Article, Passage


class FakeEmbedder:
    """Deterministic unit vectors from a hash of the text: for store and ingest logic, not meaning."""

    def __init__(self, name: str = "fake-embedder", dimension: int = 16) -> None:
        self.name = name
        self.dimension = dimension
        self.calls: list[int] = []  # texts per embed() call

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        vectors = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()
            raw = [digest[i % len(digest)] / 255.0 + 0.01 for i in range(self.dimension)]
            norm = sum(x * x for x in raw) ** 0.5
            vectors.append([x / norm for x in raw])
        return vectors


class FakeStore:
    """Three documents and seven chunks, or down (``down = True``); none can be read or listed."""

    def __init__(self) -> None:
        self.down = False
        self.embedder = FakeEmbedder()  # what an upload would be embedded with
        self.analyser = None

    def counts(self) -> tuple[int, int]:
        if self.down:
            raise StoreUnavailable("the Chroma store cannot be reached (test)")
        return 3, 7

    def get_document(self, doc_id: str) -> Article:
        raise NotFound(f"no document with doc_id {doc_id!r}")

    def list_documents(self, limit: int, offset: int, after: str | None = None) -> list[Article]:
        return []


class FakeService:
    """A service that needs no model, for the HTTP contract: answers with ``answer`` (else the
    question echoed) after ``delay`` seconds, once ``gate`` is open (clear it to hold questions in
    flight; ``entered`` counts those that arrived), and records what it was asked."""

    def __init__(self, delay: float = 0.0, answer: Answer | None = None) -> None:
        self.delay = delay
        self.answer = answer
        self.store = FakeStore()
        self.lexical = None
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Semaphore(0)
        self.asked: list[tuple[str, int | None, Filters | None, str | None]] = []
        self.contexts: list[str] = []

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
        self.asked.append((question, top_k, filters, answerer))
        self.contexts.append(context)
        self.entered.release()
        self.gate.wait(timeout=30)
        time.sleep(self.delay)
        if self.answer is not None:
            return self.answer
        return Answer(text=f"echo: {validate_question(question)}", abstained=False, confidence=0.5)


def passage(
    text: str,
    doc_id: str = "doc",
    *,
    index: int = 0,
    offset: int = 0,
    title: str = "",
    date: str = "",
    url: str = "",
    score: float = 0.0,
) -> Passage:
    """A retrieved passage ``{doc_id}:{index}`` holding ``text``, which starts ``offset``
    characters into its document."""
    return Passage(
        chunk_id=f"{doc_id}:{index}",
        doc_id=doc_id,
        title=title,
        text=text,
        start=offset,
        end=offset + len(text),
        date=date,
        url=url,
        score=score,
    )


def write_article(
    store: ChromaStore, article: Article, max_chars: int = 900, overlap: int = 1, content_hash: str = ""
) -> None:
    """Chunk ``article`` and write it with its vectors from the store's (fake) embedder, as an
    ingest would, without a revision bump."""
    chunks = chunk_article(article, max_chars, overlap)
    vectors = store.embedder.embed([c.text for c in chunks])
    store.write_document(article, chunks, vectors, content_hash or f"hash-{article.doc_id}")
