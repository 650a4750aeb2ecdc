"""Cross-origin requests from the origins in QA_CORS_ORIGINS, with the request headers each route
may receive.

The OpenAI-compatible routes (`/v1/chat/completions`, `/v1/models`) allow any request header:
OpenAI clients in a web page send their key as ``Authorization: Bearer ...`` and SDK headers
(the official JavaScript SDK's ``X-Stainless-*``), and without them the browser's preflight
fails. Those routes read no credential and set no cookie, so a header grants nothing there.
Every other route allows only ``Content-Type``: the write routes take the admin key as
``X-Admin-Key`` or ``Authorization: Bearer``, and a page on a listed origin must never be able
to send it to them. Browsers check each URL's preflight separately, so what one route allows
never carries over to another.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

OPENAI_PATHS = frozenset({"/v1/chat/completions", "/v1/models"})
METHODS = ["GET", "POST"]


class RouteCORS:
    """CORS for ``origins``: any request header on the OpenAI-compatible paths, ``Content-Type``
    only elsewhere."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.openai = CORSMiddleware(app, allow_origins=origins, allow_methods=METHODS, allow_headers=["*"])
        self.others = CORSMiddleware(
            app, allow_origins=origins, allow_methods=METHODS, allow_headers=["Content-Type"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        openai = scope["type"] == "http" and scope.get("path") in OPENAI_PATHS
        await (self.openai if openai else self.others)(scope, receive, send)
