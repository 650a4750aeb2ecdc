"""Analysis at ingest, for real: a corpus ingested into Chroma on tmp_path carries each chunk's
analysis, the answerer reads it (parsing and embedding no sentence of a stored chunk) and answers
exactly as it does without it, and an analysis of an older version is redone by the next ingest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from qa.extractive import ExtractiveAnswerer
from qa.index.chunking import chunk_article
from qa.index.embedding import SentenceTransformerEmbedder
from qa.index.records import DocumentWrite
from qa.index.store import ChromaStore
from qa.language.analysis import Analyser, analysis_version
from qa.language.spans import Candidate, SpanFinder
from qa.retrieval.hybrid import HybridRetriever
from qa.service import build_store
from qa.types import Article
from tests.helpers.corpus import make_settings
from tests.helpers.fakes import FakeEmbedder

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FILES = [
    "corvane-appoints-cfo.md",
    "corvane-q3-2025-results.md",
    "halden-semiconductor-penang-design-centre.md",
    "kestrel-labs-appoints-ceo.md",
]
QUESTIONS = [
    "Who is Corvane's new chief financial officer?",
    "How much revenue did Corvane report for the third quarter?",
    "How many jobs will the Halden design centre in Penang create?",
    "Who did Kestrel Labs appoint as chief executive?",
    "Why did Kestrel Labs appoint a new chief executive?",
    "What is the capital of France?",
]

pytestmark = pytest.mark.slow


class CountingSpans(SpanFinder):
    """The real span finder, recording every sentence parsed for a question."""

    def __init__(self) -> None:
        super().__init__()
        self.parsed: list[str] = []

    def candidates_many(self, sentences: list[str]) -> list[list[Candidate]]:
        self.parsed.extend(sentences)
        return super().candidates_many(sentences)


class CountingEmbedder:
    """The real embedder, recording every text embedded."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.embedded: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return self.inner.embed(texts)


def test_the_answerer_reads_the_analysis_stored_with_each_chunk(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = make_settings(tmp_path / "data")
    store, lexical = build_store(settings, embedder)
    report = ingest_paths([CORPUS / name for name in FILES], store, lexical)
    assert report.chunks_written > 0 and not report.failures
    stored = list(store.iter_chunks())
    version = analysis_version(embedder.name)
    assert stored and all(f'"v":"{version}"' in c.metadata["analysis"] for c in stored)

    retriever = HybridRetriever(store, embedder, lexical)
    shared_spans = SpanFinder()
    reading = ExtractiveAnswerer(CountingEmbedder(embedder), CountingSpans())  # type: ignore[arg-type]
    plain = ExtractiveAnswerer(embedder, shared_spans, use_stored=False)
    for question in QUESTIONS:
        found = retriever.retrieve(question, 6)
        assert all(p.analysis for p in found.passages)
        got = reading.answer(question, found.passages, found.query_embedding)
        expected = plain.answer(question, found.passages, found.query_embedding)
        assert got == expected, question
    assert reading.spans.parsed == []  # type: ignore[attr-defined]
    assert reading.embedder.embedded == []  # type: ignore[attr-defined]
    assert any(
        not a.abstained for a in (reading.answer(q, retriever.retrieve(q, 6).passages) for q in QUESTIONS)
    )


def test_ingest_redoes_an_analysis_of_another_version_without_re_embedding_chunks(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = make_settings(tmp_path / "data")
    store, lexical = build_store(settings, embedder)
    paths = [CORPUS / FILES[0], CORPUS / FILES[1]]
    ingest_paths(paths, store, lexical)
    old = Analyser(CountingEmbedder(embedder), SpanFinder())  # type: ignore[arg-type]
    old_version = "0|an older analyser"
    doc_id = store.list_documents()[0].doc_id
    chunks = store.chunks_of([doc_id])
    store.set_analyses([doc_id], chunks, ["" for _ in chunks], old_version)
    assert store.stale_analyses(old.version) == [doc_id]

    counting = CountingEmbedder(embedder)
    store.embedder = counting  # type: ignore[assignment]
    assert store.analyser is not None
    store.analyser.embedder = counting  # type: ignore[assignment]
    report = ingest_paths(paths, store, lexical)
    assert report.reanalysed == [doc_id] and report.chunks_written == 0
    assert store.stale_analyses(old.version) == []
    texts = {c.text for c in chunks}
    assert not texts & set(counting.embedded)  # sentences were embedded, the chunks themselves not
    again = {c.chunk_id: c for c in store.chunks_of([doc_id])}
    assert all(again[c.chunk_id].metadata["analysis"] for c in chunks)
    assert ingest_paths(paths, store, lexical).reanalysed == []


def test_the_analysis_lives_and_goes_with_its_chunk(tmp_path: Path) -> None:
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    article = Article(
        doc_id="lab", title="Acme opens a lab", text="Acme opens a lab. It will hire 200 people."
    )
    chunks = chunk_article(article, 900, 0)
    vectors = store.embedder.embed([c.text for c in chunks])
    store.write_documents([DocumentWrite(article, chunks, vectors, "h1", ["analysis-1"], "v1")])
    [passage] = store.get_chunks([chunks[0].chunk_id])
    assert passage.analysis == "analysis-1"
    assert store.stale_analyses("v1") == [] and store.stale_analyses("v2") == ["lab"]

    # Written again without an analysis, the chunk must not keep its old one.
    store.write_documents([DocumentWrite(article, chunks, vectors, "h2")])
    assert store.get_chunks([chunks[0].chunk_id])[0].analysis == ""
    assert store.stale_analyses("v1") == ["lab"]

    store.set_analyses(["lab"], store.chunks_of(["lab"]), ["analysis-2"], "v2")
    [passage] = store.get_chunks([chunks[0].chunk_id])
    assert passage.analysis == "analysis-2" and passage.text == chunks[0].text
    assert store.document_hashes() == {"lab": "h2"}  # nothing else of the document changed
    assert store.stale_analyses("v2") == []

    store.delete_document("lab")
    assert store.chunks_of(["lab"]) == [] and store.counts() == (0, 0)
