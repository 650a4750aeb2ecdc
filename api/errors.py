"""Translate errors into JSON ``{"error": {"code", "message"}}`` responses with the right status."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.errors import (
    ArticleError,
    DuplicateDocumentError,
    IngestWorkerError,
    InvalidRequest,
    LLMError,
    LLMTimeout,
    ModelMismatch,
    NotFound,
    QAError,
    StorageFull,
    StoreUnavailable,
)

STATUS: list[tuple[type[QAError], int]] = [
    (InvalidRequest, 400),
    (ArticleError, 400),
    (NotFound, 404),
    (DuplicateDocumentError, 409),
    (StoreUnavailable, 503),
    (ModelMismatch, 503),
    (StorageFull, 507),
    (IngestWorkerError, 500),
    (LLMTimeout, 504),  # before LLMError, its base class
    (LLMError, 502),
]
HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}
# FastAPI's words for a body it could not decode (bad UTF-8 in a string, JSON nested too deeply).
_UNPARSABLE = "There was an error parsing the body"


class HTTPError(StarletteHTTPException):
    """An HTTP error with our own error code, for checks outside the library (e.g. the admin key)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers)
        self.code = code


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        kind = error.get("type", "")
        if kind == "json_invalid":
            parts.append("the body is not valid JSON")
        elif kind == "extra_forbidden":
            parts.append(f"unknown field '{where}'")
        elif kind == "missing" and where == "body":
            parts.append("the body is empty; send a JSON object as Content-Type: application/json")
        elif kind == "missing":
            parts.append(f"'{where}' is required")
        elif where == "body" and kind in ("model_attributes_type", "dict_type"):
            parts.append("the body must be a JSON object, sent as Content-Type: application/json")
        else:
            parts.append(f"'{where}': {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, "http_error")
        message = str(exc.detail)
        where = f"{request.method} {request.url.path[:200]}"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route: {where}; the API is described at /docs"
        elif exc.status_code == 405 and message == "Method Not Allowed":
            allowed = (exc.headers or {}).get("Allow", "")
            message = f"method not allowed: {where}" + (f"; use {allowed}" if allowed else "")
        elif exc.status_code == 400 and message == _UNPARSABLE:
            code = "invalid_json"
            message = (
                "the body could not be decoded: send UTF-8 JSON, nested at most a few levels, "
                "as Content-Type: application/json"
            )
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(QAError)
    async def _qa(request: Request, exc: QAError) -> JSONResponse:
        status = next((s for kind, s in STATUS if isinstance(exc, kind)), 500)
        if status < 500:
            return error_response(status, exc.code, str(exc))
        # The server's failure, not the client's: logged, and the body names the request id
        # (also in X-Request-ID) so a report can be matched with the log line.
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        where = f"{request.method} {request.url.path[:200]}"
        log.error("request %s: %s failed: %s: %s", request_id, where, type(exc).__name__, _one_line(exc))
        log.debug("request %s: traceback", request_id, exc_info=exc)
        body = {"error": {"code": exc.code, "message": str(exc), "request_id": request_id}}
        return JSONResponse(body, status_code=status)


log = logging.getLogger("api")


class UnexpectedErrorMiddleware:
    """Turns an exception no handler knows into a JSON 500 with a request id.

    The error is logged once: one line at ERROR (request id, route, exception type and message),
    the traceback at DEBUG. Each response carries ``X-Request-ID`` so a report can be matched
    with the log line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id  # for the handlers of 5xx errors
        started = False

        async def tagged(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        except Exception as exc:
            where = f"{scope.get('method', '')} {str(scope.get('path', ''))[:200]}"
            log.error("request %s: %s failed: %s: %s", request_id, where, type(exc).__name__, _one_line(exc))
            log.debug("request %s: traceback", request_id, exc_info=exc)
            if started:
                return  # the status line has gone: the client sees the response cut short
            response = JSONResponse(
                {
                    "error": {
                        "code": "internal_error",
                        "message": f"the server failed on this request; report request id {request_id}",
                        "request_id": request_id,
                    }
                },
                status_code=500,
                headers={"X-Request-ID": request_id},
            )
            await response(scope, receive, send)


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
