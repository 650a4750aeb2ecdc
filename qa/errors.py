"""The project's exceptions: one shallow tree, translated at the edges.

    QAError                      base of everything we raise on purpose
    ├── ConfigError              a setting is invalid or inconsistent
    ├── ModelError               a model cannot be found or loaded
    │   └── ChecksumError        packaged model files do not match their pinned hashes
    ├── IngestWorkerError        the process preparing uploads stopped (killed, crashed)
    ├── StoreError               the vector store misbehaves
    │   ├── StoreUnavailable     the store (e.g. a Chroma server) cannot be reached
    │   ├── StorageFull          the disk under the store is full (a write failed with ENOSPC)
    │   └── ModelMismatch        the collection was built with another embedding model
    ├── ArticleError             one corpus file cannot be read or parsed (reported, skipped)
    ├── DuplicateDocumentError   two files claim the same doc_id
    ├── NotFound                 a document or resource does not exist
    ├── InvalidRequest           a caller's input is out of range or malformed
    ├── TestSetError             an evaluation test set is malformed
    └── LLMError                 the model server failed: unreachable, HTTP error, empty or malformed output
        └── LLMTimeout           the model server did not answer within QA_LLM_TIMEOUT

The CLI turns these into ``Error: ...`` with exit status 1; the API into a 4xx/5xx (502/504 for
the model server's failures) with ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error the project raises deliberately."""

    code = "qa_error"


class ConfigError(QAError):
    code = "config_error"


class ModelError(QAError):
    code = "model_error"


class ChecksumError(ModelError):
    code = "checksum_error"


class IngestWorkerError(QAError):
    code = "ingest_worker_failed"


class StoreError(QAError):
    code = "store_error"


class StoreUnavailable(StoreError):
    code = "store_unavailable"


class StorageFull(StoreError):
    code = "storage_full"


class ModelMismatch(StoreError):
    code = "model_mismatch"


class ArticleError(QAError):
    """A corpus file that cannot be ingested; carries the path and the reason."""

    code = "article_error"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DuplicateDocumentError(QAError):
    code = "duplicate_document"


class NotFound(QAError):
    code = "not_found"


class InvalidRequest(QAError):
    code = "invalid_request"


class TestSetError(QAError):
    code = "test_set_error"
    __test__ = False  # not a pytest test class


class LLMError(QAError):
    """The chat-completions model server failed; the message names its base URL, never the key."""

    code = "llm_error"


class LLMTimeout(LLMError):
    code = "llm_timeout"
