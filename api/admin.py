"""Write routes: add or replace a document, delete one. They need the admin key (QA_ADMIN_KEY),
sent as ``X-Admin-Key: KEY`` or ``Authorization: Bearer KEY``; without a configured key they are
disabled (403), never open. The key is checked before the body is read.

    POST   /v1/documents            JSON {doc_id?, title, text, source?, date?, url?}
                                    or multipart/form-data with a 'file' (.md, .txt, .html)
    DELETE /v1/documents/{doc_id}

Both go through the ingest code (load, clean, chunk, embed, write, new revision, lexical
rebuild); see `ingest.uploads`. An upload is loaded and checked here, chunked, embedded and
analysed in the ingest worker process (`ingest.worker`, QA_INGEST_WORKER), and written here.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api.deps import ServiceDep, SettingsDep
from api.errors import HTTPError
from api.routes import ERRORS
from api.schemas import DocumentDeleted, DocumentIn, DocumentWritten, ErrorBody
from api.security import RateLimiter, retry_after
from ingest.preparation import LocalPreparer, UploadPreparer
from ingest.uploads import UploadFolder, UploadResult, check_doc_id
from ingest.worker import IngestWorker

router = APIRouter(tags=["documents"])
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorBody, "description": "No admin key, or the wrong one."},
    403: {"model": ErrorBody, "description": "Writes are disabled: the server has no QA_ADMIN_KEY."},
    409: {"model": ErrorBody, "description": "The doc_id is taken (send replace=true)."},
    413: {"model": ErrorBody, "description": "Over QA_MAX_UPLOAD_BYTES."},
    415: {"model": ErrorBody, "description": "Neither JSON nor multipart/form-data."},
    507: {"model": ErrorBody, "description": "The disk under the store is full."},
}
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": DocumentIn.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A .md (front matter allowed), .txt or .html document.",
                    }
                },
            }
        },
    },
}


ADMIN_FAILURES_PER_MINUTE = 10  # wrong admin keys per client per minute before 429


def _failures(request: Request) -> RateLimiter:
    """The app's budget of wrong admin keys per client (made on first use)."""
    limiter: RateLimiter | None = getattr(request.app.state, "admin_key_failures", None)
    if limiter is None:
        limiter = request.app.state.admin_key_failures = RateLimiter(ADMIN_FAILURES_PER_MINUTE)
    return limiter


