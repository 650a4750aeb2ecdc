"""Upload preparation in a worker process, so a server's interpreter only writes the result.

Chunking, embedding and analysing an upload is CPU work in Python, ONNX Runtime and spaCy
(35-45 s for a 1 MB document on 2 cores); in the server's process it holds the GIL in turns
with the event loop and every answer thread, and each request waits behind it. `IngestWorker` runs a
`LocalPreparer` in one long-lived child process instead: started on the first upload (never at
import), its models loaded once there, and stopped by `close` (the app's lifespan).

The worker never opens the store. An embedded Chroma (PersistentClient) must have one writer
process, and the server's own client keeps its vector index in memory, so the server writes
what the worker returns (`ingest.uploads`), under its write locks.

Calls are served one at a time (one worker, one pipe). A worker that dies (killed, out of
memory, a crash in native code) fails the call in progress with IngestWorkerError; the next call
starts a new one. An error raised in the worker is raised again in the caller as it was.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from pydantic import SecretStr

from ingest.preparation import LoadedUpload, LocalPreparer, UploadPreparer
from qa.errors import IngestWorkerError
from qa.index.records import DocumentWrite
from qa.settings import Settings

logger = logging.getLogger(__name__)
Factory = Callable[[], UploadPreparer]  # picklable: it is called in the worker process
_STOP_SECONDS = 10.0


def preparer_from_settings(settings: Settings) -> LocalPreparer:
    """A LocalPreparer with the configured embedder and analyser (loaded on first use)."""
    from qa.service import build_analyser, build_embedder  # models' modules: only in the worker

    embedder = build_embedder(settings)
    return LocalPreparer(
        embedder,
        build_analyser(settings, embedder),
        chunk_size=settings.chunk_size,
        overlap=settings.chunk_overlap,
    )


class IngestWorker:
    """`UploadPreparer` whose work runs in a child process built by ``factory``."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self._lock = threading.Lock()  # one call at a time on the pipe
        self._process: BaseProcess | None = None
        self._pipe: Connection | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestWorker:
        """A worker preparing with the configured models; the keys stay in this process."""
        secrets = {"admin_key": SecretStr(""), "llm_api_key": SecretStr("")}
        return cls(functools.partial(preparer_from_settings, settings.model_copy(update=secrets)))

    @property
    def pid(self) -> int | None:
        """The worker process's id while it runs (None before the first call or after close)."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def prepare(self, loaded: LoadedUpload) -> DocumentWrite:
        write: DocumentWrite = self._call("prepare", loaded)
        return write

    def close(self) -> None:
        """Ask the worker to stop and wait for it (killed after 10 s); a later call starts another."""
        if not self._lock.acquire(timeout=_STOP_SECONDS):  # a call still running: do not wait for it
            self._stop(ask=False)
            return
        try:
            self._stop(ask=True)
        finally:
            self._lock.release()

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            pipe = self._started()
            try:
                pipe.send((method, args))
                ok, value = pipe.recv()
            except (EOFError, OSError) as exc:  # the worker is gone: its end of the pipe closed
                code = self._stop(ask=False)
                raise IngestWorkerError(
                    f"the ingest worker process stopped while preparing this upload (exit code {code}); "
                    "nothing was stored. The next upload starts a new worker; if this document "
                    "stops it again, it is too large for this server's memory: split it"
                ) from exc
        if not ok:
            raise value
        return value

    def _started(self) -> Connection:
        if self._pipe is None or self._process is None or not self._process.is_alive():
            self._stop(ask=False)
            context = multiprocessing.get_context("spawn")  # never fork a process running threads
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_serve, args=(theirs, self.factory), name="qa-ingest-worker", daemon=True
            )
            process.start()
            theirs.close()  # else our recv would wait forever on a dead worker
            self._process, self._pipe = process, ours
            logger.info("started the ingest worker (pid %s)", process.pid)
        return self._pipe

    def _stop(self, ask: bool) -> int | None:
        """End the worker (politely when ``ask``); its exit code, None when there was none."""
        process, pipe = self._process, self._pipe
        self._process = self._pipe = None
        if process is None:
            return None
        if ask and pipe is not None:
            with contextlib.suppress(OSError):
                pipe.send(None)
        process.join(_STOP_SECONDS if ask else 1.0)
        if process.is_alive():
            process.terminate()
            process.join(_STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        if pipe is not None:
            pipe.close()
        return process.exitcode


WORKER_NICENESS = 10  # added to the worker's nice value (lower CPU priority); Unix only


def _serve(pipe: Connection, factory: Factory) -> None:
    """The worker's loop: build the preparer once, then answer calls until told to stop."""
    # Ctrl-C in a terminal reaches the whole process group: the server stops us itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Background work: on a busy machine the serving process (health checks, questions) goes first.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    preparer = factory()
    while True:
        try:
            message = pipe.recv()
        except EOFError:  # the server is gone
            return
        if message is None:
            preparer.close()
            return
        method, args = message
        try:
            reply: tuple[bool, Any] = (True, getattr(preparer, method)(*args))
        except Exception as exc:
            reply = (False, _returnable(exc))
        try:
            pipe.send(reply)
        except Exception as exc:  # a result that does not pickle
            pipe.send((False, IngestWorkerError(f"the ingest worker could not return its result: {exc!r}")))


def _returnable(exc: Exception) -> Exception:
    """``exc`` with the worker's traceback in a note, or, when it would not survive the trip
    through the pipe (an exception class whose arguments do not rebuild it), a stand-in."""
    where = "in the ingest worker:\n" + traceback.format_exc()
    exc.add_note(where)
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        stand_in = RuntimeError(f"{type(exc).__name__}: {exc}")
        stand_in.add_note(where)
        return stand_in
    return exc
