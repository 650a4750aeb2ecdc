"""Sentence-aligned chunks that carry exact character offsets into the cleaned text."""

from __future__ import annotations

from qa.text import MAX_SENTENCE_CHARS, Span, sentence_spans
from qa.types import Article, Chunk


def chunk_id(doc_id: str, index: int) -> str:
    """Deterministic id of a document's ``index``-th chunk."""
    return f"{doc_id}:{index}"


def chunk_article(article: Article, max_chars: int = 900, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_chars`` characters.

    Neighbouring chunks share ``overlap`` sentences. A sentence longer than ``max_chars`` is cut
    into pieces (at spaces where it has them), so no chunk is longer than ``max_chars``: a
    poisoned document cannot make one chunk that slows every question retrieving it.
    Every chunk satisfies ``article.text[chunk.start:chunk.end] == chunk.text``.
    """
    sentences = sentence_spans(article.text, max_chars=min(max_chars, MAX_SENTENCE_CHARS))
    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences) and sentences[last + 1].end - sentences[first].start <= max_chars:
            last += 1
        start, end = sentences[first].start, sentences[last].end
        index = len(chunks)
        chunks.append(
            Chunk(
                chunk_id=chunk_id(article.doc_id, index),
                doc_id=article.doc_id,
                index=index,
                text=article.text[start:end],
                start=start,
                end=end,
            )
        )
        if last + 1 >= len(sentences):
            break
        first = _next_first(sentences, first, last, max_chars, overlap)
    return chunks


def _next_first(sentences: list[Span], first: int, last: int, max_chars: int, overlap: int) -> int:
    """First sentence of the next chunk: repeat up to ``overlap`` sentences of this one, but only
    as many as fit beside the next new sentence, so no chunk merely repeats its predecessor."""
    following = last + 1
    for repeat in range(min(overlap, last - first), 0, -1):
        if sentences[following].end - sentences[following - repeat].start <= max_chars:
            return following - repeat
    return following
