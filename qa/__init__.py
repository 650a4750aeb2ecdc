"""Question answering over announcements: the library's public API.

    from qa import Settings, build_service
    service = build_service(Settings())          # QA_* environment variables, see the README
    answer = service.ask("How many jobs will the lab create?")
    answer.text, answer.citations, answer.abstained

The names below are loaded on first use (``qa.service`` pulls in the whole library, and the models
load later still), so ``import qa`` costs nothing. The packages, lowest layer first: ``qa.index``
(embedding, chunks, the Chroma store, BM25), ``qa.language`` (questions, answer candidates,
evidence), ``qa.retrieval`` (hybrid search, re-ranking), ``qa.extractive`` and ``qa.generative``
(the answerers), ``qa.service`` (all of it assembled), ``qa.conversation`` (chat follow-ups),
``qa.integrations`` (LangChain) and ``qa.evaluation`` (``qa eval``, ``qa fit``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.conversation.followup import ask_in_conversation
    from qa.conversation.messages import ConversationTooLarge, Turn
    from qa.errors import (
        ArticleError,
        ChecksumError,
        ConfigError,
        DuplicateDocumentError,
        InvalidRequest,
        LLMError,
        LLMTimeout,
        ModelError,
        ModelMismatch,
        NotFound,
        QAError,
        StorageFull,
        StoreError,
        StoreUnavailable,
        TestSetError,
    )
    from qa.filters import Filters
    from qa.service import QAService, build_service
    from qa.settings import Settings, get_settings
    from qa.types import Answer, Article, Citation, Passage, RelatedDocument

_ERRORS = (
    "QAError ConfigError ModelError ChecksumError StoreError StoreUnavailable StorageFull ModelMismatch "
    "ArticleError DuplicateDocumentError NotFound InvalidRequest TestSetError LLMError LLMTimeout"
).split()
# Each public name and the module it comes from.
_EXPORTS = {
    "Settings": "qa.settings",
    "get_settings": "qa.settings",
    "QAService": "qa.service",
    "build_service": "qa.service",
    "Answer": "qa.types",
    "Article": "qa.types",
    "Citation": "qa.types",
    "Passage": "qa.types",
    "RelatedDocument": "qa.types",
    "Filters": "qa.filters",
    "Turn": "qa.conversation.messages",
    "ConversationTooLarge": "qa.conversation.messages",
    "ask_in_conversation": "qa.conversation.followup",
    **dict.fromkeys(_ERRORS, "qa.errors"),
}
__all__ = [
    "Answer",
    "Article",
    "ArticleError",
    "ChecksumError",
    "Citation",
    "ConfigError",
    "ConversationTooLarge",
    "DuplicateDocumentError",
    "Filters",
    "InvalidRequest",
    "LLMError",
    "LLMTimeout",
    "ModelError",
    "ModelMismatch",
    "NotFound",
    "Passage",
    "QAError",
    "QAService",
    "RelatedDocument",
    "Settings",
    "StorageFull",
    "StoreError",
    "StoreUnavailable",
    "TestSetError",
    "Turn",
    "ask_in_conversation",
    "build_service",
    "get_settings",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
