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
    content: str = Field(..., max_length=100_000)


class ChatRequest(Strict):
    messages: list[ChatMessage] = Field(..., max_length=1000)
    stream: bool = False
    top_k: int | None = None
    filters: FiltersBody | None = None


class ChatResponse(Answer):
    rewritten_question: str


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
