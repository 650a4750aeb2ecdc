"""Bodies of the OpenAI-compatible routes (``/v1/chat/completions``, ``/v1/models``).

Requests accept and ignore the sampling fields OpenAI clients send (temperature, max_tokens,
stream_options, ...): the answer does not depend on them. Our own options travel as extra
body fields (``top_k``, ``filters``; the openai SDK sends them with ``extra_body``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import TOP_K_BOUNDS, FiltersBody
from qa.types import Citation, RelatedDocument


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ContentPart(Lenient):
    type: str = Field(..., max_length=50)
    text: str | None = Field(None, max_length=100_000)


class CompletionMessage(Lenient):
    role: str = Field(..., max_length=50, description="system, developer, user or assistant.")
    content: str | list[ContentPart] | None = Field(None, max_length=100_000)


class ChatCompletionRequest(Lenient):
    model: str = Field(..., max_length=200, description="One of the ids GET /v1/models lists.")
    messages: list[CompletionMessage] = Field(
        ...,
        description="The conversation, ending with the user's question; system messages are ignored "
        "(answers come from the announcements). At most 20 user/assistant messages, 8,000 characters.",
        max_length=1000,
    )
    stream: bool | None = Field(False, description="Answer as chat.completion.chunk events, then [DONE].")
    n: int | None = Field(None, description="Must be 1 (or left out): one answer per question.")
    top_k: int | None = Field(
        None,
        description="Extension: passages to retrieve, 1-50.",
        strict=True,
        json_schema_extra=TOP_K_BOUNDS,
    )
    filters: FiltersBody | None = Field(None, description="Extension: as in POST /v1/ask.")


class AnswerExtras(BaseModel):
    """What a client that knows this server can render besides the Markdown content."""

    citations: list[Citation] = Field(default_factory=list)
    related: list[RelatedDocument] = Field(default_factory=list)
    abstained: bool = False
    confidence: float = 0.0
    rewritten_question: str = ""


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class CompletionChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(AnswerExtras):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: None = Field(None, description="Not counted: the answer is not generated token by token.")


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """One streamed event; the last carries ``finish_reason`` and the extras (citations, ...)."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "announcements-qa"
    description: str = ""


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str


class OpenAIErrorBody(BaseModel):
    error: OpenAIErrorDetail
