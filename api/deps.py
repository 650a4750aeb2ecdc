"""Dependencies injected into routes (overridable in tests with ``app.dependency_overrides``)."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from contextlib import suppress
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

# Added to the nice value of a thread that answers questions (or loads the models, whose runtimes
# start their own threads from it): on a busy machine the event loop, which answers /healthz and
# routes every request, then gets a core first. Linux gives each thread its own nice value.
ANSWER_NICENESS = 5
_lowered = threading.local()


def lower_thread_priority() -> None:
    """Add ANSWER_NICENESS to the calling thread's nice value, once per thread (nothing where the
    system keeps one nice value per process or refuses)."""
    if getattr(_lowered, "done", False):
        return
    _lowered.done = True
    if not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return
    thread = threading.get_native_id()
    if thread == os.getpid():
        return  # the main thread, which runs the event loop: it keeps its priority
    with suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + ANSWER_NICENESS)


def at_lower_priority(func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` after `lower_thread_priority`."""
    lower_thread_priority()
    return func(*args)


async def run_answering(request: Request, func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` in one of the app's QA_ANSWER_THREADS answer threads (waiting for one if
    all are busy): answering is CPU-bound, and more threads at it only delay every request."""
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "answer_limiter", None)
    if limiter is None:  # made on the event loop, on first use
        limiter = state.answer_limiter = CapacityLimiter(state.settings.answer_threads)
    return await anyio.to_thread.run_sync(functools.partial(at_lower_priority, func, *args), limiter=limiter)
