"""POST /v1/chat: answer the last user message in the context of the conversation.

The follow-up is rewritten into a standalone question (``qa.conversation.standalone``), answered in a
worker thread from the conversation's documents first (``qa.conversation.followup``; assistant messages may
carry the ``doc_ids`` their answer cited), then returned as JSON or, with ``"stream": true``, as
server-sent events:

    event: citations   {"citations": [...], "rewritten_question": "..."}
    event: delta       {"text": "over"}   (then " 200", " technical", ...: the answer in pieces)
    event: done        the full ChatResponse (the Answer JSON plus rewritten_question)

With the llm answerer the model's text streams as it arrives (``delta`` events, citation markers
and all); only then is it verified, so ``citations`` comes after the deltas, and ``done`` carries
the verified text, its citations and ``dropped_claims``. A model server failure before the first
piece is a 502/504 response; after it, an ``error`` event ``{"error": {"code", "message"}}``
ends the stream. With the llm answerer a follow-up is rewritten by the model (QA_LLM_REWRITE).

A client that disconnects mid-stream stops the generator at the next event.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Generator
from contextlib import suppress

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.deps import ServiceDep, SettingsDep, run_answering
from api.errors import error_response
from api.routes import ERRORS, choose_answerer, to_filters
from api.schemas import ChatRequest, ChatResponse, ErrorBody
from qa.conversation.followup import ask_in_conversation
from qa.conversation.messages import ConversationTooLarge
from qa.conversation.standalone import is_follow_up, standalone_question
from qa.errors import QAError
from qa.service import MAX_QUESTION_CHARS
from qa.types import Answer

router = APIRouter()
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_PIECE = re.compile(r"\S+\s*|\s+")  # pieces that join back into the exact text


@router.post(
    "/v1/chat",
    response_model=ChatResponse,
    tags=["questions"],
    responses={
        **ERRORS,
        413: {"model": ErrorBody, "description": "More than 20 messages or 8,000 characters."},
        200: {
            "description": "The answer (JSON); with `stream: true` events `citations`, `delta`..., `done` "
            "(llm answerer: `delta`..., `citations`, `done`; or `error` after a failure mid-stream).",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def chat(body: ChatRequest, request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
    """Answer the last user message, understanding follow-ups from the earlier messages."""
    answerer = choose_answerer(body.answerer, settings, body.top_k, request)
    filters = to_filters(body.filters)
    try:  # input-dependent work never runs on the event loop: /healthz and streams stay live
        if answerer == "llm":
            standalone = await run_in_threadpool(standalone_question, body.messages)
        else:
            standalone, answer = await run_answering(
                request, ask_in_conversation, service, body.messages, body.top_k, filters, answerer
            )
    except ConversationTooLarge as exc:
        return error_response(413, exc.code, str(exc))
    question, context = standalone.question, standalone.context
    if answerer == "llm":
        if settings.llm_rewrite and len(body.messages) > 1 and is_follow_up(body.messages[-1].content):
            generative = service.generative_for(answerer)
            assert generative is not None  # generative_for raises when llm is not configured
            turns = [(m.role, m.content) for m in body.messages]
            question = await run_in_threadpool(generative.rewrite, turns, question, MAX_QUESTION_CHARS)
        if body.stream:
            events = service.ask_stream(question, body.top_k, filters, answerer, context)
            first = await run_in_threadpool(next, events, None)  # errors so far: a 4xx/5xx response
            return StreamingResponse(
                stream_generated(first, events, question, request),
                media_type="text/event-stream",
                headers=STREAM_HEADERS,
            )
        answer = await run_in_threadpool(service.ask, question, body.top_k, filters, answerer, context)
    response = ChatResponse(**answer.model_dump(), rewritten_question=question)
    if not body.stream:
        return JSONResponse(response.model_dump(mode="json"))
    return StreamingResponse(
        stream_events(response, request), media_type="text/event-stream", headers=STREAM_HEADERS
    )


async def stream_events(response: ChatResponse, request: Request) -> AsyncIterator[str]:
    """The answer as server-sent events; stops as soon as the client has gone."""
    citations = [c.model_dump(mode="json") for c in response.citations]
    events = [("citations", {"citations": citations, "rewritten_question": response.rewritten_question})]
    events += [("delta", {"text": piece}) for piece in _PIECE.findall(response.text)]
    events.append(("done", response.model_dump(mode="json")))
    for name, data in events:
        if await request.is_disconnected():
            return
        yield sse(name, data)


async def stream_generated(
    first: str | Answer | None, events: Generator[str | Answer, None, None], question: str, request: Request
) -> AsyncIterator[str]:
    """The model's text as delta events while it arrives, then the verified citations and done."""
    event = first
    try:
        while event is not None:
            if await request.is_disconnected():
                return
            if isinstance(event, Answer):
                response = ChatResponse(**event.model_dump(), rewritten_question=question)
                citations = [c.model_dump(mode="json") for c in response.citations]
                yield sse("citations", {"citations": citations, "rewritten_question": question})
                yield sse("done", response.model_dump(mode="json"))
                return
            yield sse("delta", {"text": event})
            try:
                event = await run_in_threadpool(next, events, None)
            except QAError as exc:  # the status line has gone: the error travels as an event
                yield sse("error", {"error": {"code": exc.code, "message": str(exc)}})
                return
    finally:
        with suppress(ValueError):  # still running in a worker thread: it stops at its next piece
            events.close()  # closes the connection to the model server


def sse(event: str, data: object) -> str:
    """One server-sent event; JSON keeps the data on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
