"""The ingest worker (ingest.worker) with a fake embedder in a real child process: the same write
as in process, the preparer built once, errors raised again as they were, a dead worker a clear
error and replaced on the next call, started lazily and stopped by close. And `load_upload`,
which a server runs itself: a bad file is refused without the worker."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ingest.preparation import LoadedUpload, LocalPreparer, load_upload
from ingest.worker import WORKER_NICENESS, IngestWorker
from qa.errors import IngestWorkerError, InvalidRequest
from tests.helpers.corpus import make_settings
from tests.helpers.fakes import FakeEmbedder
from tests.helpers.preparers import CRASH, fake_preparer

TEXT = (
    "---\ndoc_id: harbour\ntitle: Harbour\n---\nPort Velmar opened a harbour.\n\nIt cost 48 million euros.\n"
)


@pytest.fixture(scope="module")
def worker() -> Iterator[IngestWorker]:
    """One worker for the module (each start costs a second or two); it survives every test."""
    started = IngestWorker(fake_preparer)
    yield started
    started.close()


def loaded(folder: Path, name: str, text: str) -> LoadedUpload:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_upload(path, max_bytes=100_000, chunk_size=900, overlap=1)


def test_the_worker_prepares_what_the_server_would_prepare_itself(
    worker: IngestWorker, tmp_path: Path
) -> None:
    upload = loaded(tmp_path, "harbour.md", TEXT)
    write, expected = worker.prepare(upload), LocalPreparer(FakeEmbedder(), None).prepare(upload)
    assert write.article == expected.article and write.article.doc_id == "harbour"
    assert write.chunks == expected.chunks and len(write.chunks) >= 1
    assert write.content_hash == expected.content_hash == upload.content_hash
    np.testing.assert_array_equal(np.asarray(write.embeddings), np.asarray(expected.embeddings))
    assert worker.pid is not None and worker.pid != os.getpid()
    # It runs at a lower CPU priority than the server, which must answer first on a busy machine.
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(
        os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS, 19
    )


def test_the_worker_starts_on_first_use_builds_its_preparer_once_and_stops_on_close(
    tmp_path: Path,
) -> None:
    worker = IngestWorker(fake_preparer)
    assert worker.pid is None  # nothing started by making it
    report = loaded(tmp_path, "report.md", "---\ntitle: REPORT\n---\nSome text.\n")
    first = worker.prepare(report).article.title
    pid = worker.pid
    assert first == f"built 1 in {pid}"
    assert worker.prepare(report).article.title == first  # same process, preparer not rebuilt
    worker.close()
    assert worker.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid or 0, 0)  # gone, not left running
    assert worker.prepare(report).article.title.startswith("built 1 in ")  # a later call starts another
    worker.close()


def test_a_worker_that_dies_is_a_clear_error_and_the_next_call_gets_a_new_one(
    worker: IngestWorker, tmp_path: Path
) -> None:
    worker.prepare(loaded(tmp_path, "first.md", TEXT))
    first = worker.pid
    doomed = loaded(tmp_path, "doomed.md", f"---\ntitle: Doomed\n---\n{CRASH}\n")
    with pytest.raises(IngestWorkerError, match=r"stopped while preparing this upload \(exit code 3\)"):
        worker.prepare(doomed)
    assert worker.pid is None
    write = worker.prepare(loaded(tmp_path, "harbour.md", TEXT))
    assert write.article.doc_id == "harbour" and worker.pid not in (None, first)


def test_an_error_in_the_worker_is_raised_again_even_one_that_cannot_be_pickled(
    worker: IngestWorker, tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError, match=r"Unpicklable: cannot travel \(42\)") as raised:
        worker.prepare(loaded(tmp_path, "odd.md", "UNPICKLABLE\n"))
    assert any("in the ingest worker" in note for note in getattr(raised.value, "__notes__", []))
    assert worker.pid is not None  # the worker lives on


def test_a_bad_file_is_an_invalid_request_naming_the_file_not_the_servers_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest) as raised:
        loaded(tmp_path, "notes.md", "---\ndate: not-a-date\n---\nBody.\n")
    assert str(raised.value).startswith("notes.md: ") and str(tmp_path) not in str(raised.value)
    with pytest.raises(InvalidRequest, match="100,000"):
        loaded(tmp_path, "big.md", "word " * 30_000)


def test_a_worker_from_settings_gets_the_models_settings_but_not_the_keys(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, admin_key="admin-secret", llm_api_key="llm-secret", chunk_size=700)
    factory = IngestWorker.from_settings(settings).factory
    assert isinstance(factory, functools.partial)
    passed = factory.args[0]
    assert passed.admin_key.get_secret_value() == "" and passed.llm_api_key.get_secret_value() == ""
    assert passed.chunk_size == 700 and passed.embedding_backend == settings.embedding_backend
