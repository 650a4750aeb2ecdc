"""Chroma itself: a client for an embedded store or a ``chroma run`` server, and its failures
turned into ours (StoreUnavailable, StorageFull, StoreError)."""

from __future__ import annotations

import errno
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlparse

from qa.errors import QAError, StorageFull, StoreError, StoreUnavailable
from qa.index.embedding import force_offline

P = ParamSpec("P")
R = TypeVar("R")


def translate_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn connection failures into StoreUnavailable and other Chroma errors into StoreError."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except QAError:  # ours already (e.g. ModelMismatch, or a ModelError while opening)
            raise
        except Exception as exc:
            detail = " ".join(str(exc).split())  # Chroma's messages span lines; ours are one line
            text = f"{type(exc).__name__}: {detail}"
            if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or any(
                s in text for s in ("No space left", "disk is full")
            ):
                raise StorageFull(
                    f"the disk under the store is full ({detail}); free some space and run the ingest "
                    "again (documents already written are kept)"
                ) from exc
            if any(s in text for s in ("Connect", "connect", "Timeout", "timed out", "Could not connect")):
                raise StoreUnavailable(
                    f"the Chroma store cannot be reached ({detail or type(exc).__name__}); "
                    "check that the Chroma server at QA_CHROMA_URL is running"
                ) from exc
            raise StoreError(f"Chroma error: {text}") from exc

    return wrapper


def connect(url: str, data_dir: Path, timeout: float) -> Any:
    """A Chroma client for the server at ``url`` (``timeout`` seconds per call), else an embedded
    one in ``data_dir/chroma``; no collection is touched."""
    force_offline()
    import chromadb
    import httpx
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        client = chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=chroma_settings,
        )
        # Chroma's HTTP client waits forever by default: a hung server would hang every
        # request. Its session is private, hence the guard; every call then times out.
        session = getattr(getattr(client, "_server", None), "_session", None)
        if session is not None:
            session.timeout = httpx.Timeout(timeout)
        client.heartbeat()
        return client
    data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=chroma_settings)
