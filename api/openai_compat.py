"""OpenAI-compatible routes: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Chat front-ends and SDKs that speak the OpenAI API work unchanged: point their base URL at
``http://HOST:PORT/v1``, any API key. The conversation is answered like ``POST /v1/chat``
(same follow-up rewriting, answerer choice, limits and rate limit); the assistant message is
the answer in Markdown with numbered sources (``api.markdown``), and the structured citations
travel in extra top-level fields (``citations``, ``related``, ``abstained``, ...).

Models: ``announcements-qa`` answers with the server's answerer (QA_ANSWERER);
``announcements-qa-extractive`` and ``announcements-qa-llm`` choose one, where the server
allows that (QA_ALLOW_ANSWERER_OVERRIDE; llm only when a model server is configured).

With ``stream: true`` the answer streams as ``chat.completion.chunk`` events and
``data: [DONE]``. The answer is complete (and, from the llm answerer, verified) before the
first event, so a client never shows a claim that verification would drop, and every error is
an ordinary status code. Errors on these paths use OpenAI's shape
``{"error": {"message", "type", "param", "code"}}`` (`OpenAIErrorShape`).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import ServiceDep, SettingsDep, run_answering
from api.errors import HTTPError
from api.markdown import answer_markdown, answer_text
from api.openai_schemas import (
    AnswerExtras,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChunkChoice,
    CompletionChoice,
    CompletionMessage,
    Delta,
    Model,
    ModelList,
    OpenAIErrorBody,
)
from api.routes import choose_answerer, to_filters
from qa.conversation.followup import ask_in_conversation
from qa.conversation.messages import ConversationTooLarge, Turn
from qa.conversation.standalone import is_follow_up, standalone_question
from qa.errors import InvalidRequest
from qa.service import MAX_QUESTION_CHARS
from qa.settings import Settings

router = APIRouter()
MODEL_ID = "announcements-qa"
OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_IGNORED_ROLES = frozenset({"system", "developer"})  # instructions for a model; answers come from the store
_PIECE = re.compile(r"\S+\s*|\s+")  # pieces that join back into the exact text
_STARTED = int(time.time())
ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": OpenAIErrorBody} for status in (400, 404, 413, 422, 429, 502, 503, 504)
}


@dataclass(frozen=True)
class ModelChoice:
    id: str
    answerer: str | None  # None: the server's default
    description: str


def available_models(settings: Settings) -> list[ModelChoice]:
    """The model ids this server answers to, with the answerer each one means."""
    models = [ModelChoice(MODEL_ID, None, f"answers with the server's answerer ({settings.answerer})")]
    if settings.answerer_override_allowed:
        models.append(ModelChoice(f"{MODEL_ID}-extractive", "extractive", "extractive answers, offline"))
        if settings.llm_configured:
            models.append(ModelChoice(f"{MODEL_ID}-llm", "llm", "generated answers, citations verified"))
    return models


def answerer_for_model(model: str, settings: Settings) -> str:
    """The answerer a model id stands for; HTTPError 404 naming the available ids otherwise."""
    models = available_models(settings)
    found = next((m for m in models if m.id == model), None)
    if found is None:
        names = ", ".join(m.id for m in models)
        raise HTTPError(404, "model_not_found", f"model {model!r} does not exist here; use one of: {names}")
    return choose_answerer(found.answerer, settings)


def conversation_turns(messages: list[CompletionMessage]) -> list[Turn]:
    """The user and assistant turns as plain text; system/developer messages are dropped.
    InvalidRequest for tool messages or non-text content (images, audio)."""
    turns = []
    for number, message in enumerate(messages, 1):
        if message.role in _IGNORED_ROLES:
            continue
        if message.role not in ("user", "assistant"):
            raise InvalidRequest(
                f"messages[{number - 1}]: role {message.role!r} is not supported here; send user and "
                "assistant messages (and optionally system ones, which are ignored)"
            )
        content = message.content
        if isinstance(content, list):
            kinds = {part.type for part in content} - {"text"}
            if kinds:
                raise InvalidRequest(
                    f"messages[{number - 1}]: only text content is supported, got {', '.join(sorted(kinds))}"
                )
            content = "\n".join(part.text or "" for part in content)
        # A front-end sends our earlier answers back, sources and all: only the answer is context.
        content = answer_text(content or "") if message.role == "assistant" else content or ""
        turns.append(Turn(message.role, content))
    return turns


@router.get("/v1/models", response_model=ModelList, tags=["openai"])
def list_models(settings: SettingsDep) -> ModelList:
    """The model ids a chat front-end can choose (OpenAI-compatible)."""
    return ModelList(
        data=[Model(id=m.id, created=_STARTED, description=m.description) for m in available_models(settings)]
    )


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    tags=["openai"],
    responses={
        **ERRORS,
        200: {
            "description": "The answer; with `stream: true` chat.completion.chunk events, then [DONE].",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, service: ServiceDep, settings: SettingsDep
) -> Response:
    """Answer the last user message (OpenAI-compatible); sources in the text and in `citations`."""
    if body.n not in (None, 1):
        raise InvalidRequest(f"n must be 1: this server gives one answer per question, got {body.n}")
    answerer = answerer_for_model(body.model, settings)
    turns = conversation_turns(body.messages)
    filters = to_filters(body.filters)
    try:  # as /v1/chat: off the event loop, from the conversation's documents first
        if answerer == "llm":
            standalone = await run_in_threadpool(standalone_question, turns)
        else:
            standalone, answer = await run_answering(
                request, ask_in_conversation, service, turns, body.top_k, filters, answerer
            )
    except ConversationTooLarge as exc:
        raise HTTPError(413, exc.code, str(exc)) from None
    question = standalone.question
    if answerer == "llm":
        if settings.llm_rewrite and len(turns) > 1 and is_follow_up(turns[-1].content):
            generative = service.generative_for(answerer)
            assert generative is not None  # generative_for raises when llm is not configured
            pairs = [(t.role, t.content) for t in turns]
            question = await run_in_threadpool(generative.rewrite, pairs, question, MAX_QUESTION_CHARS)
        answer = await run_answering(
            request, service.ask, question, body.top_k, filters, answerer, standalone.context
        )
    content = answer_markdown(answer)
    extras = AnswerExtras(
        citations=answer.citations,
        related=answer.related,
        abstained=answer.abstained,
        confidence=answer.confidence,
        rewritten_question=question,
    )
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        completion = ChatCompletion(
            id=ident,
            created=created,
            model=body.model,
            choices=[CompletionChoice(message=AssistantMessage(content=content))],
            **extras.model_dump(),
        )
        return JSONResponse(completion.model_dump(mode="json"))
    template = ChatCompletionChunk(id=ident, created=created, model=body.model, choices=[])
    return StreamingResponse(
        stream_chunks(template, content, extras, request),
        media_type="text/event-stream",
        headers=STREAM_HEADERS,
    )


async def stream_chunks(
    template: ChatCompletionChunk, content: str, extras: AnswerExtras, request: Request
) -> AsyncIterator[str]:
    """The role, the content in word pieces, a last chunk with finish_reason and the extras,
    then [DONE]; stops when the client has gone."""
    events = [chunk_event(template, Delta(role="assistant", content=""))]
    events += [chunk_event(template, Delta(content=piece)) for piece in _PIECE.findall(content)]
    events.append(chunk_event(template, Delta(), extras))
    events.append("data: [DONE]\n\n")
    for event in events:
        if await request.is_disconnected():
            return
        yield event


def chunk_event(template: ChatCompletionChunk, delta: Delta, extras: AnswerExtras | None = None) -> str:
    """One ``data:`` event; the one with ``extras`` is the last, with finish_reason "stop"."""
    finish = "stop" if extras is not None else None
    data = template.model_copy(
        update={"choices": [ChunkChoice(delta=delta, finish_reason=finish)]}
    ).model_dump(mode="json")
    if extras is not None:
        data.update(extras.model_dump(mode="json"))
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


class OpenAIErrorShape:
    """Rewrites our error bodies ``{"error": {"code", "message"}}`` on the OpenAI paths into
    OpenAI's ``{"error": {"message", "type", "param", "code"}}``, whoever produced them (the
    routes, validation, or the rate and size limits around the app)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(OPENAI_PATHS):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = b""

        async def reshaping(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start" and message["status"] >= 400:
                start = message  # held back until the whole body is here
                return
            if start is None:
                await send(message)
                return
            body += message.get("body", b"")
            if message.get("more_body", False):
                return
            body = openai_error(start["status"], body)
            headers = [(k, v) for k, v in start.get("headers", []) if bytes(k).lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, reshaping)


def openai_error(status: int, body: bytes) -> bytes:
    """Our error body in OpenAI's shape (unchanged when it is not ours)."""
    try:
        error = json.loads(body)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        return body
    kind = (
        "server_error" if status >= 500 else "rate_limit_error" if status == 429 else "invalid_request_error"
    )
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}}).encode()
