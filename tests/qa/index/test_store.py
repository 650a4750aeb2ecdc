"""The Chroma store on tmp_path: documents and chunks, hashes, model checks, filters, errors."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from qa.errors import InvalidRequest, ModelMismatch, NotFound, StoreUnavailable
from qa.filters import date_ordinal, where_clause
from qa.index import store as store_module
from qa.index.chunking import chunk_article
from qa.index.records import DocumentWrite
from qa.index.store import ChromaStore, Filters
from qa.types import Article
from tests.helpers.fakes import FakeEmbedder, write_article
from tests.helpers.servers import ChromaServer

LAB = Article(
    doc_id="news/lab",
    title="Acme opens a lab",
    text="Acme opens a lab in Singapore. The lab will create 200 jobs. It is led by Jane Tan.",
    source="Acme Newsroom",
    date="2025-05-21",
    url="https://example.com/lab",
    path="news/lab.md",
)
BUS = Article(
    doc_id="bus",
    title="New bus route",
    text="The council approved a bus route.",
    source="City",
    date="2023-01-10",
)
UNDATED = Article(doc_id="undated", title="No date", text="This one has no date at all.", source="City")


def write(store: ChromaStore, article: Article, content_hash: str = "") -> None:
    write_article(store, article, max_chars=40, overlap=0, content_hash=content_hash)


@pytest.fixture
def store(tmp_path: Path) -> ChromaStore:
    return ChromaStore(FakeEmbedder(), tmp_path / "data")


@pytest.fixture
def filled(store: ChromaStore) -> ChromaStore:
    for article in (LAB, BUS, UNDATED):
        write(store, article)
    return store


def test_nothing_happens_before_first_use(tmp_path: Path) -> None:
    ChromaStore(FakeEmbedder(), tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_a_new_store_is_empty(store: ChromaStore) -> None:
    assert store.counts() == (0, 0)
    assert store.document_hashes() == {}
    assert store.list_documents() == []
    assert store.revision() == ""
    assert store.nearest(store.embedder.embed(["q"])[0], 5) == []


def test_write_then_read_a_document(store: ChromaStore) -> None:
    write(store, LAB)
    chunks = chunk_article(LAB, 40, 0)
    assert len(chunks) == 3
    assert store.counts() == (1, 3)
    doc = store.get_document("news/lab")
    assert doc.model_dump(exclude={"extra"}) == LAB.model_dump(exclude={"extra"})
    stored = sorted(store.iter_chunks(), key=lambda c: c.metadata["index"])
    assert [c.chunk_id for c in stored] == ["news/lab:0", "news/lab:1", "news/lab:2"]
    for chunk in stored:
        start, end = chunk.metadata["start"], chunk.metadata["end"]
        assert LAB.text[start:end] == chunk.text
        assert chunk.metadata["date_ts"] == date_ordinal("2025-05-21")


def test_get_chunks_keeps_the_order_asked_and_skips_missing_ids(filled: ChromaStore) -> None:
    got = filled.get_chunks(["news/lab:2", "nope:0", "bus:0", "news/lab:0"])
    assert [p.chunk_id for p in got] == ["news/lab:2", "bus:0", "news/lab:0"]
    assert got[0].title == LAB.title and got[0].url == LAB.url and got[0].date == LAB.date
    assert LAB.text[got[0].start : got[0].end] == got[0].text
    assert filled.get_chunks([]) == []


def test_nearest_finds_the_chunk_with_the_same_vector(filled: ChromaStore) -> None:
    vector = filled.embedder.embed([chunk_article(LAB, 40, 0)[1].text])[0]
    hits = filled.nearest(vector, 3)
    assert hits[0][0] == "news/lab:1" and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert len(hits) == 3 and [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    # More than there are: all of them, no error.
    assert len(filled.nearest(vector, 50)) == filled.counts()[1]
    assert {cid.split(":")[0] for cid, _ in filled.nearest(vector, 20, Filters(source="City"))} == {
        "bus",
        "undated",
    }
    assert ChromaStore(filled.embedder, filled.data_dir / "empty").nearest(vector, 3) == []


def test_rewriting_a_document_replaces_exactly_its_chunks(filled: ChromaStore) -> None:
    shorter = LAB.model_copy(update={"text": "Acme opens a lab in Singapore."})
    write(filled, shorter, content_hash="new-hash")
    assert [c.chunk_id for c in filled.iter_chunks() if c.doc_id == "news/lab"] == ["news/lab:0"]
    assert filled.get_document("news/lab").text == shorter.text
    assert filled.document_hashes()["news/lab"] == "new-hash"
    assert filled.counts() == (3, 1 + 1 + 1)


def test_document_hashes(filled: ChromaStore) -> None:
    assert filled.document_hashes() == {
        "news/lab": "hash-news/lab",
        "bus": "hash-bus",
        "undated": "hash-undated",
    }


def test_pages_cover_everything(filled: ChromaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_PAGE", 2)
    assert len(filled.document_hashes()) == 3
    assert len(list(filled.iter_chunks())) == filled.counts()[1]
    assert [d.doc_id for d in filled.list_documents()] == ["bus", "news/lab", "undated"]


def test_list_documents_is_sorted_paged_and_without_text(filled: ChromaStore) -> None:
    docs = filled.list_documents()
    assert [d.doc_id for d in docs] == ["bus", "news/lab", "undated"]
    assert all(d.text == "" for d in docs)
    assert [d.doc_id for d in filled.list_documents(limit=1, offset=1)] == ["news/lab"]
    assert filled.list_documents(limit=5, offset=10) == []


def test_list_documents_pages_by_cursor(filled: ChromaStore) -> None:
    first = filled.list_documents(limit=2)
    assert [d.doc_id for d in first] == ["bus", "news/lab"]
    assert [d.doc_id for d in filled.list_documents(limit=2, after=first[-1].doc_id)] == ["undated"]
    assert filled.list_documents(limit=2, after="undated") == []
    assert [d.doc_id for d in filled.list_documents(limit=5, after="c")] == ["news/lab", "undated"]


def test_delete_a_document(filled: ChromaStore) -> None:
    filled.delete_document("news/lab")
    assert "news/lab" not in filled.document_hashes()
    assert all(c.doc_id != "news/lab" for c in filled.iter_chunks())
    assert filled.counts() == (2, 2)
    with pytest.raises(NotFound):
        filled.delete_document("news/lab")


def test_get_an_unknown_document_is_not_found(filled: ChromaStore) -> None:
    with pytest.raises(NotFound, match="no document with doc_id 'missing'"):
        filled.get_document("missing")


def test_the_store_persists_across_instances(filled: ChromaStore, tmp_path: Path) -> None:
    again = ChromaStore(FakeEmbedder(), tmp_path / "data")
    assert again.counts() == filled.counts()
    assert again.get_document("bus").text == BUS.text


@pytest.mark.parametrize("other", [FakeEmbedder(name="another-model"), FakeEmbedder(dimension=32)])
def test_another_embedding_model_is_a_model_mismatch(
    filled: ChromaStore, tmp_path: Path, other: FakeEmbedder
) -> None:
    with pytest.raises(ModelMismatch) as info:
        ChromaStore(other, tmp_path / "data").counts()
    message = str(info.value)
    assert "fake-embedder (16 dimensions)" in message
    assert f"{other.name} ({other.dimension})" in message
    assert "qa ingest --reset" in message


def test_reset_is_the_way_out_of_a_model_mismatch(filled: ChromaStore, tmp_path: Path) -> None:
    other = ChromaStore(FakeEmbedder(name="another-model", dimension=8), tmp_path / "data")
    other.reset()
    assert other.counts() == (0, 0)
    write(other, BUS)
    assert other.counts() == (1, 1)
    with pytest.raises(ModelMismatch):
        ChromaStore(FakeEmbedder(), tmp_path / "data").counts()


def test_revision_changes_on_bump_and_persists(filled: ChromaStore, tmp_path: Path) -> None:
    first = filled.bump_revision()
    assert first and filled.revision() == first
    second = filled.bump_revision()
    assert second != first
    again = ChromaStore(FakeEmbedder(), tmp_path / "data")
    assert again.revision() == second
    again.counts()  # bumping kept the model's name and dimension: no mismatch


def test_an_unreachable_server_is_store_unavailable(tmp_path: Path) -> None:
    store = ChromaStore(FakeEmbedder(), tmp_path, url="http://127.0.0.1:1")
    with pytest.raises(StoreUnavailable) as info:
        store.counts()
    assert "\n" not in str(info.value)


# -- filters ---------------------------------------------------------------------------------


def test_where_clause_without_filters() -> None:
    assert where_clause(None) is None
    assert where_clause(Filters()) is None
    assert where_clause(Filters(doc_ids=[], source="")) is None


def test_where_clause_terms() -> None:
    assert where_clause(Filters(source="City")) == {"source": "City"}
    assert where_clause(Filters(doc_ids=["a", "b"])) == {"doc_id": {"$in": ["a", "b"]}}
    day = date_ordinal("2025-01-01")
    assert where_clause(Filters(source="City", date_from="2025-01-01")) == {
        "$and": [
            {"source": "City"},
            {"date_ts": {"$gte": day}},
            {"date_ts": {"$lte": date_ordinal("9999-12-31")}},
        ]
    }
    # An open start still leaves undated documents (day 0) out.
    assert where_clause(Filters(date_to="2025-01-01")) == {
        "$and": [{"date_ts": {"$gte": 1}}, {"date_ts": {"$lte": day}}]
    }


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-01", "2025-02-30", "21/05/2025"])
def test_bad_dates_are_invalid_requests(bad: str) -> None:
    with pytest.raises(InvalidRequest, match="ISO 8601"):
        where_clause(Filters(date_from=bad))


def test_date_ordinal() -> None:
    assert date_ordinal("") == 0
    assert date_ordinal("2025-05-21T10:00:00Z") == date_ordinal("2025-05-21")


def doc_ids_found(store: ChromaStore, filters: Filters) -> set[str]:
    hits = store.nearest(store.embedder.embed(["lab"])[0], 20, filters)
    return {p.doc_id for p in store.get_chunks([cid for cid, _ in hits])}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), {"news/lab", "bus", "undated"}),
        (Filters(source="City"), {"bus", "undated"}),
        (Filters(source="Nobody"), set()),
        (Filters(doc_ids=["news/lab", "undated"]), {"news/lab", "undated"}),
        (Filters(date_from="2024-01-01"), {"news/lab"}),
        (Filters(date_to="2024-01-01"), {"bus"}),
        (Filters(date_from="2023-01-10", date_to="2023-01-10"), {"bus"}),
        (Filters(date_from="2025-01-01", date_to="2024-01-01"), set()),
        (Filters(source="City", date_to="2030-01-01"), {"bus"}),
        (Filters(source="City", doc_ids=["news/lab"]), set()),
    ],
)
def test_search_applies_filters(filled: ChromaStore, filters: Filters, expected: set[str]) -> None:
    assert doc_ids_found(filled, filters) == expected


def test_threads_that_find_the_store_closed_open_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_article(ChromaStore(FakeEmbedder(), tmp_path / "data"), UNDATED)
    reopened = ChromaStore(FakeEmbedder(), tmp_path / "data")  # a new process: closed until first use
    clients: list[Any] = []
    real_connect = store_module.connect

    def slow_connect(*args: Any) -> Any:
        time.sleep(0.1)  # creating a client takes a while: the window the threads raced in
        clients.append(real_connect(*args))
        return clients[-1]

    monkeypatch.setattr(store_module, "connect", slow_connect)
    start = threading.Barrier(8)

    def first_use(_: int) -> tuple[str, tuple[int, int]]:
        start.wait()  # all at once, as the first questions after a server starts
        return reopened.revision(), reopened.counts()

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(first_use, range(8)))
    assert len(clients) == 1  # one client, created once
    assert [counts for _, counts in found] == [(1, 1)] * 8 and len({rev for rev, _ in found}) == 1


def chunk_sync_threshold(data_dir: Path) -> Any:
    """The sync_threshold of the store's chunk collection as Chroma itself reports it."""
    import chromadb

    client = chromadb.PersistentClient(path=str(data_dir / "chroma"))
    return client.get_collection("announcements-chunks").configuration["hnsw"].get("sync_threshold")


