"""Plain data types shared by ingest, retrieval, answering, evaluation and the API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Article(BaseModel):
    """One loaded and cleaned corpus document. ``text`` is what offsets refer to."""

    doc_id: str
    title: str
    text: str
    source: str = ""
    date: str = ""  # ISO 8601 date or empty
    url: str = ""
    path: str = ""  # file path relative to the corpus root
    extra: dict[str, Any] = Field(default_factory=dict)  # other front matter fields


class Chunk(BaseModel):
    """A span of an article's cleaned text: ``article.text[start:end] == text``."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int


class Passage(BaseModel):
    """A retrieved chunk with its document's metadata and retrieval scores."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    source: str = ""
    date: str = ""
    url: str = ""
    score: float = 0.0  # fused score (reciprocal rank fusion)
    dense_rank: int | None = None  # 1-based, None when not in that list
    lexical_rank: int | None = None
    dense_similarity: float | None = None  # cosine similarity of question and chunk
    # The chunk's analysis made at ingest (qa.language.analysis), read with it; never sent to clients.
    analysis: str = Field("", exclude=True, repr=False)


class Citation(BaseModel):
    doc_id: str
    title: str
    url: str = ""
    date: str = ""
    source: str = ""
    chunk_id: str
    quote: str
    start: int
    end: int
    answer_start: int | None = None
    answer_end: int | None = None
    score: float = 0.0

    @classmethod
    def in_passage(
        cls, passage: Passage, start: int, end: int, answer: tuple[int, int] | None = None, score: float = 0.0
    ) -> Citation:
        """A citation of ``passage.text[start:end]``; offsets (also of ``answer``) are turned into
        offsets of the document the passage came from."""
        return cls(
            doc_id=passage.doc_id,
            title=passage.title,
            url=passage.url,
            date=passage.date,
            source=passage.source,
            chunk_id=passage.chunk_id,
            quote=passage.text[start:end],
            start=passage.start + start,
            end=passage.start + end,
            answer_start=passage.start + answer[0] if answer else None,
            answer_end=passage.start + answer[1] if answer else None,
            score=round(score, 4),
        )


class RelatedDocument(BaseModel):
    """A passage offered as 'related' when the answerer abstains (not a citation)."""

    doc_id: str
    title: str
    url: str = ""
    date: str = ""
    snippet: str = ""


class DroppedClaim(BaseModel):
    """A sentence of a generated answer that failed verification, and why it was removed."""

    text: str
    reason: str


class Answer(BaseModel):
    text: str
    abstained: bool
    confidence: float = Field(ge=0.0, le=1.0)
    citations: list[Citation] = Field(default_factory=list)
    related: list[RelatedDocument] = Field(default_factory=list)
    answer_type: str = ""  # expected answer type of the question (quantity, person, ...)
    # "span": a short answer inside the quote; "passage": the quote's own sentence(s); "" when abstained
    form: str = ""
    note: str = ""  # e.g. that a newer announcement superseded an earlier one
    latency_ms: float = 0.0
    retrieved_doc_ids: list[str] = Field(default_factory=list)
    answerer: str = "extractive"  # "extractive" or "llm": which answerer produced the text
    fallback: str = ""  # "extractive" when the generated answer was replaced by the extractive one
    dropped_claims: list[DroppedClaim] = Field(default_factory=list)  # generated sentences removed
