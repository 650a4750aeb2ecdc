"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qa.types import Answer


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FiltersBody(Strict):
    source: str | None = Field(None, max_length=500)
    doc_ids: list[str] | None = Field(None, max_length=100)
    date_from: str | None = Field(None, description="ISO 8601 date, inclusive", max_length=40)
    date_to: str | None = Field(None, description="ISO 8601 date, inclusive", max_length=40)


class AskRequest(Strict):
    question: str = Field(..., description="The question, 1-2,000 characters.", max_length=100_000)
    top_k: int | None = Field(None, description="Passages to retrieve, 1-50.")
    filters: FiltersBody | None = None


class ChatMessage(Strict):
    role: Literal["user", "assistant"]
    content: str = Field(
        ..., description="Not empty; an assistant message is the answer text.", max_length=100_000
    )


class ChatRequest(Strict):
    # The 20-message / 8,000-character limits are checked by qa.conversation (413 with a clear
    # message); the bounds here only stop absurd bodies before parsing them further.
    messages: list[ChatMessage] = Field(
        ...,
        description="The conversation, oldest first, ending with the user's question: at most 20 messages "
        "and 8,000 characters in total.",
        max_length=1000,
    )
    stream: bool = Field(False, description="Answer as text/event-stream: citations, delta..., done.")
    top_k: int | None = Field(None, description="Passages to retrieve, 1-50.")
    filters: FiltersBody | None = None


class ChatResponse(Answer):
    rewritten_question: str = Field(..., description="The last message as the standalone question answered.")


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    source: str
    date: str
    url: str


class DocumentList(BaseModel):
    documents: list[DocumentSummary]
    total: int
    limit: int
    offset: int


class DocumentDetail(DocumentSummary):
    text: str


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail
