"""Helpers shared by the benchmark tasks: timing, memory, percentiles, questions, stand-in vectors,
the stages of a question."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import resource
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:  # `python bench/run.py` from anywhere imports the project's packages
    sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields.get("VmRSS", 0.0), 1), "peak_rss_mb": round(fields.get("VmHWM", 0.0), 1)}


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Count and p50/p95/p99/max in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "requests": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "p99_ms": round(percentile(ms, 0.99), 1),
        "max_ms": round(max(ms, default=0.0), 1),
    }


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]``."""
    timing: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield timing
    finally:
        timing["seconds"] = time.perf_counter() - started


def load_questions(corpus: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The generated corpus's questions (see bench/corpus.py), in file order."""
    from make_corpus import QUESTIONS

    rows = [json.loads(line) for line in (corpus / QUESTIONS).read_text(encoding="utf-8").splitlines()]
    return rows[:limit] if limit else rows


def bounded(questions: Sequence[dict[str, Any]], count: int, seconds: float) -> Iterator[dict[str, Any]]:
    """Cycle through ``questions``: at most ``count`` of them and for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    for i in range(count):
        if time.monotonic() > deadline:
            return
        yield questions[i % len(questions)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StandInEmbedder:
    """Fast deterministic unit vectors from a hash of the text, under the real model's name.

    For store sizes whose real embedding would take hours: the store then opens with the real
    model (which embeds the questions), so search, BM25 and answering run at full size, but
    the dense ranking is meaningless. Every figure measured on such a store says so.
    """

    def __init__(self, name: str, dimension: int = 384) -> None:
        self.name = name
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        rows = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            rows[i] = np.random.default_rng(seed).standard_normal(self.dimension)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        result: list[list[float]] = rows.tolist()
        return result


class StandInSpans:
    """Answer candidates by pattern instead of spaCy, for store sizes whose parse would take hours.

    Every run of capitalised words after the first word of a sentence is a name and every number a
    quantity, so a stored analysis holds about as many candidates as spaCy finds in news (and takes
    as long to read and score) without a parse. Only for building a store whose latency and memory
    are measured: such a store's answers are not the system's.
    """

    _NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+(?: [A-Z][a-z]+)*")
    _NUMBER = re.compile(r"\d[\d,.]*")

    def warm_up(self) -> None:
        """Nothing to load."""

    def candidates_batch(self, sentences: list[str], batch_size: int = 64) -> list[list[Any]]:
        from qa.language.answer_types import AnswerType
        from qa.language.labels import Label
        from qa.language.spans import Candidate

        found = []
        for sentence in sentences:
            names = [(m, Label.ORG, AnswerType.ORGANISATION) for m in self._NAME.finditer(sentence)]
            numbers = [(m, Label.CARDINAL, AnswerType.QUANTITY) for m in self._NUMBER.finditer(sentence)]
            found.append(
                [Candidate(m.start(), m.end(), m.group(), kind, label) for m, label, kind in names + numbers]
            )
        return found


class LookupEmbedder:
    """Vectors already computed by the real model (by text), the real model for the rest.

    Builds the query stores from the ingest benchmark's vectors instead of embedding the
    same chunks again; the store records the real model's name, as it should.
    """

    def __init__(self, real: Any, known: dict[str, list[float]]) -> None:
        self.real = real
        self.known = known
        self.embedded = 0  # texts the real model had to embed

    @property
    def name(self) -> str:
        return str(self.real.name)

    @property
    def dimension(self) -> int:
        return int(self.real.dimension)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.embedded += len(missing)
            self.known.update(zip(missing, self.real.embed(missing), strict=True))
        return [self.known[t] for t in texts]


class QueryStages:
    """Where a question's time goes: wraps the collaborators of one ``QAService`` (bench only).

    The service's parts are injected, so timing them means swapping in timed stand-ins on this
    instance; nothing in the library changes. Stages nested in others (the sentence embeddings
    inside answering) are subtracted from their parent, so the stages add up to the whole call.
    """

    STAGES = (
        "store revision check",
        "question embedding",
        "Chroma vector query",
        "BM25 search",
        "Chroma get_chunks",
        "fusion and rerank",
        "sentence embeddings",
        "spaCy (answer spans)",
        "answering: the rest",
        "service: the rest",
    )

    def __init__(self) -> None:
        self._current: dict[str, float] = {}
        self._questions: list[dict[str, float]] = []

    def _timed(self, stage: str, func: Any) -> Any:
        @wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self._current[stage] = self._current.get(stage, 0.0) + time.perf_counter() - started

        return timed

    def instrument(self, service: Any) -> None:
        """Time each collaborator of ``service`` (call before its first timed question)."""
        store, lexical = service.store, service.lexical
        retriever, answerer = service.retriever, service.answerer
        lexical.ensure_current = self._timed("store revision check", lexical.ensure_current)
        lexical.search = self._timed("BM25 search", lexical.search)
        store.nearest = self._timed("Chroma vector query", store.nearest)
        store.get_chunks = self._timed("Chroma get_chunks", store.get_chunks)
        retriever.embedder = _TimedProxy(retriever.embedder, self._timed, "question embedding")
        retriever.retrieve = self._timed("retrieval", retriever.retrieve)
        answerer.embedder = _TimedProxy(answerer.embedder, self._timed, "sentence embeddings")
        answerer.spans = _TimedProxy(answerer.spans, self._timed, "spaCy (answer spans)")
        answerer.answer = self._timed("answering", answerer.answer)

    def question_done(self, seconds: float) -> None:
        """Close the books on one question that took ``seconds`` in all."""
        t = self._current
        t["fusion and rerank"] = t.pop("retrieval", 0.0) - sum(t.get(p, 0.0) for p in self.STAGES[:5])
        inner = t.get("sentence embeddings", 0.0) + t.get("spaCy (answer spans)", 0.0)
        t["answering: the rest"] = t.get("answering", 0.0) - inner
        t["service: the rest"] = seconds - sum(v for k, v in t.items() if k != "answering")
        t.pop("answering", None)
        self._questions.append(dict(t))
        t.clear()

    def discard(self) -> None:
        """Forget what was timed so far (warm-up questions)."""
        self._current.clear()
        self._questions.clear()

    def summary(self) -> dict[str, float]:
        """Mean milliseconds per question of each stage."""
        n = max(len(self._questions), 1)
        return {s: round(sum(q.get(s, 0.0) for q in self._questions) * 1000 / n, 2) for s in self.STAGES}


class _TimedProxy:
    """An object whose methods are timed under one stage; other attributes pass through."""

    def __init__(self, inner: Any, timed: Any, stage: str) -> None:
        self._inner, self._timed, self._stage = inner, timed, stage

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        return self._timed(self._stage, value) if inspect.ismethod(value) else value


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
