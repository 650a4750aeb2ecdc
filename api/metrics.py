"""``GET /metrics`` in the Prometheus text format: requests by route and status, latency, store size.

Each app has its own registry (tests build many apps in one process). Routes are labelled by
their template (``/v1/documents/{doc_id:path}``), never by the raw path, so labels stay few;
paths that match no route share the label ``unmatched``. Nothing from the settings is
exported, so no key can leak here.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.security import QUESTION_ROUTES, UPLOAD_ROUTE
from qa.errors import QAError

router = APIRouter()
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The app's Prometheus collectors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "qa_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "qa_http_request_duration_seconds",
            "Time from request to the end of the response, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "qa_answers",
            "Questions taken on, by answerer (llm answers cost model-server time or money).",
            ["answerer"],
            registry=self.registry,
        )
        self.in_flight = Gauge("qa_http_requests_in_flight", "Requests being served.", registry=self.registry)
        self.documents = Gauge("qa_documents", "Documents in the store.", registry=self.registry)
        self.chunks = Gauge("qa_chunks", "Chunks in the store.", registry=self.registry)
        self.store_up = Gauge(
            "qa_store_up", "1 when the store answered the last scrape, else 0.", registry=self.registry
        )


class MetricsMiddleware:
    """Counts and times every HTTP request, including those refused by other middlewares."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees if the app raises before answering

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, observed)
        finally:
            self.metrics.in_flight.dec()
            route = route_label(scope)
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()


def count_answer(request: Request, answerer: str) -> None:
    """Count one question taken on by ``answerer`` (when the app keeps metrics)."""
    collected: Metrics | None = getattr(request.app.state, "metrics", None)
    if collected is not None:
        collected.answers.labels(answerer).inc()


def route_label(scope: Scope) -> str:
    """The template of the route that served ``scope`` (set by routing), else 'unmatched'.

    Requests refused before routing (413, 429, 431) are labelled by their path when it is
    one of the limited routes, so refusals of questions and uploads still show per route.
    """
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "unmatched"))
    path = scope.get("path", "")
    return path if path in QUESTION_ROUTES or path == UPLOAD_ROUTE else "unmatched"


@router.get(
    "/metrics",
    tags=["health"],
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests by route and status, latency histogram, documents and chunks."""
    collected: Metrics = request.app.state.metrics
    service = request.app.state.service
    try:
        documents, chunks = await run_in_threadpool(service.store.counts)
    except QAError:  # the store being down is itself worth scraping
        collected.store_up.set(0)
    else:
        collected.store_up.set(1)
        collected.documents.set(documents)
        collected.chunks.set(chunks)
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)
