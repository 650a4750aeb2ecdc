"""`qa mcp` driven by the official MCP SDK's own client: over stdio (the client starts `qa mcp`
as a subprocess) and over streamable HTTP, against the session's real store of corpus/."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import TextContent

from api.mcp_server import document_uri
from qa.service import QAService
from qa.settings import Settings
from tests.helpers.servers import free_port, serve_env

pytestmark = pytest.mark.slow

QA = str(Path(sys.executable).parent / "qa")
JOBS = "How many jobs will the lab in Singapore create?"


@asynccontextmanager
async def stdio_session(settings: Settings) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=QA, args=["mcp"], env=serve_env(settings.data_dir, 8000))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def run_with(settings: Settings, body: Callable[[ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with stdio_session(settings) as session:
            await body(session)

    anyio.run(main)


def text_of(result: Any) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def test_tools_answer_search_and_fail_clearly_over_stdio(
    corpus_service: QAService, corpus_settings: Settings
) -> None:
    async def body(session: ClientSession) -> None:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert set(tools) == {"ask", "search"}
        assert tools["ask"].input_schema["required"] == ["question"] and tools["ask"].output_schema

        answer = await session.call_tool("ask", {"question": JOBS})
        assert not answer.is_error
        structured = answer.structured_content or {}
        assert structured["abstained"] is False and "200" in structured["text"]
        cited = structured["citations"][0]
        assert cited["doc_id"] == "openai-for-singapore" and "200 technical positions" in cited["quote"]
        assert text_of(answer).startswith(structured["text"]) and "Sources:\n1. " in text_of(answer)

        unknown = await session.call_tool("ask", {"question": "Who will lead OpenAI's lab in Singapore?"})
        assert (unknown.structured_content or {})["abstained"] is True
        assert text_of(unknown).startswith("The announcements don't say.\n\nRelated articles:\n1. ")

        found = await session.call_tool(
            "search",
            {
                "query": "technical positions lab",
                "top_k": 3,
                "filters": {"doc_ids": ["openai-for-singapore"]},
            },
        )
        passages = (found.structured_content or {})["passages"]
        assert 1 <= len(passages) <= 3 and {p["doc_id"] for p in passages} == {"openai-for-singapore"}
        doc = corpus_service.store.get_document("openai-for-singapore")
        assert all(doc.text[p["start"] : p["end"]] == p["quote"] for p in passages)  # exact offsets

        empty = await session.call_tool("ask", {"question": "  "})
        assert empty.is_error and "question must not be empty" in text_of(empty)
        wide = await session.call_tool("search", {"query": "lab", "top_k": 99})
        assert wide.is_error and "top_k must be between 1 and 50, got 99" in text_of(wide)
        bad = await session.call_tool("search", {"query": "lab", "filters": {"date_from": "yesterday"}})
        assert bad.is_error and "ISO 8601 (YYYY-MM-DD), got 'yesterday'" in text_of(bad)

    run_with(corpus_settings, body)


def test_documents_are_resources(corpus_service: QAService, corpus_settings: Settings) -> None:
    async def body(session: ClientSession) -> None:
        listed = (await session.list_resources()).resources
        stored = corpus_service.store.list_documents(limit=1000)
        assert sorted(r.name for r in listed) == sorted(d.doc_id for d in stored)
        entry = next(r for r in listed if r.name == "openai-for-singapore")
        assert entry.title == "OpenAI and Singapore: A Strategic Partnership in AI"
        assert str(entry.uri) == document_uri("openai-for-singapore") and "2025-05-21" in (
            entry.description or ""
        )
        contents = (await session.read_resource(entry.uri)).contents
        assert (
            getattr(contents[0], "text", None)
            == corpus_service.store.get_document("openai-for-singapore").text
        )
        with pytest.raises(MCPError, match="no document with doc_id 'nope'"):
            await session.read_resource(document_uri("nope"))

    run_with(corpus_settings, body)


def test_streamable_http(corpus_service: QAService, corpus_settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "mcp.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [QA, "mcp", "--transport", "streamable-http", "--port", str(port)],
            env=serve_env(corpus_settings.data_dir, 8000),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        async def main() -> None:
            url = f"http://127.0.0.1:{port}/mcp"
            with anyio.fail_after(120):
                while (
                    b"MCP (streamable HTTP) on" not in log.read_bytes()
                    or b"Uvicorn running" not in log.read_bytes()
                ):
                    assert proc.poll() is None, log.read_text(errors="replace")
                    await anyio.sleep(0.25)
            async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                answer = await session.call_tool("ask", {"question": JOBS})
                assert "200" in (answer.structured_content or {})["text"]

        anyio.run(main)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