def test_the_chunk_collection_applies_its_log_every_sync_threshold_writes(
    store: ChromaStore, tmp_path: Path
) -> None:
    store.open()
    assert chunk_sync_threshold(tmp_path / "data") == store_module.SYNC_THRESHOLD < 1000


def make_default_collection(client: Any, embedder: FakeEmbedder) -> Any:
    """The chunk collection as stores made before `SYNC_THRESHOLD` have it (Chroma's defaults)."""
    return client.create_collection(
        "announcements-chunks",
        metadata={"embedding_model": embedder.name, "dimension": embedder.dimension, "revision": ""},
        configuration={"hnsw": {"space": "cosine"}},
        embedding_function=None,
    )


def test_a_collection_made_with_chromas_default_gets_the_sync_threshold_when_opened(tmp_path: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(tmp_path / "data" / "chroma"))
    make_default_collection(client, FakeEmbedder())
    assert chunk_sync_threshold(tmp_path / "data") == 1000
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    write(store, BUS)
    assert chunk_sync_threshold(tmp_path / "data") == store_module.SYNC_THRESHOLD
    assert store.get_chunks([f"{BUS.doc_id}:0"])[0].text.startswith("The council")


def test_a_store_whose_sync_threshold_cannot_be_set_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import chromadb
    from chromadb.api.models.Collection import Collection

    make_default_collection(chromadb.PersistentClient(path=str(tmp_path / "data" / "chroma")), FakeEmbedder())

    def refuse(self: Collection, **kwargs: Any) -> None:
        raise ValueError("this server cannot modify a configuration")

    monkeypatch.setattr(Collection, "modify", refuse)
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    assert store.counts() == (0, 0)
    assert "could not set sync_threshold" in caplog.text
    assert chunk_sync_threshold(tmp_path / "data") == 1000


