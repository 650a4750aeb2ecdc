"""``qa mcp``: the announcements over the Model Context Protocol (the official ``mcp`` SDK).

Tools:

* ``ask(question, top_k?, filters?)``: the answer as Markdown with numbered sources (the same
  text ``/v1/chat/completions`` gives) and, as structured content, ``text``, ``abstained``,
  ``confidence``, ``citations`` and ``related``.
* ``search(query, top_k?, filters?)``: the passages hybrid retrieval finds, each with its
  document, offsets and score, without answering.

Resources: every stored document as ``document://{doc_id}`` (doc_id percent-encoded), its
cleaned text (what citation offsets refer to), listed with title, date and URL.

Library errors become tool errors (``is_error``) or resource errors with the message that says
what to fix; the service is the one ``qa serve`` uses, built from the same settings.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, unquote

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp_types import CallToolResult, TextContent
from mcp_types import Resource as ResourceEntry
from pydantic import BaseModel, ConfigDict, Field

from api.markdown import answer_markdown
from api.search import passage_citations
from qa.errors import NotFound, QAError
from qa.index.store import Filters
from qa.service import QAService
from qa.types import Citation, RelatedDocument

DOCUMENT_SCHEME = "document://"
MAX_LISTED_DOCUMENTS = 1000
INSTRUCTIONS = (
    "Answers questions from a collection of announcements (press releases, news articles) with exact "
    "citations. Use 'ask' for a question; it says 'The announcements don't say.' when they do not hold "
    "the answer. Use 'search' to find passages. Documents are resources at document://{doc_id}."
)


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(None, description="Only documents from this source.")
    doc_ids: list[str] | None = Field(None, description="Only these documents.")
    date_from: str | None = Field(None, description="ISO date, inclusive (2025-01-01).")
    date_to: str | None = Field(None, description="ISO date, inclusive.")


class AskResult(BaseModel):
    text: str
    abstained: bool
    confidence: float
    citations: list[Citation]
    related: list[RelatedDocument]


class SearchResult(BaseModel):
    passages: list[Citation] = Field(description="The whole passage as quote, with document offsets.")


def document_uri(doc_id: str) -> str:
    return DOCUMENT_SCHEME + quote(doc_id, safe="")


class AnnouncementsMCP(MCPServer):
    """An MCP server over one QAService; the store's documents are listed when a client asks."""

    def __init__(self, service: QAService) -> None:
        super().__init__(name="announcements-qa", instructions=INSTRUCTIONS, version="0.1.0")
        self.service = service
        self.tool(description="Answer a question from the announcements, with exact citations.")(self.ask)
        self.tool(description="Find the passages of the announcements that match a query.")(self.search)
        self.resource(
            DOCUMENT_SCHEME + "{doc_id}",
            name="document",
            description="A stored document's cleaned text (citation offsets refer to it).",
            mime_type="text/plain",
        )(self.document)

    async def ask(
        self, question: str, top_k: int | None = None, filters: SearchFilters | None = None
    ) -> Annotated[CallToolResult, AskResult]:
        """The answer as Markdown with numbered sources, and the structured answer."""
        answer = await _call(self.service.ask, question, top_k, _filters(filters))
        result = AskResult(**answer.model_dump(include=set(AskResult.model_fields)))
        return CallToolResult(
            content=[TextContent(type="text", text=answer_markdown(answer))],
            structured_content=result.model_dump(mode="json"),
        )

    async def search(self, query: str, top_k: int = 6, filters: SearchFilters | None = None) -> SearchResult:
        """Passages for ``query`` (dense and lexical retrieval, fused), best first."""
        passages = await _call(self.service.search, query, top_k, _filters(filters))
        return SearchResult(passages=passage_citations(passages))

    async def document(self, doc_id: str) -> str:
        """One document's cleaned text."""
        try:
            doc = await anyio.to_thread.run_sync(self.service.store.get_document, unquote(doc_id))
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from None
        except QAError as exc:
            raise ResourceError(str(exc)) from None
        return doc.text

    async def list_resources(self) -> list[ResourceEntry]:
        """The stored documents (the first 1,000 by doc_id; any other is readable by its URI)."""
        try:
            docs = await anyio.to_thread.run_sync(self.service.store.list_documents, MAX_LISTED_DOCUMENTS, 0)
        except QAError as exc:
            raise ResourceError(str(exc)) from None
        return [
            ResourceEntry(
                uri=document_uri(doc.doc_id),
                name=doc.doc_id,
                title=doc.title,
                description=" · ".join(part for part in (doc.date, doc.source, doc.url) if part),
                mime_type="text/plain",
            )
            for doc in docs
        ]


async def _call(func: Any, *args: Any) -> Any:
    """``func(*args)`` in a worker thread; a library error becomes a tool error with its message."""
    try:
        return await anyio.to_thread.run_sync(func, *args)
    except QAError as exc:
        raise ToolError(str(exc)) from None


def _filters(filters: SearchFilters | None) -> Filters | None:
    return Filters(**filters.model_dump()) if filters is not None else None
