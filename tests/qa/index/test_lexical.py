"""BM25: tokens that keep numbers findable, rare words in the real corpus, persistence and rebuilds."""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.index.lexical import LexicalIndex, lexical_tokens
from qa.index.records import StoredChunk
from qa.index.store import ChromaStore, Filters
from qa.retrieval.hybrid import HybridRetriever
from qa.service import QAService
from qa.types import Article
from tests.helpers.fakes import FakeEmbedder, write_article

# -- tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S$300 million", ["s$300", "300", "million"]),
        ("300 million Singapore dollars", ["300", "million", "singapore", "dollars"]),
        ("1,200 positions", ["1200", "positions"]),
        ("1,200,000 and 3.5%", ["1200000", "3.5%"]),
        ("US$42 million, €5 and ¥6 billion", ["us$42", "42", "million", "€5", "5", "¥6", "6", "billion"]),
        ("S$300,000 per company", ["s$300000", "300000", "per", "company"]),
        ("Sorell's lab", ["sorell's", "sorell", "lab"]),
        ("Sorell’s lab", ["sorell's", "sorell", "lab"]),
        ("How many jobs will the lab create?", ["many", "jobs", "lab", "create"]),
        ("The MDDI and ATx", ["mddi", "atx"]),
        ("the of and", []),
    ],
)
def test_lexical_tokens(text: str, expected: list[str]) -> None:
    assert lexical_tokens(text) == expected


def test_decimals_keep_their_point() -> None:
    assert "3.5" in lexical_tokens("grew 3.5 per cent")
    assert "35" not in lexical_tokens("grew 3.5 per cent")


# -- the real corpus (the session's store, read only) --------------------------------------


@pytest.fixture(scope="module")
def corpus_index(corpus_service: QAService, tmp_path_factory: pytest.TempPathFactory) -> LexicalIndex:
    index = LexicalIndex(tmp_path_factory.mktemp("lexical") / "announcements")
    index.ensure_current(corpus_service.store)
    return index


def top_doc(index: LexicalIndex, query: str, filters: Filters | None = None) -> str:
    hits = index.search(query, 5, filters)
    assert hits, query
    return hits[0][0].split(":")[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "doc_id"),
    [
        ("MDDI", "openai-for-singapore"),
        ("ATx summit", "openai-for-singapore"),
        ("S$300 million", "openai-for-singapore"),  # the article says "300 million Singapore dollars"
        ("1,200 positions", "northwind-robotics-manchester-rd-centre"),
        ("1200", "northwind-robotics-manchester-rd-centre"),
        ("Arakawa", "sorell-tokyo-ai-drug-discovery-lab"),
        ("Nihonbashi", "sorell-tokyo-ai-drug-discovery-lab"),
        ("EAAG", "singapore-enterprise-ai-adoption-grant"),
        ("S$300,000", "singapore-enterprise-ai-adoption-grant"),
        ("Cyberjaya", "meridian-cognition-malaysia-partnership"),
    ],
)
def test_bm25_finds_rare_words_names_and_numbers(corpus_index: LexicalIndex, query: str, doc_id: str) -> None:
    assert top_doc(corpus_index, query) == doc_id


@pytest.mark.slow
def test_only_matching_chunks_come_back_best_first(corpus_index: LexicalIndex) -> None:
    hits = corpus_index.search("MDDI", 50)
    assert [cid for cid, _ in hits] == ["openai-for-singapore:0"]
    assert corpus_index.search("zzzyzzx", 5) == []
    assert corpus_index.search("the of and", 5) == []
    scores = [s for _, s in corpus_index.search("Singapore AI lab", 20)]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


@pytest.mark.slow
def test_filters_restrict_bm25(corpus_index: LexicalIndex, corpus_service: QAService) -> None:
    def docs(query: str, filters: Filters) -> set[str]:
        return {cid.split(":")[0] for cid, _ in corpus_index.search(query, 50, filters)}

    assert docs("Singapore", Filters(doc_ids=["auralis-singapore-health-ai"])) == {
        "auralis-singapore-health-ai"
    }
    assert docs("MDDI", Filters(doc_ids=["auralis-singapore-health-ai"])) == set()
    assert docs("lab", Filters(source="Brief IA")) == {"openai-for-singapore"}
    dated_2024 = docs("jobs", Filters(date_from="2024-01-01", date_to="2024-12-31"))
    assert dated_2024 and all(
        corpus_service.store.get_document(d).date.startswith("2024") for d in dated_2024
    )
    # The Sorell article is undated: no date range includes it, even an open-ended one.
    assert "sorell-tokyo-ai-drug-discovery-lab" in docs("Arakawa", Filters())
    assert docs("Arakawa", Filters(date_to="2030-01-01")) == set()
    assert docs("Arakawa", Filters(date_from="2000-01-01")) == set()


