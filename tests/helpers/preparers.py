"""Preparers of uploads for the ingest worker's tests: built in the worker process by these
module-level factories (a worker gets its factory by reference, so they must live in a module)."""

from __future__ import annotations

import os

from ingest.preparation import LoadedUpload, LocalPreparer
from qa.index.records import DocumentWrite
from tests.helpers.fakes import FakeEmbedder

CRASH = "CRASH-THE-WORKER"  # a document with this text kills the worker while it is prepared
BUILT: list[int] = []  # pids of the processes where `fake_preparer` ran (one entry per call)


class CrashingPreparer(LocalPreparer):
    """A LocalPreparer with the fake embedder that dies (like a process killed for its memory)
    when a document contains CRASH, raises an exception that cannot be pickled on 'UNPICKLABLE',
    and titles a document 'REPORT' with how often this process built a preparer, and its pid."""

    def prepare(self, loaded: LoadedUpload) -> DocumentWrite:
        if CRASH in loaded.article.text:
            os._exit(3)
        if "UNPICKLABLE" in loaded.article.text:
            raise Unpicklable("cannot travel", 42)
        write = super().prepare(loaded)
        if loaded.article.title == "REPORT":
            write.article = write.article.model_copy(update={"title": f"built {len(BUILT)} in {os.getpid()}"})
        return write


class Unpicklable(Exception):
    def __init__(self, message: str, code: int) -> None:  # pickle rebuilds it with one argument
        super().__init__(f"{message} ({code})")


def fake_preparer() -> CrashingPreparer:
    """Made once per worker process, which it records in BUILT."""
    BUILT.append(os.getpid())
    return CrashingPreparer(FakeEmbedder(), None)