async def require_admin(request: Request, settings: SettingsDep) -> None:
    """Let the request through only with the configured admin key (compared in constant time).

    Async: it runs on the event loop, where the failure budget (not thread-safe) lives. A client
    that sent ADMIN_FAILURES_PER_MINUTE wrong keys gets 429 until its budget refills.
    """
    expected = settings.admin_key.get_secret_value()
    if not expected:
        raise HTTPError(
            403,
            "writes_disabled",
            "write routes are disabled on this server; set QA_ADMIN_KEY on the server to enable them",
        )
    given = request.headers.get("x-admin-key")
    if given is None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        given = credentials.strip() if scheme.lower() == "bearer" else None
    if not given:
        raise HTTPError(
            401,
            "unauthorized",
            "this route needs the admin key: send it as 'X-Admin-Key: KEY' or 'Authorization: Bearer KEY'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    failures = _failures(request)
    client = request.scope.get("state", {}).get("client") or (request.client.host if request.client else "")
    wait = failures.waiting(client)
    if wait > 0:
        seconds = retry_after(wait)
        raise HTTPError(
            429,
            "rate_limited",
            f"too many wrong admin keys: at most {ADMIN_FAILURES_PER_MINUTE} per minute per client; "
            f"try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode()):
        failures.acquire(client)
        raise HTTPError(401, "unauthorized", "the admin key is wrong", headers={"WWW-Authenticate": "Bearer"})


AdminDep = Annotated[None, Depends(require_admin)]


async def upload_preparer(request: Request, service: ServiceDep, settings: SettingsDep) -> UploadPreparer:
    """The app's preparer of uploads, made on first use: the ingest worker (its process starts
    on the first call), or with QA_INGEST_WORKER=false the service's own models in this process.
    The app's lifespan closes it. Async: made on the event loop, so two first uploads make one."""
    state = request.app.state
    preparer: UploadPreparer | None = getattr(state, "upload_preparer", None)
    if preparer is None:
        if settings.ingest_worker:
            preparer = IngestWorker.from_settings(settings)
        else:
            preparer = LocalPreparer(
                service.store.embedder,
                service.store.analyser,
                chunk_size=settings.chunk_size,
                overlap=settings.chunk_overlap,
            )
        state.upload_preparer = preparer
    return preparer


def get_uploads(
    service: ServiceDep, settings: SettingsDep, preparer: Annotated[UploadPreparer, Depends(upload_preparer)]
) -> UploadFolder:
    return UploadFolder(
        settings.data_dir / "uploads",
        service.store,
        service.lexical,
        preparer,
        max_bytes=settings.max_upload_bytes,
        chunk_size=settings.chunk_size,
        overlap=settings.chunk_overlap,
    )


UploadsDep = Annotated[UploadFolder, Depends(get_uploads)]


@router.post(
    "/v1/documents",
    status_code=201,
    response_model=DocumentWritten,
    responses={**WRITE_ERRORS, 200: {"model": DocumentWritten, "description": "Replaced or unchanged."}},
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def create_document(
    request: Request,
    _: AdminDep,
    uploads: UploadsDep,
    replace: Annotated[bool, Query(description="Replace a stored document with the same doc_id.")] = False,
) -> JSONResponse:
    """Add a document (JSON fields or an uploaded file) through the ingest pipeline; admin only."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        fields = await run_in_threadpool(_document_fields, await request.body())
        result = await run_in_threadpool(lambda: uploads.add_document(**fields, replace=replace))
    elif content_type == "multipart/form-data":
        filename, data = await _uploaded_file(request, uploads.max_bytes)
        result = await run_in_threadpool(uploads.add_file, filename, data, replace)
    else:
        raise HTTPError(
            415,
            "unsupported_media_type",
            f"unsupported Content-Type {content_type or '(none)'!r}: send the document as JSON "
            "(application/json) or as a file upload (multipart/form-data with a 'file' field)",
        )
    written = _written(result)
    return JSONResponse(written.model_dump(), status_code=201 if result.status == "created" else 200)


@router.delete("/v1/documents/{doc_id:path}", response_model=DocumentDeleted, responses=WRITE_ERRORS)
async def delete_document(doc_id: str, _: AdminDep, uploads: UploadsDep) -> DocumentDeleted:
    """Delete a document and its chunks (an uploaded file too); admin only."""
    check_doc_id(doc_id)
    await run_in_threadpool(uploads.remove, doc_id)
    return DocumentDeleted(doc_id=doc_id, deleted=True)


def _document_fields(body: bytes) -> dict[str, str]:
    try:
        document = DocumentIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    return {k: v for k, v in document.model_dump().items() if v is not None}


async def _uploaded_file(request: Request, max_bytes: int) -> tuple[str, bytes]:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPError(
            422, "invalid_request", "'file' is required: send the document as the form field 'file'"
        )
    data = await upload.read(max_bytes + 1)
    await form.close()
    if len(data) > max_bytes:
        raise HTTPError(
            413,
            "body_too_large",
            f"the file is over the {max_bytes:,}-byte limit (QA_MAX_UPLOAD_BYTES); split it",
        )
    return upload.filename or "", data


def _written(result: UploadResult) -> DocumentWritten:
    article = result.article
    return DocumentWritten(
        **article.model_dump(include={"doc_id", "title", "source", "date", "url"}),
        status=result.status,
        chunks=result.chunks,
    )
