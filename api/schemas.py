"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from qa.types import Answer

# Documented bounds that the library checks itself (400 with its own message): the schema tells
# clients and property-based tests what is valid without moving those checks into pydantic.
TOP_K_BOUNDS: JsonDict = {"minimum": 1, "maximum": 50}
QUESTION_BOUNDS: JsonDict = {"minLength": 1, "maxLength": 2000, "pattern": r"\S"}
ISO_DATE: JsonDict = {"format": "date"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FiltersBody(Strict):
    source: str | None = Field(None, max_length=500)
    doc_ids: list[str] | None = Field(None, max_length=100)
    date_from: str | None = Field(
        None, description="ISO 8601 date, inclusive", max_length=40, json_schema_extra=ISO_DATE
    )
    date_to: str | None = Field(
        None, description="ISO 8601 date, inclusive", max_length=40, json_schema_extra=ISO_DATE
    )


class AnswerOptions(Strict):
    """What both /v1/ask and /v1/chat accept besides the question."""

    top_k: int | None = Field(
        None, description="Passages to retrieve, 1-50.", strict=True, json_schema_extra=TOP_K_BOUNDS
    )
    filters: FiltersBody | None = None
    answerer: Literal["extractive", "llm"] | None = Field(
        None,
        description="'extractive' (offline) or 'llm' (the configured model server, citations verified); "
        "default: the server's QA_ANSWERER.",
    )


class AskRequest(AnswerOptions):
    question: str = Field(
        ...,
        description="The question, 1-2,000 characters.",
        max_length=100_000,
        json_schema_extra=QUESTION_BOUNDS,
    )


class ChatMessage(Strict):
    role: Literal["user", "assistant"]
    content: str = Field(
        ..., description="Not empty; an assistant message is the answer text.", max_length=100_000
    )
    doc_ids: list[Annotated[str, Field(max_length=200)]] | None = Field(
        None,
        description="Assistant messages only: the doc_ids of the citations shown with that answer. A "
        "follow-up is answered from these documents first.",
        max_length=50,
    )


class ChatRequest(AnswerOptions):
    # The 20-message / 8,000-character limits are checked by qa.conversation.messages (413 with a clear
    # message); the bounds here only stop absurd bodies before parsing them further.
    messages: list[ChatMessage] = Field(
        ...,
        description="The conversation, oldest first, ending with the user's question: at most 20 messages "
        "and 8,000 characters in total.",
        max_length=1000,
    )
    stream: bool = Field(False, description="Answer as text/event-stream: citations, delta..., done.")


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
    next_cursor: str | None = Field(
        None, description="Send as ?cursor= for the next page; null on the last page."
    )


class DocumentDetail(DocumentSummary):
    text: str


class DocumentIn(Strict):
    """A document for POST /v1/documents; stored and cleaned like a Markdown corpus file."""

    doc_id: str | None = Field(
        None,
        description="Default: made from the title. One line.",
        min_length=1,
        max_length=200,
        pattern=r"^[^\r\n\t]*\S[^\r\n\t]*$",
    )
    title: str = Field(..., description="One line.", max_length=500, pattern=r"^[^\r\n]*\S[^\r\n]*$")
    text: str = Field(
        ..., description="The article text (Markdown or plain).", min_length=1, max_length=10_000_000
    )
    source: str | None = Field(None, max_length=200)
    date: str | None = Field(
        None, description="ISO 8601 date (YYYY-MM-DD).", max_length=40, json_schema_extra=ISO_DATE
    )
    url: str | None = Field(None, max_length=2000)


class DocumentWritten(DocumentSummary):
    status: Literal["created", "replaced", "unchanged"]
    chunks: int = Field(..., description="Chunks written (0 when unchanged).")


class DocumentDeleted(BaseModel):
    doc_id: str
    deleted: bool


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail
