"""The FastAPI application: lifespan loads the models and indexes once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, Response

from api.errors import install_error_handlers
from api.routes import router
from qa.service import QAService, build_service
from qa.settings import Settings, get_settings


def _static(name: str) -> str:
    return resources.files("api").joinpath("static", name).read_text(encoding="utf-8")


def create_app(settings: Settings | None = None, service: QAService | None = None) -> FastAPI:
    """The app; ``service`` may be injected (tests), else it is built from settings."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.service is None:
            app.state.service = build_service(settings)
        await run_in_threadpool(app.state.service.warm_up)
        yield

    app = FastAPI(
        title="Announcements QA",
        version="0.1.0",
        description="Answers from announcements with exact, verifiable citations.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    install_error_handlers(app)
    app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        return Response(_static("widget.js"), media_type="text/javascript; charset=utf-8")

    @app.get("/", include_in_schema=False)
    def demo() -> HTMLResponse:
        return HTMLResponse(_static("index.html"))

    return app
