"""The Chroma store: chunk vectors plus each document's cleaned text and content hash.

Two collections per store: ``{name}-chunks`` (one record per chunk, cosine space, the
embedding model's name and dimension in its metadata) and ``{name}-docs`` (one record per
document: cleaned text, metadata, content hash; a 1-d placeholder vector). A document's
record is written after its chunks, so an ingest killed half-way leaves the old hash behind
and the next run redoes exactly that document.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelMismatch, NotFound
from qa.filters import Filters as Filters
from qa.filters import where_clause
from qa.index.chroma import connect, translate_errors
from qa.index.embedding import Embedder
from qa.index.records import (
    DocumentWrite,
    StoreAnalyser,
    StoredChunk,
    article_from,
    chunk_metadata,
    document_metadata,
    passage_from,
    written_metadata,
)
from qa.types import Article, Chunk, Passage

_PAGE = 1000
logger = logging.getLogger(__name__)
# Chroma persists a collection's vector index, and can trim its write-ahead log, every
# ``sync_threshold`` records (default 1,000). With the default, each write of chunks (whose
# metadata carries a ~5,000-character analysis) got slower as records piled up: 2,100 chunks 8
# at a time took 70-100 ms a call, under Python's GIL, rising; with 100, a flat ~25 ms, and bulk
# ingest got no slower (measured: see the README's load test notes).
SYNC_THRESHOLD = 100


class ChromaStore:
    """Chunks and documents in Chroma, embedded locally or on a ``chroma run`` server."""

    def __init__(
        self,
        embedder: Embedder,
        data_dir: Path,
        url: str = "",
        name: str = "announcements",
        timeout: float = 30.0,
        analyser: StoreAnalyser | None = None,
    ) -> None:
        self.embedder = embedder
        self.analyser = analyser  # ingest analyses chunks with it (None: not at all)
        self.data_dir = Path(data_dir)
        self.url = url
        self.name = name
        self.timeout = timeout  # seconds per call to a Chroma server
        self._client: Any = None
        self._opening = threading.Lock()  # threads that all find it closed open it once
        self._chunks: Any = None
        self._docs: Any = None

    @property
    def location(self) -> str:
        return self.url or str((self.data_dir / "chroma").resolve())

    # -- opening -------------------------------------------------------------------------
    @translate_errors
    def open(self) -> None:
        """Connect and check that the collection was built with this store's embedding model."""
        with self._opening:
            if self._chunks is None:
                self._open()

    def _open(self) -> None:
        self._connect()
        model, dim = self.embedder.name, self.embedder.dimension
        chunks = self._client.get_or_create_collection(
            f"{self.name}-chunks",
            metadata={"embedding_model": model, "dimension": dim, "revision": ""},
            configuration={"hnsw": {"space": "cosine", "sync_threshold": SYNC_THRESHOLD}},
            embedding_function=None,
        )
        meta = chunks.metadata or {}
        if meta.get("embedding_model") != model or meta.get("dimension") != dim:
            raise ModelMismatch(
                f"the collection {self.name!r} at {self.location} was built with "
                f"{meta.get('embedding_model')} ({meta.get('dimension')} dimensions), not {model} "
                f"({dim}); re-index with `qa ingest --reset` or set QA_EMBEDDING_MODEL and "
                f"QA_EMBEDDING_BACKEND back"
            )
        _tune(chunks)
        self._docs = self._client.get_or_create_collection(f"{self.name}-docs", embedding_function=None)
        self._chunks = chunks

    def _connect(self) -> None:
        """Create the Chroma client without touching any collection."""
        if self._client is None:
            self._client = connect(self.url, self.data_dir, self.timeout)

    def _collections(self) -> tuple[Any, Any]:
        self.open()
        return self._chunks, self._docs

    @translate_errors
    def reset(self) -> None:
        """Delete both collections (everything ingested) and start empty, whatever model built them."""
        from chromadb.errors import NotFoundError

        self._connect()  # not open(): reset is the way out of a ModelMismatch
        for collection in (f"{self.name}-chunks", f"{self.name}-docs"):
            with suppress(NotFoundError):
                self._client.delete_collection(collection)
        self._chunks = self._docs = None
        self.open()

    # -- revision: lets lexical indexes in any process notice store changes ---------------
    @translate_errors
    def revision(self) -> str:
        """The store's revision (checked before every search); notices a reset made elsewhere."""
        from chromadb.errors import NotFoundError

        chunks, _ = self._collections()
        try:
            fresh = self._client.get_collection(chunks.name, embedding_function=None)
        except NotFoundError:
            fresh = None
        if fresh is None or fresh.id != chunks.id:
            # Another process reset the store: reopen (re-checking the model) instead of
            # failing on deleted collections until restarted.
            self._chunks = self._docs = None
            fresh, _ = self._collections()
        return str((fresh.metadata or {}).get("revision", ""))

    @translate_errors
    def bump_revision(self) -> str:
        chunks, _ = self._collections()
        revision = uuid.uuid4().hex
        meta = {k: v for k, v in (chunks.metadata or {}).items() if not k.startswith("hnsw:")}
        chunks.modify(metadata={**meta, "revision": revision})
        return revision

    # -- writing -------------------------------------------------------------------------
    @translate_errors
    def document_hashes(self) -> dict[str, str]:
        """content hash of every stored document, by doc_id."""
        _, docs = self._collections()
        hashes: dict[str, str] = {}
        for ids, metas in self._pages(docs, include=["metadatas"]):
            for doc_id, meta in zip(ids, metas, strict=True):
                hashes[doc_id] = str(meta.get("content_hash", ""))
        return hashes

    def write_document(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        embeddings: Sequence[Sequence[float]],
        content_hash: str,
    ) -> None:
        """Replace the document's chunks, then record the document itself (see module doc)."""
        self.write_documents([DocumentWrite(article, chunks, embeddings, content_hash)])

    @translate_errors
    def write_documents(
        self, writes: Sequence[DocumentWrite], chunks_per_call: int = 0, pause: float = 0.0
    ) -> None:
        """`write_document` for several documents, in three or four Chroma calls for all of them
        (or slices of ``chunks_per_call`` chunks, ``pause`` seconds apart: an embedded Chroma
        holds Python's GIL throughout each call, ~25 ms for 8 chunks, so a server writing a big
        document in one call would stall every request; the pause, with the GIL free, lets a
        request waiting between two calls finish. More calls cost more in all, so bulk ingest
        does not slice).

        All their chunks are written first and their records last, so a run killed in between
        leaves the old hashes behind and the next run redoes exactly these documents.
        """
        chunk_col, docs = self._collections()
        if not writes:
            return
        bases = [document_metadata(w.article) for w in writes]
        ids, vectors, texts, metas = [], [], [], []
        for write, base in zip(writes, bases, strict=True):
            analyses = write.analyses or [""] * len(write.chunks)
            for chunk, vector, analysis in zip(write.chunks, write.embeddings, analyses, strict=True):
                ids.append(chunk.chunk_id)
                vectors.append(vector)
                texts.append(chunk.text)
                metas.append(chunk_metadata(base, chunk, analysis))
        step = chunks_per_call or len(ids) or 1
        for at in range(0, len(ids), step):
            if at and pause:
                time.sleep(pause)
            part = slice(at, at + step)
            chunk_col.upsert(
                ids=ids[part],
                embeddings=np.asarray(vectors[part], dtype=np.float32),
                documents=texts[part],
                metadatas=metas[part],
            )
        doc_ids = [w.article.doc_id for w in writes]
        current = set(ids)
        stored = chunk_col.get(where={"doc_id": {"$in": doc_ids}}, include=[])["ids"]
        stale = [cid for cid in stored if cid not in current]
        if stale:
            chunk_col.delete(ids=stale)
        docs.upsert(
            ids=doc_ids,
            embeddings=np.ones((len(writes), 1), dtype=np.float32),
            documents=[w.article.text for w in writes],
            metadatas=[written_metadata(w, base) for w, base in zip(writes, bases, strict=True)],
        )

    @translate_errors
    def stale_analyses(self, version: str) -> list[str]:
        """doc_ids of the stored documents whose chunks carry no analysis of ``version``."""
        _, docs = self._collections()
        return [
            doc_id
            for ids, metas in self._pages(docs, include=["metadatas"])
            for doc_id, meta in zip(ids, metas, strict=True)
            if meta.get("analysis", "") != version
        ]

    @translate_errors
    def chunks_of(self, doc_ids: Sequence[str]) -> list[StoredChunk]:
        """Every stored chunk of these documents, with its text and metadata."""
        chunks, _ = self._collections()
        got = chunks.get(where={"doc_id": {"$in": list(doc_ids)}}, include=["documents", "metadatas"])
        return [
            StoredChunk(chunk_id=cid, doc_id=str(meta["doc_id"]), text=text, metadata=dict(meta))
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]

    @translate_errors
    def set_analyses(
        self, doc_ids: Sequence[str], chunks: Sequence[StoredChunk], analyses: Sequence[str], version: str
    ) -> None:
        """Replace the analyses of these documents' ``chunks`` (nothing else of them changes)."""
        chunk_col, docs = self._collections()
        if chunks:
            chunk_col.update(
                ids=[c.chunk_id for c in chunks],
                metadatas=[{**c.metadata, "analysis": a} for c, a in zip(chunks, analyses, strict=True)],
            )
        got = docs.get(ids=list(doc_ids), include=["metadatas"])
        if got["ids"]:
            docs.update(ids=got["ids"], metadatas=[{**m, "analysis": version} for m in got["metadatas"]])

    @translate_errors
    def delete_document(self, doc_id: str) -> None:
        """Remove a document and all of its chunks (NotFound when absent)."""
        chunks, docs = self._collections()
        if not docs.get(ids=[doc_id], include=[])["ids"]:
            raise NotFound(f"no document with doc_id {doc_id!r}")
        chunks.delete(where={"doc_id": doc_id})
        docs.delete(ids=[doc_id])

    # -- reading -------------------------------------------------------------------------
    @translate_errors
    def get_document(self, doc_id: str) -> Article:
        """The stored cleaned text and metadata of one document (NotFound when absent)."""
        _, docs = self._collections()
        got = docs.get(ids=[doc_id], include=["documents", "metadatas"])
        if not got["ids"]:
            raise NotFound(f"no document with doc_id {doc_id!r}; list them with GET /v1/documents")
        return article_from(doc_id, got["documents"][0], got["metadatas"][0])

    @translate_errors
    def list_documents(self, limit: int = 100, offset: int = 0, after: str | None = None) -> list[Article]:
        """Documents sorted by doc_id, from the ``offset``-th one after the doc_id ``after`` (a
        cursor: the last one of the previous page); ``text`` left empty (fetch one for its text).
        Only the ids of the others are read, not their metadata."""
        _, docs = self._collections()
        ids: list[str] = []
        offset_ids = 0
        while True:
            got = docs.get(include=[], limit=_PAGE, offset=offset_ids)
            if not got["ids"]:
                break
            ids.extend(got["ids"])
            offset_ids += len(got["ids"])
        ids.sort()
        start = bisect.bisect_right(ids, after) if after is not None else 0
        page = ids[start + offset : start + offset + limit]
        if not page:
            return []
        got = docs.get(ids=page, include=["metadatas"])
        metas = dict(zip(got["ids"], got["metadatas"], strict=True))
        return [article_from(i, "", metas[i]) for i in page if i in metas]

    @translate_errors
    def counts(self) -> tuple[int, int]:
        """(documents, chunks)."""
        chunks, docs = self._collections()
        return int(docs.count()), int(chunks.count())

    @translate_errors
    def iter_chunks(self) -> Iterator[StoredChunk]:
        """Every stored chunk with its text and metadata, page by page."""
        chunks, _ = self._collections()
        for ids, metas, texts in self._pages(chunks, include=["metadatas", "documents"], with_documents=True):
            for cid, meta, text in zip(ids, metas, texts, strict=True):
                yield StoredChunk(chunk_id=cid, doc_id=str(meta["doc_id"]), text=text, metadata=dict(meta))

    @staticmethod
    def _pages(collection: Any, include: list[str], with_documents: bool = False) -> Iterator[Any]:
        offset = 0
        while True:
            got = collection.get(include=include, limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            if with_documents:
                yield got["ids"], got["metadatas"], got["documents"]
            else:
                yield got["ids"], got["metadatas"]
            offset += len(got["ids"])

    @translate_errors
    def nearest(
        self, embedding: Sequence[float], k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the ``k`` chunks nearest to ``embedding``, best first.

        Ids and distances only: reading the texts and metadata of all the candidates costs more
        than the vector search itself (30 of 100k chunks: ~2 ms more on top of ~2 ms), so a caller
        that keeps only some of them reads those with ``get_chunks``.
        """
        chunks, _ = self._collections()
        got = chunks.query(
            query_embeddings=[list(embedding)],
            n_results=k,
            where=where_clause(filters),
            include=["distances"],
        )
        return [
            (cid, 1.0 - float(dist)) for cid, dist in zip(got["ids"][0], got["distances"][0], strict=True)
        ]

    @translate_errors
    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Passage]:
        """Stored chunks by id, in the order asked (missing ids are left out)."""
        if not chunk_ids:
            return []
        chunks, _ = self._collections()
        got = chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        found = {
            cid: passage_from(cid, text, meta)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }
        return [found[c] for c in chunk_ids if c in found]


def _tune(chunks: Any) -> None:
    """Give a collection created before `SYNC_THRESHOLD` (or by other code) that threshold.

    Chroma reads it when it loads the collection's index, so changing it here, before this
    process writes or searches, applies at once to an embedded store; a Chroma server that
    already holds the collection in memory may apply it only after a restart."""
    hnsw = (chunks.configuration or {}).get("hnsw")
    if hnsw is None or hnsw.get("sync_threshold") == SYNC_THRESHOLD:
        return
    try:
        chunks.modify(configuration={"hnsw": {"sync_threshold": SYNC_THRESHOLD}})
    except Exception as exc:  # only slower writes, never a store that will not open
        logger.warning("could not set sync_threshold on %s (%s); writes stay slower", chunks.name, exc)
