"""How a server's upload is written, against bulk ingest: in small slices with pauses between
them, so no Chroma call holds the serving process's GIL long (real Chroma on tmp_path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest import pipeline
from ingest.pipeline import ingest_paths, write_prepared
from qa.index.chunking import chunk_article
from qa.index.lexical import LexicalIndex
from qa.index.records import DocumentWrite
from qa.index.store import ChromaStore
from qa.types import Article
from tests.helpers.fakes import FakeEmbedder

LONG = Article(doc_id="long", title="Long", text=" ".join(f"Sentence number {i} is here." for i in range(80)))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """(chunks_per_call, pause) of every write_documents call, which still writes."""
    seen: list[tuple[int, float]] = []
    original = ChromaStore.write_documents

    def spy(self: ChromaStore, writes: Any, chunks_per_call: int = 0, pause: float = 0.0) -> None:
        seen.append((chunks_per_call, pause))
        original(self, writes, chunks_per_call, pause)

    monkeypatch.setattr(ChromaStore, "write_documents", spy)
    return seen


def test_an_upload_is_written_in_slices_with_pauses(tmp_path: Path, calls: list[tuple[int, float]]) -> None:
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    chunks = chunk_article(LONG, 60, 0)
    assert len(chunks) > pipeline.SERVER_CHUNKS_PER_CALL
    write = DocumentWrite(LONG, chunks, store.embedder.embed([c.text for c in chunks]), "h")
    report = write_prepared(write, store, LexicalIndex(tmp_path / "lexical"))
    assert report.chunks_written == len(chunks)
    assert calls == [(pipeline.SERVER_CHUNKS_PER_CALL, pipeline.SERVER_PAUSE_SECONDS)]
    assert 0 < pipeline.SERVER_CHUNKS_PER_CALL <= 16 and 0 < pipeline.SERVER_PAUSE_SECONDS <= 0.1
    assert store.counts() == (1, len(chunks))


def test_bulk_ingest_writes_without_slices_or_pauses(tmp_path: Path, calls: list[tuple[int, float]]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "long.txt").write_text(LONG.text, encoding="utf-8")
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    report = ingest_paths([corpus], store, LexicalIndex(tmp_path / "lexical"), chunk_size=60, overlap=0)
    assert report.chunks_written > pipeline.SERVER_CHUNKS_PER_CALL
    assert calls == [(0, 0.0)]


def test_bulk_ingest_writes_each_embedding_group_in_one_call(
    tmp_path: Path, calls: list[tuple[int, float]]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(40):  # one chunk each: 40 documents in groups of 16 chunks
        (corpus / f"note-{i:02}.txt").write_text(
            f"Short note number {i} about the harbour.", encoding="utf-8"
        )
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    lexical = LexicalIndex(tmp_path / "lexical")
    report = ingest_paths([corpus], store, lexical, chunk_size=200, overlap=0, batch_chunks=16)
    assert report.chunks_written == 40
    assert len(calls) == 3  # 16 + 16 + 8 documents, not one call per few documents
    assert store.counts() == (40, 40)
