"""Ingest into a real Chroma: counts, idempotence, changed and removed files, broken files,
an ingest killed half-way, and the same against a `chroma run` server."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.loading import load_articles
from ingest.pipeline import IngestReport, content_hash, ingest_paths
from qa.errors import ModelMismatch, NotFound, StoreUnavailable
from qa.index.chunking import chunk_article
from qa.index.embedding import SentenceTransformerEmbedder
from qa.index.lexical import LexicalIndex
from qa.index.pooling import sentences_of
from qa.index.store import ChromaStore
from qa.service import QAService, build_service
from qa.settings import Settings
from qa.types import Article
from tests.helpers.corpus import CORPUS_DIR, CORPUS_DOCS, SEED, SMALL_CORPUS, copy_corpus, make_settings
from tests.helpers.fakes import FakeEmbedder
from tests.helpers.servers import BIN, ChromaServer

SEED_FILE = SMALL_CORPUS[0]  # the seed article
# Part of corpus/ for the tests of changes (Markdown with and without front matter ids, text,
# HTML; the seed among them): a third of the ingest time of the whole corpus.
SOME_FILES = (
    *SMALL_CORPUS,
    "halvard-mobility-lyon-rd-centre.html",
    "corvane-appoints-cfo.md",
    "tessellate-series-b.md",
)
SOME_DOCS = len(SOME_FILES)


def expected_chunks(corpus: Path, chunk_size: int = 900, overlap: int = 1) -> dict[str, tuple[str, Article]]:
    """chunk_id -> (text, article) for every chunk the corpus should produce."""
    loaded = load_articles([corpus])
    assert not loaded.failures
    return {c.chunk_id: (c.text, a) for a in loaded.articles for c in chunk_article(a, chunk_size, overlap)}


def snapshot(store: ChromaStore) -> dict[str, tuple[str, dict[str, Any]]]:
    return {c.chunk_id: (c.text, c.metadata) for c in store.iter_chunks()}


def assert_consistent(store: ChromaStore, lexical: LexicalIndex, corpus: Path) -> None:
    """The store holds exactly the corpus: one record per document, exactly its chunks, right offsets."""
    expected = expected_chunks(corpus)
    articles = {a.doc_id: a for _, a in expected.values()}
    stored = list(store.iter_chunks())
    ids = [c.chunk_id for c in stored]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(expected)
    assert store.counts() == (len(articles), len(expected))
    for chunk in stored:
        text, article = expected[chunk.chunk_id]
        assert chunk.text == text
        assert article.text[chunk.metadata["start"] : chunk.metadata["end"]] == text
    hashes = store.document_hashes()
    assert hashes == {doc_id: content_hash(a, 900, 1) for doc_id, a in articles.items()}
    for doc in store.list_documents(limit=1000):
        assert store.get_document(doc.doc_id).text == articles[doc.doc_id].text
    lexical.ensure_current(store)
    assert sorted(lexical._ids) == sorted(expected)


# -- the session's corpus ingest (real model) -------------------------------------------------


@pytest.mark.slow
def test_ingesting_the_corpus(corpus_service: QAService, corpus_report: IngestReport) -> None:
    expected = expected_chunks(CORPUS_DIR)
    assert len(corpus_report.new) == CORPUS_DOCS
    assert corpus_report.changed == corpus_report.unchanged == corpus_report.pruned == []
    assert corpus_report.chunks_written == len(expected) == corpus_service.store.counts()[1]
    assert corpus_service.store.counts()[0] == CORPUS_DOCS
    assert_consistent(corpus_service.store, corpus_service.lexical, CORPUS_DIR)


@pytest.mark.slow
def test_reingesting_an_unchanged_corpus_writes_nothing(
    corpus_service: QAService, embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = corpus_service.store
    revision = store.revision()

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged corpus must not be embedded or written")

    monkeypatch.setattr(embedder, "embed", forbidden)
    monkeypatch.setattr(store, "write_document", forbidden)
    monkeypatch.setattr(store, "bump_revision", forbidden)
    report = ingest_paths([CORPUS_DIR], store, corpus_service.lexical)
    assert (report.new, report.changed, report.pruned, report.failures) == ([], [], [], [])
    assert len(report.unchanged) == CORPUS_DOCS
    assert report.chunks_written == 0
    assert not report.wrote_anything
    assert store.revision() == revision


# -- changes, with a fake embedder (the store is real) -----------------------------------------


class Ingested:
    """A copy of SOME_FILES of the corpus ingested into a fresh store with a fake embedder."""

    def __init__(self, tmp_path: Path) -> None:
        self.corpus = copy_corpus(tmp_path / "corpus", SOME_FILES)
        self.embedder = FakeEmbedder()
        self.store = ChromaStore(self.embedder, tmp_path / "data")
        self.lexical = LexicalIndex(tmp_path / "data" / "lexical")
        self.first = self.ingest()

    def ingest(self, *paths: Path, **options: Any) -> IngestReport:
        self.embedder.calls.clear()
        return ingest_paths(list(paths) or [self.corpus], self.store, self.lexical, **options)

    def search(self, query: str) -> set[str]:
        self.lexical.ensure_current(self.store)
        return {cid.split(":")[0] for cid, _ in self.lexical.search(query, 50)}


@pytest.fixture
def ingested(tmp_path: Path) -> Ingested:
    return Ingested(tmp_path)


def test_a_fresh_ingest_with_small_batches(ingested: Ingested) -> None:
    assert len(ingested.first.new) == SOME_DOCS
    assert_consistent(ingested.store, ingested.lexical, ingested.corpus)
    progress: list[tuple[int, int]] = []
    other = ChromaStore(FakeEmbedder(), ingested.corpus.parent / "other")
    report = ingest_paths(
        [ingested.corpus],
        other,
        LexicalIndex(ingested.corpus.parent / "other-lexical"),
        batch_chunks=10,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert report.chunks_written == ingested.first.chunks_written
    assert progress[-1] == (SOME_DOCS, SOME_DOCS)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert snapshot(other) == snapshot(ingested.store)


def test_a_changed_file_replaces_exactly_its_chunks(ingested: Ingested) -> None:
    before = snapshot(ingested.store)
    path = ingested.corpus / SEED_FILE
    text = path.read_text(encoding="utf-8")
    assert "over 200 technical positions" in text
    path.write_text(text.replace("over 200 technical positions", "over 250 quokka keepers"), encoding="utf-8")
    report = ingested.ingest()
    assert report.changed == [SEED] and report.new == [] and len(report.unchanged) == SOME_DOCS - 1
    expected = expected_chunks(ingested.corpus)
    seed_chunks = [c for c in expected if c.startswith(f"{SEED}:")]
    assert report.chunks_written == len(seed_chunks)
    # Only that document was embedded: each of its sentences once (the chunks' vectors are pooled).
    sentences = {p for c in seed_chunks for p in sentences_of(expected[c][0])}
    assert sum(ingested.embedder.calls) == len(sentences)
    after = snapshot(ingested.store)
    others_before = {k: v for k, v in before.items() if not k.startswith(f"{SEED}:")}
    others_after = {k: v for k, v in after.items() if not k.startswith(f"{SEED}:")}
    assert others_after == others_before
    assert any("quokka keepers" in after[c][0] for c in seed_chunks)
    assert ingested.search("quokka") == {SEED}
    assert_consistent(ingested.store, ingested.lexical, ingested.corpus)


def test_a_shortened_file_loses_its_stale_chunks(ingested: Ingested) -> None:
    path = ingested.corpus / SEED_FILE
    head = path.read_text(encoding="utf-8").split("\n")[:12]
    path.write_text("\n".join(head) + "\n", encoding="utf-8")
    report = ingested.ingest()
    assert report.changed == [SEED]
    stored = [c for c in snapshot(ingested.store) if c.startswith(f"{SEED}:")]
    assert len(stored) < 7
    assert_consistent(ingested.store, ingested.lexical, ingested.corpus)


def test_metadata_and_chunking_settings_count_as_changes(ingested: Ingested) -> None:
    path = ingested.corpus / SEED_FILE
    path.write_text(
        path.read_text(encoding="utf-8").replace('source: "Brief IA"', 'source: "Other"'), encoding="utf-8"
    )
    assert ingested.ingest().changed == [SEED]
    assert ingested.store.get_document(SEED).source == "Other"
    # Another chunk size changes every document's stored form.
    assert len(ingested.ingest(chunk_size=500).changed) == SOME_DOCS


def test_moving_a_file_is_not_a_change(ingested: Ingested) -> None:
    (ingested.corpus / "moved").mkdir()
    shutil.move(
        ingested.corpus / SEED_FILE, ingested.corpus / "moved" / SEED_FILE
    )  # doc_id is in front matter
    report = ingested.ingest()
    assert report.changed == [] and report.chunks_written == 0


def test_a_deleted_file_is_pruned_from_the_store_and_the_lexical_index(ingested: Ingested) -> None:
    assert ingested.search("MDDI") == {SEED}
    (ingested.corpus / SEED_FILE).unlink()
    kept = ingested.ingest()
    assert kept.pruned == [] and SEED in ingested.store.document_hashes()  # only with prune
    report = ingested.ingest(prune=True)
    assert report.pruned == [SEED] and report.chunks_written == 0
    with pytest.raises(NotFound):
        ingested.store.get_document(SEED)
    assert not [c for c in snapshot(ingested.store) if c.startswith(f"{SEED}:")]
    assert ingested.search("MDDI") == set()
    assert_consistent(ingested.store, ingested.lexical, ingested.corpus)


def test_a_broken_file_is_reported_and_the_rest_ingests(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", SOME_FILES)
    (corpus / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    report = ingest_paths([corpus], store, LexicalIndex(tmp_path / "lexical"))
    assert sorted(Path(f.path).name for f in report.failures) == ["binary.txt", "broken.md"]
    assert "YAML" in next(f.reason for f in report.failures if f.path.endswith("broken.md"))
    assert len(report.new) == SOME_DOCS
    assert store.counts()[0] == SOME_DOCS


def test_a_file_that_breaks_is_not_pruned(ingested: Ingested) -> None:
    path = ingested.corpus / SEED_FILE
    path.write_text("---\ntitle: [unclosed\n---\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    report = ingested.ingest(prune=True)
    assert [Path(f.path).name for f in report.failures] == [SEED_FILE]
    assert report.pruned == []
    assert SEED in ingested.store.document_hashes()


def test_a_missing_folder_prunes_nothing(ingested: Ingested, tmp_path: Path) -> None:
    report = ingested.ingest(tmp_path / "no-such-corpus", prune=True)
    assert report.failures and report.pruned == []
    assert ingested.store.counts()[0] == SOME_DOCS


def test_a_similar_file_name_that_failed_does_not_protect_another_document(ingested: Ingested) -> None:
    (ingested.corpus / SEED_FILE).unlink()
    (ingested.corpus / f"x{SEED_FILE}").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    assert ingested.ingest(prune=True).pruned == [SEED]


def test_reset_rewrites_everything(ingested: Ingested) -> None:
    before = snapshot(ingested.store)
    report = ingested.ingest(reset=True)
    assert len(report.new) == SOME_DOCS and report.chunks_written == ingested.first.chunks_written
    assert snapshot(ingested.store) == before


def test_another_model_needs_a_reset(ingested: Ingested) -> None:
    other = ChromaStore(FakeEmbedder(name="other-model", dimension=8), ingested.store.data_dir)
    lexical = LexicalIndex(ingested.store.data_dir / "lexical")
    with pytest.raises(ModelMismatch, match="qa ingest --reset"):
        ingest_paths([ingested.corpus], other, lexical)
    report = ingest_paths([ingested.corpus], other, lexical, reset=True)
    assert len(report.new) == SOME_DOCS
    assert other.counts() == (SOME_DOCS, ingested.first.chunks_written)
    # A long-lived store object (a server) notices the reset on its next revision check.
    with pytest.raises(ModelMismatch):
        ingested.store.revision()


def test_content_hash_ignores_the_path_only() -> None:
    article = Article(doc_id="a", title="T", text="Text.", path="a.md")
    digest = content_hash(article, 900, 1)
    assert content_hash(article.model_copy(update={"path": "moved/a.md"}), 900, 1) == digest
    assert content_hash(article.model_copy(update={"title": "U"}), 900, 1) != digest
    assert content_hash(article, 900, 2) != digest
    assert content_hash(article, 800, 1) != digest


# -- a real `qa ingest` killed half-way (real model, subprocesses) ---------------------------


def stored_documents(data_dir: Path) -> int:
    """Documents committed to the embedded store, read without opening it in this process."""
    path = data_dir / "chroma" / "chroma.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2) as db:
            return int(
                db.execute("SELECT count(*) FROM embedding_metadata WHERE key = 'content_hash'").fetchone()[0]
            )
    except sqlite3.Error:
        return -1  # being created or locked: ask again


def qa_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(settings)
    return env


def summary_counts(stdout: str) -> tuple[int, int, int, int]:
    """(new, changed, unchanged, failed) from the last line of `qa ingest`."""
    match = re.search(r"(\d+) new, (\d+) changed, (\d+) unchanged, (\d+) failed", stdout)
    assert match, stdout
    new, changed, unchanged, failed = (int(g) for g in match.groups())
    return new, changed, unchanged, failed


@pytest.mark.slow
def test_an_ingest_killed_half_way_is_completed_by_the_next_run(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (SEED_FILE, "sorell-tokyo-ai-drug-discovery-lab.txt", "halvard-mobility-lyon-rd-centre.html"):
        shutil.copy(CORPUS_DIR / name, corpus / name)
    # Many short documents: quick to embed, and each is a separate write, so kills land mid-way.
    for i in range(60):
        (corpus / f"note-{i:02d}.md").write_text(
            f"---\ntitle: Note {i}\ndate: 2025-03-{i % 28 + 1:02d}\n---\n"
            f"Note {i} announces {i * 7 + 3} new roles in district {i}. Project {i} costs {i + 2} million euros.\n",
            encoding="utf-8",
        )
    total = len(load_articles([corpus]).articles)
    assert total == 63
    data = tmp_path / "data"
    # torch: the backend of the `embedder` fixture that opens the store afterwards.
    # Steps of 32 chunks (`QA_INGEST_BATCH_CHUNKS`): the run writes several, so a kill can fall between them.
    env = qa_env(
        QA_DATA_DIR=str(data),
        QA_EMBEDDING_BATCH_SIZE="8",
        QA_EMBEDDING_BACKEND="torch",
        QA_INGEST_BATCH_CHUNKS="32",
    )
    command = [str(BIN / "qa"), "ingest", str(corpus)]
    kills: list[int] = []
    # Kill while loading (nothing written), as soon as a document is written (mid-group: its
    # chunks may be stored without its record), and after five more in the next run.
    for more, extra_delay in ((None, 1.0), (1, 0.0), (5, 0.0)):
        before = max(stored_documents(data), 0)
        proc = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 180
        while more is not None and stored_documents(data) < before + more:
            assert proc.poll() is None, "the ingest finished before it could be killed"
            assert time.monotonic() < deadline, "the ingest wrote nothing"
            time.sleep(0.02)
        time.sleep(extra_delay)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        kills.append(max(stored_documents(data), 0))
    # What a killed process had committed is read back after the kill; it can lag what the poll saw.
    assert kills[0] == 0 and kills[1] <= kills[2] < total and kills[2] > 0, kills

    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    new, changed, unchanged, failed = summary_counts(done.stdout)
    assert (new + unchanged, changed, failed) == (total, 0, 0)
    assert unchanged >= kills[2]  # what the killed runs finished is not redone

    store = ChromaStore(embedder, data)
    lexical = LexicalIndex(data / "lexical" / "announcements")
    assert_consistent(store, lexical, corpus)
    again = ingest_paths([corpus], store, lexical)
    assert (len(again.unchanged), again.chunks_written) == (total, 0)


# -- a real Chroma server -----------------------------------------------------------------------


@pytest.mark.slow
def test_ingest_and_ask_through_a_chroma_server(
    chroma_server: ChromaServer, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    corpus = copy_corpus(tmp_path / "corpus")
    settings: Settings = make_settings(tmp_path / "data", chroma_url=chroma_server.url)
    service = build_service(settings, embedder)
    report = ingest_paths([corpus], service.store, service.lexical)
    assert len(report.new) == 3 and not report.failures
    assert_consistent(service.store, service.lexical, corpus)
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally
    assert ingest_paths([corpus], service.store, service.lexical).chunks_written == 0

    answer = service.ask("How many jobs will the lab create?")
    assert not answer.abstained
    assert "200" in answer.text
    assert answer.citations and answer.citations[0].doc_id == SEED

    # A second client (another process would do the same) sees the same store.
    other = build_service(settings, embedder)
    assert other.store.counts() == service.store.counts()

    chroma_server.stop()
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        service.ask("How many jobs will the lab create?")
    with pytest.raises(StoreUnavailable):
        build_service(settings, embedder).store.counts()
