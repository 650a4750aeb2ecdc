"""The FastAPI application: lifespan loads the models and indexes once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from api.admin import router as admin_router
from api.chat import router as chat_router
from api.cors import RouteCORS
from api.deps import at_lower_priority
from api.docs import inline_hashes, install_docs
from api.errors import UnexpectedErrorMiddleware, install_error_handlers
from api.heap import frozen_heap
from api.metrics import Metrics, MetricsMiddleware
from api.metrics import router as metrics_router
from api.openai_compat import OpenAIErrorShape
from api.openai_compat import router as openai_router
from api.routes import router
from api.search import router as search_router
from api.security import SecurityMiddleware
from qa.service import QAService, build_service
from qa.settings import Settings, get_settings

# The widget inserts everything as text and needs no inline script, eval or inline style
# attribute (it styles its shadow root with a constructed stylesheet), so the demo page can be strict.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' {styles}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _static(name: str) -> str:
    return resources.files("api").joinpath("static", name).read_text(encoding="utf-8")


def create_app(settings: Settings | None = None, service: QAService | None = None) -> FastAPI:
    """The app; ``service`` may be injected (tests), else it is built from settings."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.service is None:
            app.state.service = build_service(settings)
        await run_in_threadpool(at_lower_priority, app.state.service.warm_up)
        with frozen_heap():  # see api.heap
            yield
        preparer = getattr(app.state, "upload_preparer", None)  # see api.admin.upload_preparer
        if preparer is not None:
            await run_in_threadpool(preparer.close)

    app = FastAPI(
        title="Announcements QA",
        version="0.1.0",
        description="Answers from announcements with exact, verifiable citations.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from packaged assets, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = service
    install_error_handlers(app)
    install_docs(app)
    app.include_router(router)
    app.include_router(chat_router)
    app.include_router(admin_router)
    app.include_router(metrics_router)
    app.include_router(openai_router)
    app.include_router(search_router)
    # Outermost last: metrics see every request; CORS headers reach the limits' 413/429 too.
    # Innermost: its JSON 500 still gets the security headers, CORS and metrics around it.
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(SecurityMiddleware, settings=settings)
    app.add_middleware(OpenAIErrorShape)  # outside the limits: their 413/429/504 get OpenAI's shape too
    if settings.cors_origins:  # per route: Authorization on the OpenAI-compatible ones only
        app.add_middleware(RouteCORS, origins=settings.cors_origins)
    app.state.metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        # Embedded by other sites: loadable cross-origin, cached briefly so a new version arrives soon.
        headers = {
            **SECURITY_HEADERS,
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Cache-Control": "max-age=300",
        }
        return Response(_static("widget.js"), media_type="text/javascript; charset=utf-8", headers=headers)

    @app.get("/", include_in_schema=False)
    def demo() -> HTMLResponse:
        html = _static("index.html")
        headers = {
            **SECURITY_HEADERS,
            "Content-Security-Policy": DEMO_CSP.format(styles=inline_hashes(html, "style")),
        }
        return HTMLResponse(html, headers={**headers, "X-Frame-Options": "DENY"})

    return app
