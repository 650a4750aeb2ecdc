"""Limits and headers around the whole app: header and body size, per-client rate limits on
questions, a time limit on answering, and security headers on every response.

One pure ASGI middleware (not ``BaseHTTPMiddleware``): streamed answers pass through untouched
and a refused request never reaches the routes or reads its body. In order, a request gets:

    431  headers over 16 KiB in all
    429  more questions (POST /v1/ask, /v1/chat) than QA_RATE_LIMIT_PER_MINUTE from one client
    413  a body over QA_MAX_BODY_BYTES (QA_MAX_UPLOAD_BYTES for POST /v1/documents), told by
         Content-Length or counted while the body streams in
    503  a question while QA_MAX_QUESTIONS_IN_FLIGHT others are being answered (so no mix of
         clients can take every worker thread from the other routes)
    504  a question whose answer has not started within QA_REQUEST_TIMEOUT_SECONDS

The client is the connection's peer address, unless that peer is one of the trusted proxies in
QA_FORWARDED_ALLOW_IPS: then it is the right-most ``X-Forwarded-For`` address that is not a
trusted proxy (what the last trusted hop saw). Nobody else can choose their bucket by sending the
header. IPv6 clients are bucketed by their /64 (one host usually holds a whole /64). The
resolved client is left in ``scope["state"]["client"]`` for other limits (failed admin keys).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import HTTPError, error_response
from qa.settings import Settings

QUESTION_ROUTES = frozenset({"/v1/ask", "/v1/chat", "/v1/chat/completions", "/v1/search"})
UPLOAD_ROUTE = "/v1/documents"
# Requests that share a client's rate-limit budget: questions and listing the documents.
RATE_LIMITED = frozenset({("POST", path) for path in QUESTION_ROUTES} | {("GET", UPLOAD_ROUTE)})
MAX_HEADER_BYTES = 16 * 1024
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# JSON and event streams are never rendered or framed; pages and scripts set their own policy.
API_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class BodyTooLarge(HTTPError):
    """Raised from ``receive`` when a streamed body passes its limit (FastAPI re-raises HTTPException)."""

    def __init__(self, limit: int, setting: str) -> None:
        message = f"the request body is over the {limit:,}-byte limit ({setting}); send less"
        super().__init__(413, "body_too_large", message)


class RateLimiter:
    """Token buckets per client: ``per_minute`` requests of burst, refilled evenly over a minute.

    At most ``max_clients`` buckets are kept (least recently seen dropped first), so a flood of
    addresses cannot grow memory without bound. Not thread-safe: used from the event loop only.
    """

    def __init__(
        self, per_minute: int, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def waiting(self, client: str) -> float:
        """Seconds until ``client`` may make a request (0.0 now), without taking one."""
        tokens, last = self._buckets.get(client, (self.capacity, self.clock()))
        tokens = min(self.capacity, tokens + (self.clock() - last) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def acquire(self, client: str) -> float:
        """Take one request from ``client``'s budget: 0.0 when allowed, else seconds to wait."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


