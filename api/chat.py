"""POST /v1/chat: answer the last user message in the context of the conversation.

The follow-up is rewritten into a standalone question (``qa.conversation``), answered once in
a worker thread, then returned as JSON or, with ``"stream": true``, as server-sent events:

    event: citations   {"citations": [...], "rewritten_question": "..."}
    event: delta       {"text": "over"}   (then " 200", " technical", ...: the answer in pieces)
    event: done        the full ChatResponse (the Answer JSON plus rewritten_question)

A client that disconnects mid-stream stops the generator at the next event.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.deps import ServiceDep
from api.errors import error_response
from api.routes import ERRORS, to_filters
from api.schemas import ChatRequest, ChatResponse, ErrorBody
from qa.conversation import ConversationTooLarge, standalone_question

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
            "description": "The answer (JSON); with `stream: true` events `citations`, `delta`..., `done`.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def chat(body: ChatRequest, request: Request, service: ServiceDep) -> Response:
    """Answer the last user message, understanding follow-ups from the earlier messages."""
    try:
        question = standalone_question(body.messages)
    except ConversationTooLarge as exc:
        return error_response(413, exc.code, str(exc))
    answer = await run_in_threadpool(service.ask, question, body.top_k, to_filters(body.filters))
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


def sse(event: str, data: object) -> str:
    """One server-sent event; JSON keeps the data on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
