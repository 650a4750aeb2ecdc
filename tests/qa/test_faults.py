"""Faults under the library: a Chroma server that stops or hangs mid-traffic (StoreUnavailable
within the timeout, then recovery without a restart), and a lexical index that is deleted,
corrupted or cannot be saved (rebuilt from the store; answers unchanged)."""

from __future__ import annotations

import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import ingest_paths
from qa.errors import StoreUnavailable
from qa.index.embedding import SentenceTransformerEmbedder
from qa.index.lexical import LexicalIndex
from qa.service import QAService, build_service
from qa.settings import Settings
from tests.helpers.corpus import copy_corpus, make_settings
from tests.helpers.servers import ChromaServer

pytestmark = pytest.mark.slow

QUESTIONS = [
    "How many jobs will the lab create?",
    "Where will the Sorell lab be?",
    "Who leads Auralis?",
    "What is the price of a coffee on Mars?",
]


def answers(service: QAService) -> list[tuple[str, bool, list[tuple[str, int, int]]]]:
    result = []
    for question in QUESTIONS:
        answer = service.ask(question)
        result.append((answer.text, answer.abstained, [(c.doc_id, c.start, c.end) for c in answer.citations]))
    return result


class Traffic:
    """Questions asked in a loop from a thread; records (seconds taken, error or None)."""

    def __init__(self, service: QAService) -> None:
        self.service = service
        self.results: list[tuple[float, BaseException | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.service.ask(QUESTIONS[0])
                error: BaseException | None = None
            except BaseException as exc:
                error = exc
            self.results.append((time.monotonic() - started, error))
            time.sleep(0.02)

    def wait_for(self, ok: bool, timeout: float = 30.0) -> None:
        """Until the latest answer succeeded (ok) or failed (not ok)."""
        deadline = time.monotonic() + timeout
        seen = len(self.results)
        while time.monotonic() < deadline:
            fresh = self.results[seen:]
            if fresh and (fresh[-1][1] is None) == ok:
                return
            time.sleep(0.05)
        raise AssertionError(f"traffic never became {'healthy' if ok else 'failing'}: {self.results[-3:]}")


def test_a_stopped_or_hung_chroma_server_is_unavailable_in_time_and_recovers(
    chroma_server: ChromaServer, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = make_settings(tmp_path / "data", chroma_url=chroma_server.url, store_timeout_seconds=2.0)
    service = build_service(settings, embedder)
    ingest_paths([copy_corpus(tmp_path / "corpus")], service.store, service.lexical)
    before = answers(service)
    with Traffic(service) as traffic:
        traffic.wait_for(ok=True)
        # Stopped: every question fails at once with StoreUnavailable, none hangs.
        chroma_server.stop()
        traffic.wait_for(ok=False)
        time.sleep(0.5)
        failures = [(s, e) for s, e in traffic.results if e is not None]
        assert all(isinstance(e, StoreUnavailable) for _, e in failures), failures[-1]
        assert "QA_CHROMA_URL" in str(failures[-1][1])
        assert max(s for s, _ in failures) < 2.0
        # Back on the same port and data: the same service answers again by itself.
        chroma_server.start()
        traffic.wait_for(ok=True)
        # Hung (SIGSTOP): each call gives up after QA_STORE_TIMEOUT_SECONDS instead of hanging.
        chroma_server.signal(signal.SIGSTOP)
        traffic.wait_for(ok=False, timeout=20)
        hung = [(s, e) for s, e in traffic.results[-3:] if e is not None]
        assert all(isinstance(e, StoreUnavailable) for _, e in hung)
        assert max(s for s, _ in hung) < 2.0 * 3 + 2  # at most a few timed-out calls per question
        chroma_server.signal(signal.SIGCONT)
        traffic.wait_for(ok=True)
    assert answers(service) == before


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> tuple[Settings, QAService, list[Any]]:
    root = tmp_path_factory.mktemp("lexical-faults")
    settings = make_settings(root / "data")
    service = build_service(settings, embedder)
    ingest_paths([copy_corpus(root / "corpus")], service.store, service.lexical)
    return settings, service, answers(service)


def fresh_index(service: QAService, settings: Settings) -> QAService:
    """The service with a new, empty LexicalIndex on the same folder: what a new process starts with."""
    service.lexical = LexicalIndex(lexical_folder(settings))
    service.retriever.lexical = service.lexical
    return service


def lexical_folder(settings: Settings) -> Path:
    return settings.data_dir / "lexical" / settings.collection


def corrupt_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_bytes(b"\x00garbage{")


def truncate_index_files(folder: Path) -> None:
    for path in (folder / "bm25").rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes()[:7])


def empty_manifest_ids(folder: Path) -> None:
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    (folder / "manifest.json").write_text(text.replace('"ids": [', '"ids": ["bogus", '), encoding="utf-8")


def replace_folder_with_a_file(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("not an index", encoding="utf-8")


@pytest.mark.parametrize(
    "damage",
    [shutil.rmtree, corrupt_manifest, truncate_index_files, empty_manifest_ids, replace_folder_with_a_file],
    ids=["deleted", "corrupt manifest", "truncated index", "mismatched ids", "a file instead"],
)
def test_a_damaged_lexical_index_is_rebuilt_and_answers_are_unchanged(
    ingested: tuple[Settings, QAService, list[Any]], damage: Any
) -> None:
    settings, service, before = ingested
    folder = lexical_folder(settings)
    damage(folder)
    assert answers(fresh_index(service, settings)) == before
    assert (folder / "manifest.json").is_file()  # rebuilt on disk too
    loaded = LexicalIndex(folder)
    assert loaded._load(service.store.revision())  # and loadable as saved


def test_an_index_that_cannot_be_saved_still_serves_from_memory(
    ingested: tuple[Settings, QAService, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, service, before = ingested
    shutil.rmtree(lexical_folder(settings))

    def disk_full(self: LexicalIndex, retriever: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LexicalIndex, "_save", disk_full)
    assert answers(fresh_index(service, settings)) == before
    assert not lexical_folder(settings).exists()
