"""POST /v1/search: the passages retrieval finds for a query, without answering.

For clients that compose their own answers (the LangChain retriever against a remote server,
``qa.integrations.langchain``): each passage comes as a citation of the whole passage, with
its document's metadata, exact offsets in the cleaned document and the fused score.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import ServiceDep
from api.routes import ERRORS, to_filters
from api.schemas import QUESTION_BOUNDS, TOP_K_BOUNDS, FiltersBody, Strict
from qa.types import Citation, Passage

router = APIRouter()


class SearchRequest(Strict):
    query: str = Field(
        ...,
        description="What to look for, 1-2,000 characters.",
        max_length=100_000,
        json_schema_extra=QUESTION_BOUNDS,
    )
    top_k: int | None = Field(
        None, description="Passages to return, 1-50.", strict=True, json_schema_extra=TOP_K_BOUNDS
    )
    filters: FiltersBody | None = None


class SearchResponse(BaseModel):
    passages: list[Citation] = Field(..., description="Best first; quote is the whole passage.")


def passage_citations(passages: list[Passage]) -> list[Citation]:
    """Each passage as a citation of all of its text (document offsets, fused score)."""
    return [Citation.in_passage(p, 0, len(p.text), score=p.score) for p in passages]


@router.post("/v1/search", response_model=SearchResponse, responses=ERRORS, tags=["questions"])
def search(request: SearchRequest, service: ServiceDep) -> SearchResponse:
    """The passages hybrid retrieval finds for a query, best first (no answer)."""
    return SearchResponse(
        passages=passage_citations(service.search(request.query, request.top_k, to_filters(request.filters)))
    )
