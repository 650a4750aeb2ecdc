"""A conversation as the API receives it: its turns and the limits it is checked against
(20 messages, 8,000 characters, roles, a last message from the user within the question limit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.errors import InvalidRequest
from qa.service import MAX_QUESTION_CHARS

MAX_MESSAGES = 20
MAX_CONVERSATION_CHARS = 8000
ROLES = ("user", "assistant")


class Message(Protocol):
    """What a conversation turn needs: ``api.schemas.ChatMessage`` is one (assistant turns may
    also carry ``doc_ids``, read with ``cited_doc_ids``)."""

    @property
    def role(self) -> str: ...

    @property
    def content(self) -> str: ...


def cited_doc_ids(message: Message) -> list[str] | None:
    """An assistant message's ``doc_ids`` (the documents its answer cited), when it has them."""
    doc_ids: list[str] | None = getattr(message, "doc_ids", None)
    return doc_ids


class ConversationTooLarge(InvalidRequest):
    """More messages or characters than a conversation may have (the API answers 413)."""

    code = "conversation_too_large"


@dataclass(frozen=True)
class Turn:
    """A plain conversation turn (for callers without a schema object)."""

    role: str
    content: str
    doc_ids: list[str] | None = None  # an assistant turn: the documents its answer cited


def validate_conversation(messages: Sequence[Message]) -> None:
    """Raise ConversationTooLarge beyond 20 messages or 8,000 characters, InvalidRequest for
    an empty conversation, an empty message, an unknown role or a last message not from the user."""
    if not messages:
        raise InvalidRequest("messages must not be empty: send at least one message with role 'user'")
    if len(messages) > MAX_MESSAGES:
        raise ConversationTooLarge(
            f"a conversation may have at most {MAX_MESSAGES} messages, got {len(messages)}: "
            "drop the oldest messages or start a new conversation"
        )
    total = sum(len(m.content) for m in messages)
    if total > MAX_CONVERSATION_CHARS:
        raise ConversationTooLarge(
            f"a conversation may have at most {MAX_CONVERSATION_CHARS:,} characters in total, got {total:,}: "
            "drop the oldest messages or start a new conversation"
        )
    for number, message in enumerate(messages, 1):
        if message.role not in ROLES:
            raise InvalidRequest(
                f"message {number}: role must be 'user' or 'assistant', got {message.role!r}"
            )
        if not message.content.strip():
            raise InvalidRequest(f"message {number} ({message.role}) is empty: every message needs content")
    for number, message in enumerate(messages, 1):
        if message.role == "user" and cited_doc_ids(message) is not None:
            raise InvalidRequest(
                f"message {number}: only assistant messages carry doc_ids (the documents their answer cited)"
            )
    last = messages[-1]
    if last.role != "user":
        raise InvalidRequest(f"the last message must be from the user (role 'user'), got {last.role!r}")
    if len(last.content.strip()) > MAX_QUESTION_CHARS:
        raise InvalidRequest(
            f"the last message is the question: at most {MAX_QUESTION_CHARS} characters, "
            f"got {len(last.content.strip())}"
        )
