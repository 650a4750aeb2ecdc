"""Ingest faults not covered in test_loading.py / test_pipeline.py: a 50 MB file, a duplicate
doc_id through the whole pipeline, and a disk that fills up mid-ingest (a clear error, the
store still opens, the next run completes)."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection
from typer.testing import CliRunner

from api.cli import app as cli
from ingest.pipeline import ingest_paths
from qa.errors import StorageFull
from qa.index.lexical import LexicalIndex
from qa.index.store import ChromaStore
from qa.settings import get_settings
from tests.helpers.corpus import alias_bomb
from tests.helpers.fakes import FakeEmbedder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def small_corpus(folder: Path, count: int = 6) -> Path:
    for i in range(count):
        write(folder / f"doc{i}.md", f"# Article {i}\n\nArticle {i} says the number is {i * 7}.\n")
    return folder


def test_a_50_mb_file_is_refused_without_being_read_and_the_rest_ingests(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path / "corpus", 2)
    with (corpus / "huge.txt").open("wb") as handle:
        line = b"All work and no play makes a very long announcement.\n"
        handle.write(line * (50 * 1024 * 1024 // len(line) + 1))
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    started = time.monotonic()
    report = ingest_paths([corpus], store, LexicalIndex(tmp_path / "lexical"))
    assert time.monotonic() - started < 20
    [failure] = report.failures
    assert failure.path.endswith("huge.txt")
    assert "over the 10,485,760-byte limit" in failure.reason and "split it" in failure.reason
    assert sorted(report.new) == ["doc0", "doc1"]


def test_front_matter_with_yaml_aliases_is_refused_at_once(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path / "corpus", 1)
    write(corpus / "bomb.md", alias_bomb())
    write(corpus / "anchor.md", "---\nsource: &s Acme\ntitle: *s\n---\nBody.\n")
    started = time.monotonic()
    report = ingest_paths(
        [corpus], ChromaStore(FakeEmbedder(), tmp_path / "data"), LexicalIndex(tmp_path / "lex")
    )
    assert time.monotonic() - started < 10
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert set(reasons) == {"bomb.md", "anchor.md"}
    assert all("aliases (*name) are not allowed" in r for r in reasons.values())
    assert report.new == ["doc0"]


def test_a_duplicate_doc_id_is_an_error_naming_both_files_never_an_overwrite(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    first = write(corpus / "a" / "first.md", "---\ndoc_id: launch\n---\nThe first launch text.\n")
    second = write(corpus / "b" / "second.md", "---\ndoc_id: launch\n---\nA different second text.\n")
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    report = ingest_paths([corpus], store, LexicalIndex(tmp_path / "lexical"))
    [failure] = report.failures
    assert failure.path == str(second)
    assert "duplicate doc_id 'launch'" in failure.reason and str(first) in failure.reason
    assert store.get_document("launch").text == "The first launch text."
    # Run again: still the first file's text, still the same complaint.
    again = ingest_paths([corpus], store, LexicalIndex(tmp_path / "lexical"))
    assert again.unchanged == ["launch"] and len(again.failures) == 1
    assert store.get_document("launch").text == "The first launch text."


def disk_fills_up(allowed: int) -> Any:
    """A Collection.upsert that fails with ENOSPC after ``allowed`` successful calls."""
    real = Collection.upsert
    left = [allowed]

    def upsert(collection: Collection, *args: Any, **kwargs: Any) -> None:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        left[0] -= 1
        real(collection, *args, **kwargs)

    return upsert


def test_a_full_disk_mid_ingest_is_a_clear_error_and_the_next_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    lexical = LexicalIndex(tmp_path / "lexical")
    monkeypatch.setattr(
        Collection, "upsert", disk_fills_up(allowed=5)
    )  # 2 documents (chunks + record), then full
    with pytest.raises(StorageFull, match="disk under the store is full") as caught:
        ingest_paths([corpus], store, lexical, batch_chunks=1)
    assert "No space left on device" in str(caught.value) and "run the ingest again" in str(caught.value)
    monkeypatch.undo()

    reopened = ChromaStore(FakeEmbedder(), tmp_path / "data")  # the store still opens
    assert reopened.counts()[0] == 2
    report = ingest_paths([corpus], reopened, LexicalIndex(tmp_path / "lexical"))
    assert sorted(report.new) == [f"doc{i}" for i in range(2, 6)] and len(report.unchanged) == 2
    assert reopened.counts()[0] == 6


def test_the_cli_reports_a_full_disk_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = small_corpus(tmp_path / "corpus", 2)
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("qa.service.build_embedder", lambda settings, threads=0: FakeEmbedder())
    monkeypatch.setattr(Collection, "upsert", disk_fills_up(allowed=0))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["ingest", str(corpus)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "Error: the disk under the store is full" in result.output
    assert "Traceback" not in result.output