@pytest.mark.slow
def test_a_collection_on_a_chroma_server_gets_the_sync_threshold_when_opened(
    tmp_path: Path, chroma_server: ChromaServer
) -> None:
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
    old = make_default_collection(client, FakeEmbedder())
    store = ChromaStore(FakeEmbedder(), tmp_path / "data", url=chroma_server.url)
    write(store, BUS)
    fresh = client.get_collection(old.name)
    assert fresh.configuration["hnsw"]["sync_threshold"] == store_module.SYNC_THRESHOLD
    assert store.counts() == (1, 1)


def test_writes_in_slices_write_everything_in_calls_of_that_size(
    store: ChromaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = Article(doc_id="long", title="Long", text=" ".join(f"Sentence number {i}." for i in range(60)))
    chunks = chunk_article(article, 40, 0)
    assert len(chunks) > 7
    chunk_col, _ = store._collections()
    sizes: list[int] = []
    upsert = chunk_col.upsert

    def counted(**kwargs: Any) -> None:
        sizes.append(len(kwargs["ids"]))
        upsert(**kwargs)

    monkeypatch.setattr(chunk_col, "upsert", counted)
    monkeypatch.setattr(store_module.time, "sleep", lambda seconds: sizes.append(-1))
    vectors = store.embedder.embed([c.text for c in chunks])
    store.write_documents([DocumentWrite(article, chunks, vectors, "h")], chunks_per_call=3, pause=0.01)
    slices = [len(chunks[at : at + 3]) for at in range(0, len(chunks), 3)]
    between = [s for size in slices for s in (-1, size)][1:]  # a pause between slices, not after
    assert sizes == between
    ids = [c.chunk_id for c in chunks]
    assert [p.chunk_id for p in store.get_chunks(ids)] == ids
