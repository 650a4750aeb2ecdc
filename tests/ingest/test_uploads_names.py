"""Uploads (issue 14): one file per doc_id whatever the ids look like, and one writer at a time
across the processes that share a data dir."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import given
from hypothesis import strategies as st

from ingest.preparation import LocalPreparer
from ingest.uploads import UploadFolder, safe_stem, stored_file_name, write_lock
from qa.errors import StoreUnavailable
from qa.index.lexical import LexicalIndex
from qa.service import QAService, build_service
from tests.helpers.corpus import make_settings
from tests.helpers.fakes import FakeEmbedder

ids = st.text(min_size=1, max_size=40) | st.from_regex(r"[a-z/-]{1,12}(-[0-9a-f]{10})?", fullmatch=True)


def test_an_unsafe_id_and_the_safe_id_that_looked_like_its_file_get_two_files() -> None:
    assert stored_file_name("press/release", ".md") != stored_file_name("press-release-402065519f", ".md")


@given(ids, ids)
def test_two_doc_ids_never_share_a_file(first: str, second: str) -> None:
    if first != second:
        assert stored_file_name(first, ".md") != stored_file_name(second, ".md")


@given(ids)
def test_a_stored_name_is_safe_and_a_safe_id_is_kept(doc_id: str) -> None:
    name = stored_file_name(doc_id, ".md")
    assert "/" not in name and not name.startswith(".") and len(name) <= 130
    if safe_stem(doc_id) == doc_id:
        assert name == doc_id + ".md"


# -- writes across processes ------------------------------------------------------------------------
def uploads_of(service: QAService, folder: Path) -> UploadFolder:
    """Uploads into the service's store, prepared in this process with its (fake) embedder."""
    preparer = LocalPreparer(service.store.embedder, None)
    return UploadFolder(folder, service.store, service.lexical, preparer, max_bytes=100_000)


def test_an_upload_waits_for_the_data_dirs_write_lock(tmp_path: Path) -> None:
    service = build_service(make_settings(tmp_path / "data", analyse_at_ingest=False), FakeEmbedder())
    folder = uploads_of(service, tmp_path / "data" / "uploads")
    other_process = FileLock(str(tmp_path / "data" / "writes.lock"))  # what another worker holds
    other_process.acquire()
    done = threading.Event()

    def upload() -> None:
        folder.add_document(title="Held", text="An upload that must wait.")
        done.set()

    thread = threading.Thread(target=upload)
    thread.start()
    assert not done.wait(1.0)  # still waiting for the other writer
    other_process.release()
    thread.join(timeout=60)
    assert done.is_set()
    assert [d.doc_id for d in service.store.list_documents(10, 0)] == ["held"]


def test_a_writer_that_keeps_the_lock_is_a_clear_error(tmp_path: Path) -> None:
    held = FileLock(str(tmp_path / "writes.lock"))
    with held, pytest.raises(StoreUnavailable, match="another process"), write_lock(tmp_path, seconds=0.1):
        pass


def test_the_lexical_index_is_read_under_the_lock_its_swap_takes(tmp_path: Path) -> None:
    service = build_service(make_settings(tmp_path / "data", analyse_at_ingest=False), FakeEmbedder())
    folder = uploads_of(service, tmp_path / "data" / "uploads")
    folder.add_document(title="Indexed", text="A document for the index.")
    reader = LexicalIndex(service.lexical.folder)  # another process's view of the same files
    swap = FileLock(str(service.lexical.folder.with_name(service.lexical.folder.name + ".lock")))
    swap.acquire()
    loaded = threading.Event()
    thread = threading.Thread(target=lambda: (reader.ensure_current(service.store), loaded.set()))
    thread.start()
    assert not loaded.wait(1.0)  # a swap is in progress: the reader waits rather than read half of it
    swap.release()
    thread.join(timeout=60)
    assert loaded.is_set() and reader.search("index", 3) != []
