"""Documents written through the API, kept as corpus files under ``{data_dir}/uploads``.

Each upload is staged in a private folder, loaded with the corpus loader (same checks, same
cleaning), chunked, embedded and analysed by an `UploadPreparer` (in a worker process on a
server: `ingest.worker`), written with `write_prepared`, and only then moved into the uploads
folder. Only the write holds the write locks, never the preparation. A
JSON document is stored as Markdown with front matter, so the folder is itself a corpus:
``qa ingest DATA_DIR/uploads`` rebuilds every upload after a reset. File names are reduced to
letters, digits, ``.``, ``_`` and ``-``; no name can leave the folder. Stored documents carry
the path ``upload:NAME``, which ``qa ingest --prune`` leaves alone.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from filelock import FileLock, Timeout

from ingest.loading import SUPPORTED_SUFFIXES
from ingest.pipeline import UPLOAD_PATH_PREFIX, remove_document, write_prepared
from ingest.preparation import LoadedUpload, UploadPreparer, load_upload
from qa.errors import DuplicateDocumentError, InvalidRequest, NotFound, StoreUnavailable
from qa.index.lexical import LexicalIndex
from qa.index.store import ChromaStore
from qa.types import Article

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 120
# One writer at a time in this process: two uploads must not interleave their lexical rebuilds;
# and across processes sharing the data dir (uvicorn --workers N, qa ingest), `write_lock`.
_WRITE_LOCK = threading.Lock()
WRITE_LOCK_SECONDS = 600


@contextmanager
def write_lock(data_dir: Path, seconds: float = WRITE_LOCK_SECONDS) -> Iterator[None]:
    """Hold the data dir's write lock (a file lock every process writing there takes); raises
    StoreUnavailable when another writer keeps it longer than ``seconds``."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(Path(data_dir) / "writes.lock"))
    try:
        lock.acquire(timeout=seconds)
    except Timeout:
        raise StoreUnavailable(
            f"another process has been writing to {data_dir} for over {seconds:g} s; try again later"
        ) from None
    try:
        yield
    finally:
        lock.release()


@dataclass
class UploadResult:
    article: Article
    status: str  # "created", "replaced" or "unchanged"
    chunks: int  # chunks written (0 when unchanged)


def safe_stem(name: str) -> str:
    """``name`` reduced to ``[A-Za-z0-9._-]`` (other runs become '-'), no leading dots, at most 120 chars."""
    return _UNSAFE.sub("-", name).strip(".-")[:_MAX_NAME].strip(".-")


def upload_file_name(filename: str) -> str:
    """The sanitised base name of an uploaded file (folders dropped); InvalidRequest when nothing is left."""
    base = PurePosixPath(filename.replace("\\", "/")).name
    suffix = PurePosixPath(base).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{suffix}'" if suffix else "(no extension)"
        raise InvalidRequest(f"unsupported file type {kind}; upload one of {', '.join(SUPPORTED_SUFFIXES)}")
    stem = safe_stem(base[: -len(suffix)])
    if not stem:
        raise InvalidRequest(f"the file name {base!r} has no usable characters; name it like 'news-2025.md'")
    return stem + suffix


