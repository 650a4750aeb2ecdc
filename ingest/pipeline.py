"""Ingest: load, clean, chunk, embed and write articles through the store, idempotently."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ingest.loading import load_articles
from ingest.preparation import content_hash, embedded_writes
from qa.errors import ArticleError
from qa.index.chunking import chunk_article
from qa.index.lexical import LexicalIndex
from qa.index.records import DocumentWrite
from qa.index.store import ChromaStore
from qa.types import Article, Chunk

Progress = Callable[[int, int], None]  # (documents done, documents to embed)
UPLOAD_PATH_PREFIX = "upload:"  # the stored path of documents written through the API
WEB_PATH_PREFIX = "web:"  # the stored path of pages ingested from feeds and sitemaps (web:URL)
# A server's upload is written in small slices with a pause between them (GIL free), so no
# Chroma call stalls its requests for long (`ChromaStore.write_documents`).
SERVER_CHUNKS_PER_CALL = 8
SERVER_PAUSE_SECONDS = 0.02


@dataclass
class IngestReport:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    reanalysed: list[str] = field(default_factory=list)  # unchanged documents whose analysis was redone
    failures: list[ArticleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # ingested, but something was dropped
    chunks_written: int = 0
    seconds: float = 0.0

    @property
    def wrote_anything(self) -> bool:
        return bool(self.new or self.changed or self.pruned)


def ingest_paths(
    paths: Sequence[Path],
    store: ChromaStore,
    lexical: LexicalIndex,
    *,
    chunk_size: int = 900,
    overlap: int = 1,
    prune: bool = False,
    reset: bool = False,
    batch_chunks: int = 128,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the store in line with the articles under ``paths``; return what happened.

    Unchanged documents (same content hash) are neither embedded nor written. Broken files are
    reported in ``failures`` and skipped. ``prune`` deletes stored documents whose files are gone.
    The lexical index is rebuilt whenever anything was written.
    """
    started = time.perf_counter()
    report = IngestReport()
    loaded = load_articles(paths)
    report.failures = list(loaded.failures)
    report.warnings = list(loaded.warnings)
    if reset:
        store.reset()
    write_changed(loaded.articles, store, report, chunk_size, overlap, batch_chunks, progress)
    report.reanalysed = _reanalyse(store, batch_chunks)
    if prune:
        report.pruned = _prune(store, paths, loaded.articles, report.failures)
    refresh_lexical(store, lexical, report, reset)
    report.seconds = time.perf_counter() - started
    return report


def write_changed(
    articles: Sequence[Article],
    store: ChromaStore,
    report: IngestReport,
    chunk_size: int = 900,
    overlap: int = 1,
    batch_chunks: int = 128,
    progress: Progress | None = None,
) -> None:
    """Embed and write the articles whose content hash differs from the stored one, counting
    each into ``report`` (new, changed or unchanged); the lexical index is left to the caller."""
    stored = store.document_hashes()
    todo: list[tuple[Article, str]] = []
    for article in articles:
        digest = content_hash(article, chunk_size, overlap)
        if stored.get(article.doc_id) == digest:
            report.unchanged.append(article.doc_id)
            continue
        (report.changed if article.doc_id in stored else report.new).append(article.doc_id)
        todo.append((article, digest))
    _write(todo, store, report, batch_chunks, chunk_size, overlap, progress)


def refresh_lexical(
    store: ChromaStore, lexical: LexicalIndex, report: IngestReport, reset: bool = False
) -> None:
    """Rebuild the lexical index when the run wrote anything, else only make sure it is current."""
    if report.wrote_anything or reset:
        store.bump_revision()
        lexical.rebuild(store)
    else:
        lexical.ensure_current(store)


def write_prepared(write: DocumentWrite, store: ChromaStore, lexical: LexicalIndex) -> IngestReport:
    """Write one prepared document (`ingest.preparation`) the way `ingest_paths` writes each
    file's, for the API's uploads: chunks, new revision, lexical rebuild.

    Returns the report (``new``, ``changed`` or ``unchanged`` names the doc_id); a document whose
    stored content hash is the same writes nothing. Raises StoreError (StorageFull when the disk
    is full).
    """
    started = time.perf_counter()
    report = IngestReport()
    doc_id = write.article.doc_id
    stored = store.document_hashes().get(doc_id)
    if stored == write.content_hash:
        report.unchanged.append(doc_id)
    else:
        (report.new if stored is None else report.changed).append(doc_id)
        store.bump_revision()  # changing: see `_write`
        # A server writes this while answering: in slices, so no Chroma call stalls it long.
        store.write_documents([write], SERVER_CHUNKS_PER_CALL, SERVER_PAUSE_SECONDS)
        report.chunks_written = len(write.chunks)
        store.bump_revision()
        lexical.rebuild(store)
    report.seconds = time.perf_counter() - started
    return report


