"""A scripted OpenAI-compatible chat-completions server on a loopback port, for the llm answerer.

It serves ``POST /v1/chat/completions`` from a queue of scripted replies, streamed (SSE
``data: {...}`` chunks, then ``data: [DONE]``) when the request asks for ``stream`` and as one
JSON completion otherwise, and records every request (body and headers) for assertions.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from qa.generative.answerer import build_generative
from qa.service import QAService
from qa.settings import Settings


@dataclass
class Reply:
    """One scripted response: text (in ``pieces`` when streamed), or an HTTP error, or a stall."""

    text: str = ""
    pieces: list[str] | None = None  # streamed chunks; default: the text word by word
    status: int = 200
    error_body: str = '{"error": {"message": "model crashed", "type": "server_error"}}'
    delay: float = 0.0  # seconds before the response starts
    stall_after: int | None = None  # stream this many pieces, then stall for ``delay_after``
    delay_after: float = 0.0
    # Instead of a timed stall: hold the rest until the test sets ``gate`` (at most 10 s;
    # ``gate_timed_out`` records whether it had to give up waiting).
    gate: threading.Event | None = None
    gate_timed_out: bool | None = None
    raw: str | None = None  # a raw (malformed) body instead of a completion


Responder = Callable[[dict[str, Any]], Reply]


@dataclass
class Recorded:
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body["messages"]
        return messages

    def content(self, role: str) -> str:
        return "\n".join(str(m["content"]) for m in self.messages if m["role"] == role)


@dataclass
class ScriptedLLM:
    """The server's script and what it received."""

    url: str = ""
    script: list[Reply | Responder] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def queue(self, *replies: Reply | Responder) -> None:
        self.script.extend(replies)


def _pieces(reply: Reply) -> list[str]:
    if reply.pieces is not None:
        return reply.pieces
    words = reply.text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


def _chunk(content: str | None, finish: str | None = None) -> str:
    delta = {} if content is None else {"role": "assistant", "content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
    return "data: " + json.dumps({**body, "choices": [choice]}) + "\n\n"


def _completion(text: str) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def _handler(state: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append(Recorded(body, {k.lower(): v for k, v in self.headers.items()}))
            if self.path.rstrip("/") != "/v1/chat/completions" or not state.script:
                return self._send(404, '{"error": {"message": "no scripted reply"}}', "application/json")
            step = state.script.pop(0)
            reply = step if isinstance(step, Reply) else step(body)
            try:
                time.sleep(reply.delay)
                if reply.status != 200:
                    return self._send(reply.status, reply.error_body, "application/json")
                if reply.raw is not None:
                    return self._send(200, reply.raw, "application/json")
                if not body.get("stream"):
                    return self._send(200, _completion(reply.text), "application/json")
                self._stream(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def _send(self, status: int, text: str, content_type: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(_chunk("").encode())  # the role-only first chunk servers send
            for number, piece in enumerate(_pieces(reply)):
                if reply.stall_after is not None and number == reply.stall_after:
                    if reply.gate is not None:
                        reply.gate_timed_out = not reply.gate.wait(timeout=10)
                    else:
                        time.sleep(reply.delay_after)
                self.wfile.write(_chunk(piece).encode())
                self.wfile.flush()
            self.wfile.write(_chunk(None, "stop").encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


@contextmanager
def scripted_llm_server() -> Iterator[ScriptedLLM]:
    """A running server on 127.0.0.1 (a free port); ``.url`` is its OpenAI base URL."""
    state = ScriptedLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    # A short poll interval: shutdown() waits for it, once per test that starts a server.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


KEY = "sk-test-secret-0815"
LAB = "200 technical positions"


def llm_app(corpus_settings: Settings, corpus_service: QAService, url: str, **overrides: Any) -> TestClient:
    """The app with the llm answerer on the scripted server (and any other settings)."""
    settings = corpus_settings.model_copy(
        update={
            "llm_base_url": url,
            "llm_model": "scripted",
            "llm_api_key": SecretStr(KEY),
            "llm_timeout": 1.0,
            "allow_answerer_override": True,  # off by default when an llm is configured
            **overrides,
        }
    )
    generative = build_generative(settings, corpus_service.answerer)
    service = dataclasses.replace(corpus_service, generative=generative, default_answerer=settings.answerer)
    return TestClient(create_app(settings, service))


def number_of(body: dict[str, Any], needle: str) -> str:
    """The id of the passage in the prompt that contains ``needle``."""
    user = body["messages"][-1]["content"]
    blocks = re.findall(r'<passage id="(\d+)"[^>]*>(.*?)</passage>', user, re.DOTALL)
    return next(number for number, text in blocks if needle in text)


def lab_answer(body: dict[str, Any]) -> Reply:
    """A fluent answer: one claim the cited passage supports, one with an invented figure."""
    n = number_of(body, LAB)
    return Reply(
        f"OpenAI's Applied AI Lab in Singapore plans to create over 200 technical positions [{n}]. "
        f"The lab will be funded with S$500 million [{n}]."
    )