@pytest.mark.slow
def test_the_index_is_persisted_and_reloaded_without_the_store_chunks(
    corpus_index: LexicalIndex, corpus_service: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (corpus_index.folder / "manifest.json").is_file()
    assert (corpus_index.folder / "bm25").is_dir()
    before = corpus_index.search("Singapore AI lab jobs", 10)

    def no_rebuild() -> None:
        raise AssertionError("the persisted index should have been loaded, not rebuilt")

    monkeypatch.setattr(corpus_service.store, "iter_chunks", no_rebuild)
    reloaded = LexicalIndex(corpus_index.folder)
    reloaded.ensure_current(corpus_service.store)
    assert reloaded.search("Singapore AI lab jobs", 10) == before


def _corrupt_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")


def _corrupt_vocab(folder: Path) -> None:
    (folder / "bm25" / "vocab.index.json").write_text("garbage", encoding="utf-8")


def _truncate_arrays(folder: Path) -> None:
    for array in (folder / "bm25").glob("*.npy"):
        array.write_bytes(array.read_bytes()[:10])


def _delete_folder(folder: Path) -> None:
    shutil.rmtree(folder)


def _delete_bm25(folder: Path) -> None:
    shutil.rmtree(folder / "bm25")


def _wrong_manifest_keys(folder: Path) -> None:
    (folder / "manifest.json").write_text(json.dumps({"revision": "x"}), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    "damage",
    [
        _delete_folder,
        _delete_bm25,
        _corrupt_manifest,
        _corrupt_vocab,
        _truncate_arrays,
        _wrong_manifest_keys,
    ],
)
def test_damaged_files_are_rebuilt_with_the_same_results(
    corpus_index: LexicalIndex, corpus_service: QAService, tmp_path: Path, damage: object
) -> None:
    folder = tmp_path / "lexical"
    shutil.copytree(corpus_index.folder, folder)
    assert callable(damage)
    damage(folder)
    index = LexicalIndex(folder)
    index.ensure_current(corpus_service.store)
    for query in ("MDDI", "1,200 positions", "How many jobs will the lab create?"):
        assert index.search(query, 10) == corpus_index.search(query, 10)
    # ... and the rebuilt files load again.
    json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    again = LexicalIndex(folder)
    again.ensure_current(corpus_service.store)
    assert again.search("MDDI", 5) == corpus_index.search("MDDI", 5)


@pytest.mark.slow
def test_a_service_answers_the_same_after_its_index_files_are_deleted(
    corpus_service: QAService, tmp_path: Path
) -> None:
    question = "How many jobs will the lab create?"
    before = corpus_service.ask(question)
    folder = corpus_service.lexical.folder
    backup = tmp_path / "backup"
    shutil.copytree(folder, backup)
    try:
        shutil.rmtree(folder)
        lexical = LexicalIndex(folder)
        retriever = HybridRetriever(corpus_service.store, corpus_service.retriever.embedder, lexical)
        fresh = dataclasses.replace(corpus_service, lexical=lexical, retriever=retriever)
        after = fresh.ask(question)
        assert folder.is_dir()
        assert (after.text, after.citations) == (before.text, before.citations)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(backup, folder)


# -- revisions and tokenizer versions (a small store with a fake embedder) ------------------------


def put(store: ChromaStore, doc_id: str, text: str) -> None:
    write_article(store, Article(doc_id=doc_id, title=doc_id, text=text))


def test_an_index_saved_with_other_terms_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Saved by an older tokenizer ("Lucía" was "luc" + "a"): the same store revision, other terms.
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    put(store, "cfo", "Lucía Ferrer was appointed Chief Financial Officer.")
    store.bump_revision()
    folder = tmp_path / "lexical"
    LexicalIndex(folder).ensure_current(store)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["tokens"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reads = []
    original = store.iter_chunks
    monkeypatch.setattr(store, "iter_chunks", lambda: reads.append(1) or original())
    index = LexicalIndex(folder)
    index.ensure_current(store)
    assert reads, "an index from another tokenizer must be rebuilt from the store"
    assert [cid for cid, _ in index.search("Lucía", 5)] == ["cfo:0"]
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["tokens"] != 1


def test_the_index_follows_the_store_revision(tmp_path: Path) -> None:
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    index = LexicalIndex(tmp_path / "lexical")
    index.ensure_current(store)  # empty store: an empty index, no error
    assert index.search("anything", 5) == []
    put(store, "a", "Quokkas live on Rottnest Island.")
    store.bump_revision()
    index.ensure_current(store)
    assert [cid for cid, _ in index.search("quokkas", 5)] == ["a:0"]
    # Another process (another index object) writes and bumps the revision.
    put(store, "b", "Wombats dig burrows.")
    revision = store.bump_revision()
    assert [cid for cid, _ in index.search("wombats", 5)] == []  # stale until checked
    index.ensure_current(store)
    assert index.revision == revision
    assert [cid for cid, _ in index.search("wombats", 5)] == ["b:0"]
    # A reloaded index at an old revision is rebuilt, too.
    old = LexicalIndex(tmp_path / "lexical")
    put(store, "c", "Numbats eat termites.")
    store.bump_revision()
    old.ensure_current(store)
    assert [cid for cid, _ in old.search("numbats", 5)] == ["c:0"]


def test_the_k_best_come_back_best_first_and_the_same_every_time(tmp_path: Path) -> None:
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    for name in "abcdef":
        put(store, name, "Quokkas live on Rottnest Island.")  # scores equal or nearly so
    put(store, "g", "Quokkas, quokkas and more quokkas live on Rottnest Island.")
    put(store, "h", "Wombats dig burrows.")
    store.bump_revision()
    index = LexicalIndex(tmp_path / "lexical")
    index.ensure_current(store)
    found = index.search("quokkas", 4)
    assert found[0][0] == "g:0" and len(found) == 4
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    every = index.search("quokkas", 10)
    assert sorted(cid for cid, _ in every) == [f"{n}:0" for n in "abcdefg"]  # never the wombats
    assert every[:4] == found and index.search("quokkas", 10) == every  # ties broken one way


def test_rebuild_ignores_what_is_on_disk(tmp_path: Path) -> None:
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    put(store, "a", "Quokkas live on Rottnest Island.")
    index = LexicalIndex(tmp_path / "lexical")
    index.ensure_current(store)
    put(store, "b", "Wombats dig burrows.")  # written without a revision bump
    index.rebuild(store)
    assert [cid for cid, _ in index.search("wombats", 5)] == ["b:0"]
    assert not list(tmp_path.glob("lexical.tmp*"))


@dataclasses.dataclass
class WordStore:
    """Stands in for a store whose 200 chunks all say ``word``, at revision ``word``."""

    word: str

    def revision(self) -> str:
        return self.word

    def iter_chunks(self) -> Iterator[StoredChunk]:
        for i in range(200):
            text = f"{self.word} paragraph {i}. " * 10
            yield StoredChunk(chunk_id=f"{self.word}:{i}", doc_id=self.word, text=text, metadata={})


def test_processes_sharing_a_data_dir_save_whole_indexes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Uvicorn workers (or an ingest beside a server) share one folder and may save at once.
    folder = tmp_path / "lexical"

    def rebuild_often(word: str) -> None:
        for _ in range(15):
            LexicalIndex(folder).rebuild(WordStore(word))  # type: ignore[arg-type]

    workers = [threading.Thread(target=rebuild_often, args=(w,)) for w in ("quokka", "wombat")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert "could not save" not in caplog.text
    # No staging folders left; the lock file the swaps take stays.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lexical", "lexical.lock"]
    saved = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["revision"]
    other = "wombat" if saved == "quokka" else "quokka"
    index = LexicalIndex(folder)
    assert index._load(saved)  # one process's whole index, not a mix
    assert index.search(saved, 3) and not index.search(other, 3)


def test_removing_a_document_hides_it_at_once_in_every_process(tmp_path: Path) -> None:
    from ingest.pipeline import remove_document

    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    index = LexicalIndex(tmp_path / "lexical")
    put(store, "a", "Quokkas live on Rottnest Island.")
    put(store, "b", "Quokkas and wombats share a burrow.")
    store.bump_revision()
    index.ensure_current(store)
    other = LexicalIndex(tmp_path / "lexical")  # another process, loaded before the delete
    other.ensure_current(store)
    remove_document("a", store, index)
    assert index.revision == store.revision()
    assert [cid for cid, _ in index.search("quokkas", 5)] == ["b:0"]
    other.ensure_current(store)  # reads the new manifest: no rebuild needed, same answer
    assert [cid for cid, _ in other.search("quokkas", 5)] == ["b:0"]
    assert [cid for cid, _ in other.search("rottnest", 5)] == []
    # An index that missed the revision before the delete is rebuilt instead.
    late = LexicalIndex(tmp_path / "late")
    remove_document("b", store, late)
    assert late.search("quokkas", 5) == [] and late.revision == store.revision()
