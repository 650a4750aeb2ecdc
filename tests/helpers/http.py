"""Reading the API's responses: the error body every 4xx/5xx has, and server-sent events."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient


def error_of(response: Any, status: int | None = None, code: str | None = None) -> dict[str, str]:
    """The ``{"code", "message"}`` of an error response (a 5xx may also have a ``request_id``), after
    checking its shape (and the status and code when given)."""
    if status is not None:
        assert response.status_code == status, response.text[:500]
    body = response.json()
    fields = set(body.get("error", {})) - ({"request_id"} if response.status_code >= 500 else set())
    assert set(body) == {"error"} and fields == {"code", "message"}, body
    error: dict[str, str] = body["error"]
    assert error["code"] and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def sse_events(raw: str) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a server-sent event stream whose data are JSON."""
    events = []
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def chat_events(client: TestClient, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The events of ``POST /v1/chat`` with ``body`` streamed (checks the status and media type)."""
    with client.stream("POST", "/v1/chat", json={**body, "stream": True}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    return sse_events(raw)
