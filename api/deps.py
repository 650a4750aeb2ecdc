"""Dependencies injected into routes (overridable in tests with ``app.dependency_overrides``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request

from qa.service import QAService
from qa.settings import Settings


def get_service(request: Request) -> QAService:
    service: QAService = request.app.state.service
    return service


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


T = TypeVar("T")


async def run_answering(request: Request, func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` in one of the app's QA_ANSWER_THREADS answer threads (waiting for one if
    all are busy): answering is CPU-bound, and more threads at it only delay every request."""
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "answer_limiter", None)
    if limiter is None:  # made on the event loop, on first use
        limiter = state.answer_limiter = CapacityLimiter(state.settings.answer_threads)
    return await anyio.to_thread.run_sync(functools.partial(func, *args), limiter=limiter)
