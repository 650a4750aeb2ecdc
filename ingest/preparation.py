"""What the store writes for a document, made without the store: chunks, their embeddings and
their analyses (`embedded_writes`); for an upload, `load_upload` (load and check the file) and
an `UploadPreparer` (chunk, embed and analyse it).

Preparing is the CPU-heavy part of ingest (tens of seconds for a 1 MB document), so a server
runs it in a worker process (`ingest.worker.IngestWorker`) and only writes the result. Loading
is not (about 45 ms for 1 MB, all linear) and stays in the server: a bad file is refused at
once instead of waiting for the worker to finish another upload.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ingest.loading import load_article
from qa.errors import ArticleError, InvalidRequest
from qa.index.chunking import chunk_article
from qa.index.embedding import Embedder
from qa.index.pooling import RECIPE as POOLING
from qa.index.pooling import chunk_vectors
from qa.index.records import DocumentWrite, StoreAnalyser
from qa.types import Article, Chunk


def content_hash(article: Article, chunk_size: int, overlap: int) -> str:
    """Hash of everything that decides a document's stored form (text, metadata, chunking)."""
    payload = article.model_dump(exclude={"path"})
    payload["chunking"] = [chunk_size, overlap, POOLING]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class LoadedUpload:
    """An uploaded file, loaded and checked: its article and content hash (see `content_hash`)."""

    article: Article
    content_hash: str


class UploadPreparer(Protocol):
    """Turns a loaded upload into a store write, in this process or another."""

    def prepare(self, loaded: LoadedUpload) -> DocumentWrite:
        """Chunk, embed and analyse the loaded article."""
        ...

    def close(self) -> None:
        """Release what it holds (a worker process); it may be used again afterwards."""
        ...


def load_upload(staged: Path, *, max_bytes: int, chunk_size: int, overlap: int) -> LoadedUpload:
    """The article of the file ``staged`` (its doc_id relative to its folder) and its content
    hash for this chunking; InvalidRequest naming the file by its own name (never the server's
    path) and saying what is wrong when it is unusable."""
    name = staged.name
    warnings: list[str] = []
    try:
        article = load_article(staged, staged.parent, max_bytes=max_bytes, warnings=warnings)
    except ArticleError as exc:
        raise InvalidRequest(f"{name}: {exc.reason}") from None
    except RecursionError:
        raise InvalidRequest(f"{name}: nested too deeply to read") from None
    if warnings:  # a client can fix its document: say so rather than store less
        raise InvalidRequest(warnings[0].replace(str(staged), name, 1))
    return LoadedUpload(article, content_hash(article, chunk_size, overlap))


def embedded_writes(
    group: Sequence[tuple[Article, str, list[Chunk]]], embedder: Embedder, analyser: StoreAnalyser | None
) -> list[DocumentWrite]:
    """One DocumentWrite per (article, content hash, chunks), with the chunks' vectors (a float32
    array per document, pooled from their sentences' vectors: `qa.index.pooling`) and analyses,
    all chunks of the group in one run of the model."""
    texts = [c.text for _, _, chunks in group for c in chunks]
    if analyser is not None:
        analyses, vectors = analyser.analyse_pooled(texts)
    else:
        analyses, vectors = [], chunk_vectors(texts, embedder)
    version = analyser.version if analyser is not None else ""
    writes = []
    at = 0
    for article, digest, chunks in group:
        part = slice(at, at + len(chunks))
        writes.append(
            DocumentWrite(article, chunks, vectors[part], digest, analyses[part] if analyses else (), version)
        )
        at += len(chunks)
    return writes


class LocalPreparer:
    """`UploadPreparer` in this process, with the given embedder and analyser."""

    def __init__(
        self, embedder: Embedder, analyser: StoreAnalyser | None, *, chunk_size: int = 900, overlap: int = 1
    ) -> None:
        self.embedder = embedder
        self.analyser = analyser
        self.chunk_size = chunk_size
        self.overlap = overlap

    def prepare(self, loaded: LoadedUpload) -> DocumentWrite:
        chunks = chunk_article(loaded.article, self.chunk_size, self.overlap)
        group = [(loaded.article, loaded.content_hash, chunks)]
        return embedded_writes(group, self.embedder, self.analyser)[0]

    def close(self) -> None:
        """Nothing to release: the models belong to whoever passed them in."""
