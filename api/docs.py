"""``/docs``: Swagger UI from files shipped in a pinned package, under a strict CSP.

FastAPI's default page loads Swagger UI from a CDN: blank offline, and a third party's script
with the page's origin. Here the assets come from the ``fastapi-offline`` package (the Swagger
UI bundle, its CSS and favicon, MIT) under ``/docs-assets/``, and the page allows scripts only
from this origin plus the hash of its one inline start-up script. ReDoc is not served.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
# Swagger UI sets style attributes from script, which CSP can allow only with 'unsafe-inline'
# for styles; scripts stay strict.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` from the packaged assets (create the app with docs_url=None)."""
    folder = resources.files("fastapi_offline").joinpath("static")
    app.mount(ASSETS, StaticFiles(directory=str(folder)), name="docs-assets")
    html_bytes = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API docs",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    ).body
    html = bytes(html_bytes).decode()
    headers = {
        "Content-Security-Policy": DOCS_CSP.format(scripts=inline_hashes(html, "script")),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)


def inline_hashes(html: str, tag: str) -> str:
    """CSP sources (``'sha256-...'``) for the page's inline ``<tag>`` blocks (script or style)."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks
    )