def remove_document(doc_id: str, store: ChromaStore, lexical: LexicalIndex) -> None:
    """Delete one stored document and its chunks, then refresh the lexical index (NotFound when absent)."""
    before = store.revision()
    store.delete_document(doc_id)
    lexical.remove_documents([doc_id], before, store.bump_revision(), store)


def _write(
    todo: Sequence[tuple[Article, str]],
    store: ChromaStore,
    report: IngestReport,
    batch_chunks: int,
    chunk_size: int,
    overlap: int,
    progress: Progress | None,
) -> None:
    """Chunk, embed and write ``todo`` (article, content hash) pairs, counting into ``report``."""
    if todo:
        # Mark the store as changing first: a run killed half-way must still leave every
        # lexical index out of date, or the next run (finding nothing to do) would keep it.
        store.bump_revision()
    done = 0
    for group in _batches(todo, batch_chunks, chunk_size, overlap):
        writes = embedded_writes(group, store.embedder, store.analyser)
        # The whole group in one write: each Chroma call costs ~25 ms however small (10k chunks
        # took 85 s in writes of 8 documents, 35 s in writes of 1,024 chunks), and a run
        # killed half-way loses one group, about ``batch_chunks`` chunks.
        store.write_documents(writes)
        report.chunks_written += sum(len(w.chunks) for w in writes)
        done += len(group)
        if progress is not None:
            progress(done, len(todo))


def _reanalyse(store: ChromaStore, batch_chunks: int) -> list[str]:
    """Analyse again the chunks of stored documents whose analysis is missing or of another
    version (a new spaCy or embedding model, or analysis code); the chunks are not re-embedded."""
    analyser = store.analyser
    if analyser is None:
        return []
    stale = store.stale_analyses(analyser.version)
    step = max(1, batch_chunks // 8)  # documents per round: about ``batch_chunks`` chunks
    for first in range(0, len(stale), step):
        doc_ids = stale[first : first + step]
        chunks = store.chunks_of(doc_ids)
        store.set_analyses(doc_ids, chunks, analyser.analyse([c.text for c in chunks]), analyser.version)
    return stale


def _prune(
    store: ChromaStore, paths: Sequence[Path], articles: Sequence[Article], failures: Sequence[ArticleError]
) -> list[str]:
    """Delete stored documents whose files are gone; return their ids.

    A file (or folder) that exists but failed to load this time is not gone, and when a given
    path itself is missing or unreadable nothing can be told gone: those are never pruned.
    Documents written through the API (path ``upload:...``) or fetched from the web (``web:...``)
    are not the corpus's to prune.
    """
    failed = [Path(f.path).as_posix() for f in failures]
    if {Path(p).as_posix() for p in paths} & set(failed):
        return []
    present = {a.doc_id for a in articles}
    pruned = []
    for doc in store.list_documents(limit=10**9):
        uploaded = doc.path.startswith((UPLOAD_PATH_PREFIX, WEB_PATH_PREFIX))
        if doc.doc_id in present or uploaded or _failed_to_load(doc.path, failed):
            continue
        store.delete_document(doc.doc_id)
        pruned.append(doc.doc_id)
    return pruned


def _failed_to_load(path: str, failed: Sequence[str]) -> bool:
    """Whether the file at ``path`` (relative to its corpus root) or a folder above it failed."""
    if not path:
        return False
    names = [path, *(p.as_posix() for p in PurePosixPath(path).parents if p.as_posix() != ".")]
    return any(f == name or f.endswith("/" + name) for f in failed for name in names)


def _batches(
    todo: Sequence[tuple[Article, str]], batch_chunks: int, chunk_size: int, overlap: int
) -> Iterator[list[tuple[Article, str, list[Chunk]]]]:
    """Whole documents grouped so that each embedding call gets about ``batch_chunks`` chunks."""
    group: list[tuple[Article, str, list[Chunk]]] = []
    size = 0
    for article, digest in todo:
        chunks = chunk_article(article, chunk_size, overlap)
        group.append((article, digest, chunks))
        size += len(chunks)
        if size >= batch_chunks:
            yield group
            group, size = [], 0
    if group:
        yield group
