"""Chunks: whole sentences, exact offsets into the cleaned text, overlap, deterministic ids."""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from ingest.loading import load_articles
from qa.index.chunking import chunk_article, chunk_id
from qa.text import sentence_spans
from qa.types import Article, Chunk
from tests.helpers.corpus import CORPUS_DIR, CORPUS_DOCS


@cache
def corpus_articles() -> tuple[Article, ...]:
    loaded = load_articles([CORPUS_DIR])
    assert not loaded.failures
    return tuple(loaded.articles)


def article(text: str, doc_id: str = "doc") -> Article:
    return Article(doc_id=doc_id, title="T", text=text)


def sentence(n: int, length: int) -> str:
    """A sentence of exactly ``length`` characters that starts with its number."""
    head = f"S{n} "
    return head + "x" * (length - len(head) - 1) + "."


def test_the_corpus_loads() -> None:
    assert len(corpus_articles()) == CORPUS_DOCS


@pytest.mark.parametrize(("size", "overlap"), [(900, 1), (200, 0), (400, 2), (4000, 1)])
def test_every_corpus_chunk_is_an_exact_slice_of_its_article(size: int, overlap: int) -> None:
    for doc in corpus_articles():
        chunks = chunk_article(doc, size, overlap)
        assert chunks, doc.doc_id
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text, chunk.chunk_id
            assert chunk.doc_id == doc.doc_id
            assert chunk.text == chunk.text.strip()


@pytest.mark.parametrize(("size", "overlap"), [(900, 1), (200, 0), (400, 2)])
def test_corpus_chunks_cover_every_sentence_and_respect_the_size(size: int, overlap: int) -> None:
    for doc in corpus_articles():
        chunks = chunk_article(doc, size, overlap)
        sentences = sentence_spans(doc.text, max_chars=size)
        for s in sentences:
            assert any(c.start <= s.start and s.end <= c.end for c in chunks), (doc.doc_id, s.text)
        for c in chunks:
            # Chunks start and end on sentence boundaries.
            assert any(s.start == c.start for s in sentences)
            assert any(s.end == c.end for s in sentences)
            assert len(c.text) <= size


def test_ids_and_indexes_are_deterministic() -> None:
    doc = corpus_articles()[0]
    first, second = chunk_article(doc), chunk_article(doc.model_copy())
    assert first == second
    assert [c.index for c in first] == list(range(len(first)))
    assert [c.chunk_id for c in first] == [chunk_id(doc.doc_id, i) for i in range(len(first))]
    assert chunk_id("news/2025/lab", 3) == "news/2025/lab:3"


def test_chunk_ids_are_unique_across_the_corpus() -> None:
    ids = [c.chunk_id for doc in corpus_articles() for c in chunk_article(doc)]
    assert len(ids) == len(set(ids))


def shared_sentences(a: Chunk, b: Chunk, text: str) -> int:
    return sum(a.start <= s.start and s.end <= a.end and b.start <= s.start for s in sentence_spans(text))


def test_neighbours_share_overlap_sentences() -> None:
    text = " ".join(sentence(i, 100) for i in range(10))
    doc = article(text)
    for overlap in (0, 1, 2):
        chunks = chunk_article(doc, max_chars=420, overlap=overlap)  # 4 sentences fit
        assert len(chunks) > 2
        for a, b in itertools.pairwise(chunks):
            assert shared_sentences(a, b, text) == overlap
            assert b.end > a.end  # every chunk brings new sentences


def test_overlap_never_produces_a_chunk_that_only_repeats_its_predecessor() -> None:
    text = " ".join([sentence(1, 100), sentence(2, 700), sentence(3, 800)])
    chunks = chunk_article(article(text), max_chars=900, overlap=1)
    assert [c.text for c in chunks] == [text[:801], sentence(3, 800)]


def test_overlap_shrinks_to_what_fits_beside_the_next_sentence() -> None:
    text = " ".join([sentence(1, 300), sentence(2, 300), sentence(3, 500)])
    chunks = chunk_article(article(text), max_chars=900, overlap=2)
    # Sentences 1+2 fill the first chunk; only sentence 2 fits beside sentence 3.
    assert [c.text for c in chunks] == [text[:601], text[301:]]


def test_a_sentence_longer_than_the_size_is_cut_at_spaces_into_chunks_within_the_size() -> None:
    long = "The " + "very " * 400 + "long sentence."
    text = f"Short one. {long} Short two."
    chunks = chunk_article(article(text), max_chars=300, overlap=1)
    assert chunks[0].text == "Short one." and chunks[-1].text.endswith("long sentence. Short two.")
    assert all(len(c.text) <= 300 and text[c.start : c.end] == c.text for c in chunks)
    assert all(c.text.endswith(("very", ".")) for c in chunks)  # cut at spaces, not inside words
    assert " ".join(c.text for c in chunks).count("very") == 400  # nothing lost, nothing repeated


def test_a_run_without_spaces_is_cut_hard() -> None:
    text = "." * 5000 + "x" * 5000
    chunks = chunk_article(article(text), max_chars=900, overlap=0)
    assert "".join(c.text for c in chunks) == text
    assert max(len(c.text) for c in chunks) <= 900


def test_one_short_text_is_one_chunk() -> None:
    chunks = chunk_article(article("Only one sentence here"), 900, 1)
    assert [(c.text, c.start, c.end, c.chunk_id) for c in chunks] == [
        ("Only one sentence here", 0, 22, "doc:0")
    ]


@pytest.mark.parametrize("text", ["", "  \n\n  "])
def test_empty_text_has_no_chunks(text: str) -> None:
    assert chunk_article(article(text)) == []


def test_headings_are_chunk_boundaries_not_glued_text() -> None:
    text = "Heading\n\n" + " ".join(sentence(i, 120) for i in range(3))
    chunks = chunk_article(article(text), max_chars=200, overlap=0)
    assert chunks[0].text.startswith("Heading")
    assert all(text[c.start : c.end] == c.text for c in chunks)