class SecurityMiddleware:
    """Applies the limits in the module docstring and adds security headers to every response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute else None
        self.questions_in_flight = 0  # changed on the event loop only
        self.trusted = parse_networks(settings.forwarded_allow_ips)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        scope.setdefault("state", {})["client"] = client_key(scope, self.trusted)
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        receive = self._limit_body(scope, receive)
        if scope["method"] == "POST" and scope["path"] in QUESTION_ROUTES:
            if self.questions_in_flight >= self.settings.max_questions_in_flight:
                busy = error_response(
                    503,
                    "busy",
                    f"the server is answering {self.questions_in_flight} questions already "
                    "(QA_MAX_QUESTIONS_IN_FLIGHT); try again in a second",
                    headers={"Retry-After": "1"},
                )
                await busy(scope, receive, send)
                return
            self.questions_in_flight += 1
            try:
                await self._with_timeout(scope, receive, send)
            finally:
                self.questions_in_flight -= 1
        else:
            await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> ASGIApp | None:
        """The error response for a request refused before it is read, or None."""
        header_bytes = sum(len(name) + len(value) for name, value in scope["headers"])
        if header_bytes > MAX_HEADER_BYTES:
            return error_response(
                431,
                "headers_too_large",
                f"the request headers are {header_bytes:,} bytes, over the {MAX_HEADER_BYTES:,}-byte "
                "limit; send fewer or smaller headers (cookies)",
            )
        if self.limiter is not None and (scope["method"], scope["path"]) in RATE_LIMITED:
            wait = self.limiter.acquire(scope["state"]["client"])
            if wait > 0:
                return rate_limited(
                    wait,
                    f"too many requests: at most {self.settings.rate_limit_per_minute} per minute per client "
                    "(questions and document listings together, QA_RATE_LIMIT_PER_MINUTE)",
                )
        limit, setting = self._body_limit(scope)
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                return error_response(400, "invalid_request", "the Content-Length header is not a number")
            if declared > limit:
                return error_response(
                    413,
                    "body_too_large",
                    f"the request body is {declared:,} bytes, over the {limit:,}-byte limit ({setting}); "
                    "send less",
                )
        return None

    def _body_limit(self, scope: Scope) -> tuple[int, str]:
        if scope["method"] == "POST" and scope["path"] == UPLOAD_ROUTE:
            # Room for the multipart framing around a document of the largest allowed size.
            return self.settings.max_upload_bytes + 64 * 1024, "QA_MAX_UPLOAD_BYTES"
        return self.settings.max_body_bytes, "QA_MAX_BODY_BYTES"

    def _limit_body(self, scope: Scope, receive: Receive) -> Receive:
        """``receive`` that counts body bytes: a chunked body over the limit raises BodyTooLarge."""
        limit, setting = self._body_limit(scope)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit, setting)
            return message

        return counted

    async def _with_timeout(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a question; if no response has started in time, answer 504 (the worker thread, which
        cannot be interrupted, finishes on its own and its result is dropped)."""
        started = timed_out = False

        async def guarded(message: Message) -> None:
            nonlocal started
            if timed_out:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.settings.request_timeout_seconds)
            if task in done or started:
                await task
                return
            timed_out = True
            task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await task
        finally:
            if not task.done():
                task.cancel()
        seconds = self.settings.request_timeout_seconds
        response = error_response(
            504,
            "timeout",
            f"no answer within {seconds:g} s (QA_REQUEST_TIMEOUT_SECONDS); the server is busy, try again",
            headers={"Retry-After": "5"},
        )
        await response(scope, receive, send)


def retry_after(wait: float) -> int:
    """Whole seconds to tell a client to wait (at least 1)."""
    return max(1, math.ceil(wait))


def rate_limited(wait: float, what: str) -> JSONResponse:
    """A 429 saying ``what`` the limit is and when to try again."""
    seconds = retry_after(wait)
    return error_response(
        429, "rate_limited", f"{what}; try again in {seconds} s", headers={"Retry-After": str(seconds)}
    )


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> list[Network]:
    """Addresses and networks from a comma-separated list ("127.0.0.1, 10.0.0.0/8")."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def client_key(scope: Scope, trusted: list[Network]) -> str:
    """The rate-limit bucket of the request's client (see the module docstring)."""
    peer = scope.get("client")
    address = _address(peer[0]) if peer else None
    if address is None:
        return str(peer[0]) if peer else "unknown"
    if _is_trusted(address, trusted):
        forwarded = [_address(part.strip()) for part in (_header(scope, b"x-forwarded-for") or "").split(",")]
        for hop in reversed(forwarded):
            if hop is None:
                break  # an unparsable hop: trust nothing further left
            address = hop
            if not _is_trusted(hop, trusted):
                break
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else address)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: list[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _with_headers(send: Send) -> Send:
    """``send`` that adds the security headers a response does not set itself."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Any] = list(message.get("headers", []))
            present = {bytes(k).lower() for k, _ in headers}
            content_type = next((bytes(v) for k, v in headers if bytes(k).lower() == b"content-type"), b"")
            extra = dict(SECURITY_HEADERS)
            if content_type.startswith((b"application/json", b"text/event-stream")):
                extra.update(API_HEADERS)
            for key, value in extra.items():
                if key.lower().encode() not in present:
                    headers.append((key.lower().encode(), value.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