def stored_file_name(doc_id: str, suffix: str) -> str:
    """The file name a document is kept under: its doc_id when that is already safe, else a
    sanitised form, '~' and a hash of the doc_id. '~' is never in a safe doc_id, so a safe id
    and a hashed one never meet ('press/release' and 'press-release-402065519f' once did)."""
    stem = safe_stem(doc_id)
    if stem != doc_id or not stem:
        digest = hashlib.sha256(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        stem = f"{stem[:80] or 'document'}~{digest}"
    return stem + suffix


def check_doc_id(doc_id: str) -> None:
    """InvalidRequest for a doc_id with control or format characters (NUL, bidi overrides, ...) or
    one that Unicode normalisation (NFC, applied to every stored document) would change."""
    bad = sorted({f"U+{ord(c):04X}" for c in doc_id if unicodedata.category(c) in ("Cc", "Cf", "Cs")})
    if bad:
        raise InvalidRequest(
            f"doc_id must not contain control or invisible characters ({', '.join(bad[:5])}): remove them"
        )
    if unicodedata.normalize("NFC", doc_id) != doc_id:
        raise InvalidRequest(
            "doc_id is not in Unicode normal form NFC, so it would be stored as a different id: "
            "send its NFC form"
        )


class UploadFolder:
    """Adds and removes documents through the ingest code, keeping their files in ``folder``;
    ``preparer`` chunks, embeds and analyses each upload (with the same chunking as given here)."""

    def __init__(
        self,
        folder: Path,
        store: ChromaStore,
        lexical: LexicalIndex,
        preparer: UploadPreparer,
        *,
        max_bytes: int,
        chunk_size: int = 900,
        overlap: int = 1,
    ) -> None:
        self.folder = Path(folder)
        self.store = store
        self.lexical = lexical
        self.preparer = preparer
        self.max_bytes = max_bytes
        self.chunk_size = chunk_size
        self.overlap = overlap

    def add_file(self, filename: str, data: bytes, replace: bool = False) -> UploadResult:
        """Ingest an uploaded ``.md``/``.txt``/``.html`` file. Raises InvalidRequest (unusable file),
        DuplicateDocumentError (doc_id taken and not ``replace``) or StoreError."""
        name = upload_file_name(filename)
        if len(data) > self.max_bytes:
            raise InvalidRequest(
                f"the file is {len(data):,} bytes, over the {self.max_bytes:,}-byte limit "
                "(QA_MAX_UPLOAD_BYTES)"
            )
        return self._add(name, data, replace)

    def add_document(
        self,
        *,
        title: str,
        text: str,
        doc_id: str = "",
        source: str = "",
        date: str = "",
        url: str = "",
        replace: bool = False,
    ) -> UploadResult:
        """Ingest a document given as fields (stored as Markdown with front matter); raises as `add_file`."""
        check_doc_id(doc_id)
        doc_id = doc_id.strip() or safe_stem(title.lower()) or f"doc-{_digest(title + text)}"
        fields = {"doc_id": doc_id, "title": title, "source": source, "date": date, "url": url}
        front = yaml.safe_dump({k: v for k, v in fields.items() if v}, allow_unicode=True, sort_keys=False)
        data = f"---\n{front}---\n{text}\n".encode()
        return self._add(stored_file_name(doc_id, ".md"), data, replace)

    def remove(self, doc_id: str) -> None:
        """Delete a stored document (uploaded or not) and its uploaded file; NotFound when absent."""
        with _WRITE_LOCK, write_lock(self.folder.parent):
            path = self.store.get_document(doc_id).path
            remove_document(doc_id, self.store, self.lexical)
            if path.startswith(UPLOAD_PATH_PREFIX):
                self._inside(path[len(UPLOAD_PATH_PREFIX) :]).unlink(missing_ok=True)

    def _add(self, name: str, data: bytes, replace: bool) -> UploadResult:
        staging = self.folder / ".staging" / uuid.uuid4().hex
        try:
            staging.mkdir(parents=True)
            staged = staging / name
            staged.write_bytes(data)
            loaded = load_upload(
                staged, max_bytes=self.max_bytes, chunk_size=self.chunk_size, overlap=self.overlap
            )
            doc_id = loaded.article.doc_id
            final = stored_file_name(doc_id, staged.suffix)
            loaded.article = loaded.article.model_copy(update={"path": UPLOAD_PATH_PREFIX + final})
            # Checked before the long preparation, so a refused or unchanged upload costs no
            # embedding, and again under the lock: another upload may have come in meanwhile.
            self._check_free(doc_id, replace)
            write = None if self._unchanged(loaded) else self.preparer.prepare(loaded)
            with _WRITE_LOCK, write_lock(self.folder.parent):
                existing = self._check_free(doc_id, replace)
                if write is None and not self._unchanged(loaded):  # replaced meanwhile (rare)
                    write = self.preparer.prepare(loaded)
                chunks, unchanged = 0, write is None
                if write is not None:
                    report = write_prepared(write, self.store, self.lexical)
                    chunks, unchanged = report.chunks_written, bool(report.unchanged)
                staged.replace(self._inside(final))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        status = "created" if existing is None else "unchanged" if unchanged else "replaced"
        return UploadResult(loaded.article, status, chunks)

    def _check_free(self, doc_id: str, replace: bool) -> str | None:
        """Where the stored document with this doc_id came from (None: no such document);
        DuplicateDocumentError when there is one and ``replace`` is false."""
        existing = self._existing(doc_id)
        if existing is not None and not replace:
            raise DuplicateDocumentError(
                f"a document with doc_id {doc_id!r} already exists ({existing}); "
                "send replace=true to replace it, or give this one another doc_id"
            )
        return existing

    def _unchanged(self, loaded: LoadedUpload) -> bool:
        """Whether the store holds this document exactly as loaded (same content hash)."""
        return self.store.document_hashes().get(loaded.article.doc_id) == loaded.content_hash

    def _existing(self, doc_id: str) -> str | None:
        """Where the stored document with this doc_id came from, or None."""
        try:
            path = self.store.get_document(doc_id).path
        except NotFound:
            return None
        if path.startswith(UPLOAD_PATH_PREFIX):
            return f"uploaded as {path[len(UPLOAD_PATH_PREFIX) :]}"
        return f"from the corpus file {path}" if path else "already stored"

    def _inside(self, name: str) -> Path:
        """``folder/name``, refusing any name that would resolve outside the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        root = self.folder.resolve()
        target = (root / name).resolve()
        if target.parent != root:
            raise InvalidRequest(f"refusing the file name {name!r}: it leaves the uploads folder")
        return target


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]
