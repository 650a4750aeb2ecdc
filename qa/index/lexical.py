"""BM25 over chunk texts (bm25s), persisted beside the store and kept in step with it.

The index remembers the store revision it was built from; ``ensure_current`` rebuilds it
from the store when the revision changed (another process ingested) or the files are missing
or unreadable. Deleting documents (``remove_documents``) only hides their chunks and stamps
the new revision, in milliseconds instead of a rebuild: their terms still count in the BM25
statistics until the next rebuild (the next ingest that writes anything).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from qa.filters import Filters, date_range
from qa.index.store import ChromaStore
from qa.text import CURRENCY_SIGNS, STOPWORDS, words

_CURRENCY = re.compile(rf"^([a-z]*[{CURRENCY_SIGNS}])(\d.*)$")
logger = logging.getLogger(__name__)


# Bumped when lexical_tokens changes: an index saved with other terms is rebuilt, not misread.
TOKENS_VERSION = 3  # 2: words with accents stay whole ("José", not "jos" + "é"); 3: "_" joins words


def lexical_tokens(text: str) -> list[str]:
    """BM25 terms: lower-case words without stopwords, numbers without thousands separators.

    "S$300" yields both "s$300" and "300", so "300 million" finds it and so does "S$300".
    """
    tokens: list[str] = []
    for word in words(text):
        if word in STOPWORDS:
            continue
        word = word.replace("’", "'")
        if any(ch.isdigit() for ch in word):
            word = re.sub(r"(?<=\d),(?=\d{3})", "", word)
        tokens.append(word)
        currency = _CURRENCY.match(word)
        if currency:
            tokens.append(currency.group(2))
        if word.endswith("'s"):
            tokens.append(word[:-2])
    return tokens


class LexicalIndex:
    """A BM25 index of every chunk in a store; thread-safe rebuilds."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.revision: str | None = None
        self._retriever: Any = None
        self._ids: list[str] = []
        self._doc_ids: np.ndarray = np.array([], dtype=object)
        self._sources: np.ndarray = np.array([], dtype=object)
        self._dates: np.ndarray = np.array([], dtype=np.int64)
        self._removed: np.ndarray = np.array([], dtype=bool)  # chunks of deleted documents
        self._lock = threading.Lock()
        # Processes sharing the data dir (uvicorn workers, qa ingest beside a server) swap the
        # saved index under this lock, and read it under it too: nobody loads half a swap.
        self._files_lock = FileLock(str(self.folder.with_name(self.folder.name + ".lock")), timeout=120)

    def ensure_current(self, store: ChromaStore) -> None:
        """Load the persisted index, or rebuild it, so that it matches the store's revision."""
        revision = store.revision()
        if self._retriever is not None and self.revision == revision:
            return
        with self._lock:
            if self._retriever is not None and self.revision == revision:
                return
            if not self._load(revision):
                self._rebuild(store, revision)

    def rebuild(self, store: ChromaStore) -> None:
        """Build from the store's chunks and persist, whatever is on disk."""
        with self._lock:
            self._rebuild(store, store.revision())

    def remove_documents(self, doc_ids: list[str], before: str, after: str, store: ChromaStore) -> None:
        """Hide the chunks of ``doc_ids``, just deleted from the store, which moved its revision
        from ``before`` to ``after``. Rebuilds instead when this index was not at ``before``."""
        with self._lock:
            if self.revision != before and not self._load(before):
                self._rebuild(store, after)
                return
            self._removed = self._removed | np.isin(self._doc_ids, doc_ids)
            self.revision = after
            try:
                self.folder.parent.mkdir(parents=True, exist_ok=True)
                with self._files_lock:
                    self._save_manifest(self.folder)
            except (OSError, Timeout) as exc:
                logger.warning(
                    "could not save the lexical index to %s (%s); it will be rebuilt", self.folder, exc
                )

    def _rebuild(self, store: ChromaStore, revision: str) -> None:
        import bm25s

        ids: list[str] = []
        corpus: list[list[str]] = []
        doc_ids: list[str] = []
        sources: list[str] = []
        dates: list[int] = []
        for chunk in store.iter_chunks():
            ids.append(chunk.chunk_id)
            # The title is part of what a chunk is about: "the lab" questions name the article.
            corpus.append(lexical_tokens(f"{chunk.metadata.get('title', '')}\n{chunk.text}") or ["\x00"])
            doc_ids.append(chunk.doc_id)
            sources.append(str(chunk.metadata.get("source", "")))
            dates.append(int(chunk.metadata.get("date_ts", 0)))
        retriever = bm25s.BM25()
        if corpus:
            retriever.index(corpus, show_progress=False)
        self._install(retriever if corpus else None, revision, ids, doc_ids, sources, dates)
        try:
            self._save(retriever if corpus else None)
        except OSError as exc:  # e.g. a full disk: the index in memory is complete, so keep serving
            logger.warning(
                "could not save the lexical index to %s (%s); it will be rebuilt", self.folder, exc
            )

    def _install(
        self,
        retriever: Any,
        revision: str,
        ids: list[str],
        doc_ids: list[str],
        sources: list[str],
        dates: list[int],
    ) -> None:
        self._retriever = retriever if retriever is not None else False
        self.revision = revision
        self._ids = ids
        self._doc_ids = np.array(doc_ids, dtype=object)
        self._sources = np.array(sources, dtype=object)
        self._dates = np.array(dates, dtype=np.int64)
        self._removed = np.zeros(len(ids), dtype=bool)

    def _save(self, retriever: Any) -> None:
        # A staging folder of our own: processes sharing this data dir (uvicorn workers, an
        # ingest beside a server) may save at the same moment and must not mix their files.
        tmp = self.folder.with_name(f"{self.folder.name}.tmp-{uuid.uuid4().hex}")
        try:
            tmp.mkdir(parents=True)
            if retriever is not None:
                retriever.save(str(tmp / "bm25"), show_progress=False)
            self._save_manifest(tmp)
            # Swap in whole, under the lock readers take: a reader never sees half an index.
            with self._files_lock:
                if self.folder.is_symlink() or self.folder.is_file():
                    self.folder.unlink()
                shutil.rmtree(self.folder, ignore_errors=True)
                tmp.rename(self.folder)
        except Timeout as exc:
            raise OSError(f"the lexical index lock {self._files_lock.lock_file} stayed taken") from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _save_manifest(self, folder: Path) -> None:
        manifest = {
            "tokens": TOKENS_VERSION,
            "revision": self.revision,
            "ids": self._ids,
            "doc_ids": list(self._doc_ids),
            "sources": list(self._sources),
            "dates": [int(d) for d in self._dates],
            "removed": [int(i) for i in np.flatnonzero(self._removed)],
        }
        tmp = folder / f"manifest.json.tmp-{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        tmp.replace(folder / "manifest.json")  # whole or not at all, for readers in other processes

    def _load(self, revision: str) -> bool:
        import bm25s

        try:
            if not (self.folder / "manifest.json").is_file():
                return False
            with self._files_lock:
                manifest = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
                if manifest["revision"] != revision or manifest.get("tokens") != TOKENS_VERSION:
                    return False  # another store state, or terms split by an older tokenizer
                retriever = bm25s.BM25.load(str(self.folder / "bm25")) if manifest["ids"] else None
            sizes = {len(manifest[key]) for key in ("ids", "doc_ids", "sources", "dates")}
            if retriever is not None:
                sizes.add(int(retriever.scores["num_docs"]))
            if len(sizes) != 1:  # parts from different builds: searching would fail or mislead
                return False
            self._install(
                retriever,
                revision,
                manifest["ids"],
                manifest["doc_ids"],
                manifest["sources"],
                manifest["dates"],
            )
            self._removed[manifest.get("removed", [])] = True
            return True
        except Exception:  # missing, corrupt or from another version: rebuilding is always correct
            return False

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk_id, BM25 score) pairs with a positive score, best first."""
        tokens = lexical_tokens(query)
        if not tokens or not self._retriever or not self._ids:
            return []
        mask = self._mask(filters)
        if self._removed.any():
            mask = (mask if mask is not None else np.ones(len(self._ids), dtype=np.float32)) * ~self._removed
        if mask is not None and not mask.any():
            return []
        scores = np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)
        if mask is not None:
            scores = scores * mask
        # Only chunks holding a query term score above zero: rank those few, not every chunk
        # (bm25s' own top-k partitions the whole score array: 30 ms a question at 234k chunks).
        hits = np.flatnonzero(scores > 0.0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        best = hits[np.lexsort((hits, -scores[hits]))]  # by score, then by position: deterministic
        return [(self._ids[int(i)], float(scores[i])) for i in best]

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None:
            return None
        mask = np.ones(len(self._ids), dtype=bool)
        if filters.source:
            mask &= self._sources == filters.source
        if filters.doc_ids:
            mask &= np.isin(self._doc_ids, list(filters.doc_ids))
        days = date_range(filters)
        if days is not None:
            mask &= (self._dates >= days[0]) & (self._dates <= days[1])
        return mask.astype(np.float32) if not mask.all() else None
