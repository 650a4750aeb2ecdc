"""What the store keeps in Chroma records: a document's write, a stored chunk, and the metadata
an article and its chunks carry there, read back as Articles and Passages; and what the store
needs of the analyser that fills a chunk's analysis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from qa.filters import date_ordinal
from qa.types import Article, Chunk, Passage


@dataclass
class DocumentWrite:
    """One document to write: its chunks, their vectors (same order) and its content hash."""

    article: Article
    chunks: Sequence[Chunk]
    embeddings: Sequence[Sequence[float]] | NDArray[np.float32]  # one row per chunk
    content_hash: str
    analyses: Sequence[str] = ()  # each chunk's encoded analysis (qa.language.analysis), or none at all
    analysis_version: str = ""


class StoredChunk(BaseModel):
    chunk_id: str
    doc_id: str
    text: str
    metadata: dict[str, Any]


def document_metadata(article: Article) -> dict[str, Any]:
    return {
        "doc_id": article.doc_id,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "date_ts": date_ordinal(article.date),
        "url": article.url,
    }


def chunk_metadata(base: dict[str, Any], chunk: Chunk, analysis: str) -> dict[str, Any]:
    """A chunk's record: its document's metadata, where it lies in the text, and its analysis.
    Always the analysis key, even empty: an upsert must not keep a replaced chunk's analysis."""
    return {**base, "index": chunk.index, "start": chunk.start, "end": chunk.end, "analysis": analysis}


def written_metadata(write: DocumentWrite, base: dict[str, Any]) -> dict[str, Any]:
    """A document's own record: its metadata, path, content hash, chunk count and analysis version."""
    return {
        **base,
        "path": write.article.path,
        "content_hash": write.content_hash,
        "chunks": len(write.chunks),
        "analysis": write.analysis_version if write.analyses else "",
    }


def article_from(doc_id: str, text: str, meta: Mapping[str, Any]) -> Article:
    return Article(
        doc_id=doc_id,
        title=str(meta.get("title", "")),
        text=text,
        source=str(meta.get("source", "")),
        date=str(meta.get("date", "")),
        url=str(meta.get("url", "")),
        path=str(meta.get("path", "")),
    )


def passage_from(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Passage:
    """A Passage built from a stored chunk's text and metadata."""
    return Passage(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        title=str(meta.get("title", "")),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        source=str(meta.get("source", "")),
        date=str(meta.get("date", "")),
        url=str(meta.get("url", "")),
        analysis=str(meta.get("analysis") or ""),
    )


class StoreAnalyser(Protocol):
    """What the store needs of ``qa.language.analysis.Analyser`` (which sits above the store)."""

    @property
    def version(self) -> str: ...

    def analyse(self, texts: Sequence[str]) -> list[str]: ...

    def analyse_pooled(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The analyses and each text's vector pooled from its sentences (qa.index.pooling)."""
        ...
