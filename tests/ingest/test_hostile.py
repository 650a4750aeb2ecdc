"""Hostile documents (issue 14): long runs of punctuation and digits, a 1 MB sentence, 10,000
nested brackets, every Unicode category. They ingest, their sentences and chunks are bounded, and
questions that read them are answered (the battery lives in bench/hostile.py, which also times it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ingest.loading import load_articles
from ingest.pipeline import ingest_paths
from qa.index.store import Filters
from qa.service import QAService, build_service
from qa.text import MAX_SENTENCE_CHARS, sentence_spans
from tests.helpers.corpus import ROOT, make_settings
from tests.helpers.fakes import FakeEmbedder

sys.path.insert(0, str(ROOT / "bench"))

from hostile import battery_doc_ids, hostile_documents, write_battery

CHUNK_SIZE = 900


@pytest.fixture(scope="module")
def hostile_service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    """A store (fake embeddings, real spaCy) holding only the hostile battery."""
    tmp = tmp_path_factory.mktemp("hostile")
    service = build_service(make_settings(tmp / "data", analyse_at_ingest=False), FakeEmbedder())
    report = ingest_paths(write_battery(tmp / "files"), service.store, service.lexical, chunk_size=CHUNK_SIZE)
    assert not report.failures, [str(f) for f in report.failures]
    return service


def test_every_hostile_document_is_stored(hostile_service: QAService) -> None:
    stored = {d.doc_id for d in hostile_service.store.list_documents(100, 0)}
    assert stored == set(battery_doc_ids()) and len(stored) == len(hostile_documents())


def test_no_chunk_and_no_sentence_of_a_hostile_document_is_unbounded(hostile_service: QAService) -> None:
    for doc in hostile_service.store.list_documents(100, 0):
        text = hostile_service.store.get_document(doc.doc_id).text
        chunks = hostile_service.store.get_chunks([f"{doc.doc_id}:{i}" for i in range(3000)])
        kept = "".join(c.text for c in chunks)
        assert len("".join(kept.split())) >= len("".join(text.split()))  # every visible character
        assert max(len(c.text) for c in chunks) <= CHUNK_SIZE, doc.doc_id
        for chunk in chunks[:50]:
            assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in sentence_spans(chunk.text))


def test_a_sentence_over_a_million_characters_is_read_in_bounded_pieces() -> None:
    text = "word " * 250_000  # spaCy refuses more than 1,000,000 characters at once (E088)
    pieces = sentence_spans(text)
    assert max(len(p.text) for p in pieces) <= MAX_SENTENCE_CHARS
    assert sum(p.text.count("word") for p in pieces) == 250_000


@pytest.mark.slow
@pytest.mark.parametrize("doc_id", battery_doc_ids())
def test_questions_reading_a_hostile_document_are_answered(hostile_service: QAService, doc_id: str) -> None:
    for question in ("How many jobs will the lab create?", "Who is the chief executive?"):
        answer = hostile_service.ask(question, filters=Filters(doc_ids=[doc_id]))
        assert answer.abstained or answer.citations[0].doc_id == doc_id


def test_a_file_the_loader_cannot_read_is_reported_and_the_others_load(tmp_path: Path) -> None:
    (tmp_path / "deep.md").write_text("---\nnested: " + "[" * 2000 + "]" * 2000 + "\n---\nBody.\n")
    (tmp_path / "link.md").write_text("---\nurl: javascript:alert(1)\n---\nA linked article.\n")
    (tmp_path / "good.md").write_text("---\nurl: https://example.org/a\n---\nA good article.\n")
    loaded = load_articles([tmp_path])
    assert sorted(a.doc_id for a in loaded.articles) == ["good", "link"]
    assert [f.reason for f in loaded.failures] == [
        "front matter is nested too deeply (more than 20 levels); keep it to 'field: value' lines"
    ]
    urls = {a.doc_id: a.url for a in loaded.articles}
    assert urls == {"good": "https://example.org/a", "link": ""}
    assert loaded.warnings == [
        f"{tmp_path / 'link.md'}: url 'javascript:alert(1)' dropped: only http(s) links are kept"
    ]
