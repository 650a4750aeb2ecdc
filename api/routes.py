"""Routes for questions, documents and health. Thin: parse, call the library, translate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import ServiceDep, SettingsDep, run_answering
from api.metrics import count_answer
from api.schemas import AskRequest, DocumentDetail, DocumentList, DocumentSummary, ErrorBody, FiltersBody
from ingest.uploads import check_doc_id
from qa.errors import InvalidRequest
from qa.index.store import Filters
from qa.settings import Settings
from qa.types import Answer

router = APIRouter()
ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
    503: {"model": ErrorBody},
    502: {"model": ErrorBody, "description": "The model server (llm answerer) failed."},
    504: {"model": ErrorBody, "description": "The model server (llm answerer) timed out."},
}


def to_filters(body: FiltersBody | None) -> Filters | None:
    return Filters(**body.model_dump()) if body is not None else None


def choose_answerer(
    requested: str | None, settings: Settings, top_k: int | None = None, http: Request | None = None
) -> str:
    """The request's answerer when it names one and the server allows that, else QA_ANSWERER.

    The llm answerer takes at most QA_LLM_MAX_TOP_K passages (its cost grows with them); each
    answer is counted by answerer in /metrics when ``http`` (the request) is given."""
    answerer: str = settings.answerer
    if requested is not None and requested != settings.answerer:
        if not settings.answerer_override_allowed:
            why = (
                "QA_ALLOW_ANSWERER_OVERRIDE=false"
                if settings.allow_answerer_override is False
                else "QA_ALLOW_ANSWERER_OVERRIDE is unset, which means off when an llm is configured"
            )
            raise InvalidRequest(
                f"this server answers with '{settings.answerer}' only ({why}): leave out 'answerer'"
            )
        answerer = requested
    if answerer == "llm" and top_k is not None and top_k > settings.llm_max_top_k:
        raise InvalidRequest(
            f"top_k for the llm answerer must be at most {settings.llm_max_top_k} (QA_LLM_MAX_TOP_K), "
            f"got {top_k}"
        )
    if http is not None:
        count_answer(http, answerer)
    return answerer


@router.post("/v1/ask", response_model=Answer, responses=ERRORS, tags=["questions"])
async def ask(request: AskRequest, http: Request, service: ServiceDep, settings: SettingsDep) -> Answer:
    """Answer a question from the announcements, with exact citations (or an abstention)."""
    answerer = choose_answerer(request.answerer, settings, request.top_k, http)
    filters = to_filters(request.filters)
    return await run_answering(http, service.ask, request.question, request.top_k, filters, answerer)


@router.get("/v1/documents", response_model=DocumentList, responses=ERRORS, tags=["documents"])
def list_documents(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200, description="The next_cursor of the previous page: list the documents after it."
        ),
    ] = None,
) -> DocumentList:
    """Stored documents, sorted by doc_id, a page at a time (follow ``next_cursor``)."""
    total, _ = service.store.counts()
    docs = service.store.list_documents(limit, offset, after=cursor)
    return DocumentList(
        documents=[
            DocumentSummary(**d.model_dump(include={"doc_id", "title", "source", "date", "url"}))
            for d in docs
        ],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=docs[-1].doc_id if len(docs) == limit else None,
    )


@router.get(
    "/v1/documents/{doc_id:path}", response_model=DocumentDetail, responses=ERRORS, tags=["documents"]
)
def get_document(doc_id: str, service: ServiceDep) -> DocumentDetail:
    """One document's cleaned text (what citation offsets refer to) and metadata."""
    check_doc_id(doc_id)
    doc = service.store.get_document(doc_id)
    return DocumentDetail(**doc.model_dump(include={"doc_id", "title", "source", "date", "url", "text"}))


@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is alive (answered on the event loop: busy worker threads cannot delay it)."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"], responses={503: {"model": ErrorBody}})
def readyz(service: ServiceDep) -> JSONResponse:
    """The store answers and the models are loaded."""
    docs, chunks = service.store.counts()
    return JSONResponse({"status": "ready", "documents": docs, "chunks": chunks})
