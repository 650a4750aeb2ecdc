"""The answer threads run at a lower CPU priority than the event loop (Linux: one nice value per
thread), so on a busy machine the loop that answers /healthz and routes requests gets a core first."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.deps import ANSWER_NICENESS, at_lower_priority, run_answering

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread nice values")


def own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def in_a_thread(func: Callable[[], list[int]]) -> list[int]:
    found: list[int] = []
    thread = threading.Thread(target=lambda: found.extend(func()))
    thread.start()
    thread.join()
    return found


def test_a_thread_lowers_its_own_priority_once_and_no_other() -> None:
    main_before = own_niceness()

    def twice() -> list[int]:
        before = own_niceness()
        first = at_lower_priority(own_niceness)
        second = at_lower_priority(own_niceness)
        return [before, first, second]

    before, first, second = in_a_thread(twice)
    assert first == second == min(before + ANSWER_NICENESS, 19)  # once per thread, not per call
    assert own_niceness() == main_before  # the caller's thread (and so the process) is untouched


def test_questions_are_answered_below_the_event_loops_priority() -> None:
    app = FastAPI()
    app.state.settings = SimpleNamespace(answer_threads=2)

    @app.get("/probe")
    async def probe(request: Request) -> dict[str, int]:
        return {"loop": own_niceness(), "answer": await run_answering(request, own_niceness)}

    with TestClient(app) as client:
        got = client.get("/probe").json()
    assert got["answer"] == min(got["loop"] + ANSWER_NICENESS, 19)
