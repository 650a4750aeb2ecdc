"""Hybrid retrieval: dense and BM25 lists fused by reciprocal rank; gold documents found; filters."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from qa.index.lexical import LexicalIndex
from qa.index.store import ChromaStore, Filters
from qa.retrieval.hybrid import HybridRetriever
from qa.service import QAService
from qa.types import Article, Passage
from tests.helpers.fakes import FakeEmbedder, passage, write_article

# -- fusion, with fakes for the two rankings ---------------------------------------------------


def chunk(chunk_id: str) -> Passage:
    doc_id, index = chunk_id.split(":")
    return passage(chunk_id, doc_id, index=int(index))


class FakeDenseStore:
    """search() returns a fixed ranking; get_chunks() serves any known chunk."""

    def __init__(self, ranking: Sequence[str], known: Sequence[str]) -> None:
        self.ranking = list(ranking)
        self.known = set(known) | set(ranking)
        self.searches: list[tuple[int, Filters | None]] = []
        self.reads: list[list[str]] = []

    def nearest(
        self, embedding: Sequence[float], k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        self.searches.append((k, filters))
        return [(cid, 1.0 - rank / 10) for rank, cid in enumerate(self.ranking[:k], 1)]

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Passage]:
        self.reads.append(list(chunk_ids))
        return [chunk(c) for c in chunk_ids if c in self.known]


class FakeLexical:
    def __init__(self, ranking: Sequence[str]) -> None:
        self.ranking = list(ranking)
        self.checked = 0
        self.searches: list[tuple[str, int, Filters | None]] = []

    def ensure_current(self, store: object) -> None:
        self.checked += 1

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        self.searches.append((query, k, filters))
        return [(cid, 10.0 - i) for i, cid in enumerate(self.ranking[:k])]


def fused(
    dense: Sequence[str], lexical: Sequence[str], k: int = 10, rrf_k: int = 60, **kw: object
) -> list[Passage]:
    store, index = FakeDenseStore(dense, lexical), FakeLexical(lexical)
    retriever = HybridRetriever(store, FakeEmbedder(), index, rrf_k=rrf_k)  # type: ignore[arg-type]
    return retriever.retrieve("question", k, **kw).passages  # type: ignore[arg-type]


def test_rrf_scores_and_order() -> None:
    got = fused(dense=["a:0", "b:0", "c:0"], lexical=["c:0", "d:0", "a:0"], rrf_k=60)
    by_id = {p.chunk_id: p for p in got}
    assert by_id["a:0"].score == pytest.approx(1 / 61 + 1 / 63)
    assert by_id["c:0"].score == pytest.approx(1 / 63 + 1 / 61)
    assert by_id["b:0"].score == pytest.approx(1 / 62)
    assert by_id["d:0"].score == pytest.approx(1 / 62)
    # In both lists beats in one; ties are broken by chunk id, so the order is stable.
    assert [p.chunk_id for p in got] == ["a:0", "c:0", "b:0", "d:0"]


def test_both_lists_are_merged_with_their_ranks() -> None:
    got = {p.chunk_id: p for p in fused(dense=["a:0", "b:0"], lexical=["c:0", "a:0"])}
    assert set(got) == {"a:0", "b:0", "c:0"}
    assert (got["a:0"].dense_rank, got["a:0"].lexical_rank) == (1, 2)
    assert (got["b:0"].dense_rank, got["b:0"].lexical_rank) == (2, None)
    # A lexical-only passage is fetched from the store; it has no dense similarity.
    assert (got["c:0"].dense_rank, got["c:0"].lexical_rank, got["c:0"].dense_similarity) == (None, 1, None)


def test_lexical_hits_missing_from_the_store_are_dropped() -> None:
    store, index = FakeDenseStore(["a:0"], []), FakeLexical(["gone:0", "a:0"])
    retriever = HybridRetriever(store, FakeEmbedder(), index)  # type: ignore[arg-type]
    assert [p.chunk_id for p in retriever.retrieve("q", 5).passages] == ["a:0"]


def test_k_cuts_the_fused_list_and_depth_is_at_least_k() -> None:
    dense = [f"d{i}:0" for i in range(40)]
    lexical = [f"l{i}:0" for i in range(40)]
    store, index = FakeDenseStore(dense, lexical), FakeLexical(lexical)
    retriever = HybridRetriever(store, FakeEmbedder(), index, depth=30)  # type: ignore[arg-type]
    assert len(retriever.retrieve("q", 3).passages) == 3
    assert store.searches[-1][0] == 30 and index.searches[-1][1] == 30
    assert len(retriever.retrieve("q", 50).passages) == 50
    assert store.searches[-1][0] == 50 and index.searches[-1][1] == 50
    assert index.checked == 2  # the lexical index is brought up to date before every search


def test_only_the_chunks_that_can_be_returned_are_read() -> None:
    dense = [f"d{i}:0" for i in range(40)]
    lexical = [f"l{i}:0" for i in range(40)]
    store, index = FakeDenseStore(dense, lexical), FakeLexical(lexical)
    retriever = HybridRetriever(store, FakeEmbedder(), index, depth=30, rerank_depth=20)  # type: ignore[arg-type]
    assert len(retriever.retrieve("q", 3).passages) == 3
    assert sum(len(ids) for ids in store.reads) < 30  # the re-ranked pool of 20 and a few spare, not 60


def test_deleted_chunks_do_not_shrink_the_pool() -> None:
    lexical = [f"gone{i}:0" for i in range(10)] + ["a:0", "b:0"]
    store, index = FakeDenseStore([], ["a:0", "b:0"]), FakeLexical(lexical)
    retriever = HybridRetriever(store, FakeEmbedder(), index, rerank_depth=0)  # type: ignore[arg-type]
    assert [p.chunk_id for p in retriever.retrieve("q", 2).passages] == ["a:0", "b:0"]


def test_filters_reach_both_rankings() -> None:
    store, index = FakeDenseStore(["a:0"], []), FakeLexical([])
    retriever = HybridRetriever(store, FakeEmbedder(), index)  # type: ignore[arg-type]
    filters = Filters(source="x")
    result = retriever.retrieve("the question", 4, filters)
    assert store.searches == [(30, filters)]
    assert index.searches == [("the question", 30, filters)]
    assert len(result.query_embedding) == FakeEmbedder().dimension


# -- the real corpus --------------------------------------------------------------------------

GOLD = [
    ("How much funding does OpenAI for Singapore have?", "openai-for-singapore"),
    ("What does MDDI stand for?", "openai-for-singapore"),
    (
        "How many research roles will Meridian Cognition's centre in Cyberjaya create?",
        "meridian-cognition-malaysia-partnership",
    ),
    ("How many jobs will the Kenya Applied AI Hub create?", "kestrel-labs-kenya-ai-partnership"),
    ("Who leads Northwind Robotics as chief executive?", "northwind-robotics-manchester-rd-centre"),
    ("In which Tokyo district is Sorell's AI lab?", "sorell-tokyo-ai-drug-discovery-lab"),
    (
        "Which version of Quill Note Web fixes the stored XSS vulnerability?",
        "quillsoft-security-advisory-qsa-2025-014",
    ),
    ("When will Halvard's Lyon Software Centre open?", "halvard-mobility-lyon-rd-centre"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("question", "doc_id"), GOLD)
def test_the_gold_document_comes_first(corpus_service: QAService, question: str, doc_id: str) -> None:
    passages = corpus_service.retriever.retrieve(question, 6).passages
    assert passages[0].doc_id == doc_id
    assert len(passages) == 6
    for p in passages:
        doc_text = corpus_service.store.get_document(p.doc_id).text
        assert doc_text[p.start : p.end] == p.text


@pytest.mark.slow
def test_the_seed_question_finds_the_seed_article(corpus_service: QAService) -> None:
    passages = corpus_service.retriever.retrieve("How many jobs will the lab create?", 6).passages
    assert "openai-for-singapore" in {p.doc_id for p in passages[:3]}
    assert any("over 200 technical positions" in p.text for p in passages)


@pytest.mark.slow
def test_real_rankings_are_fused(corpus_service: QAService) -> None:
    passages = corpus_service.retriever.retrieve("What does MDDI stand for?", 10).passages
    rrf = corpus_service.retriever.rrf_k
    for p in passages:
        assert p.score == pytest.approx(sum(1 / (rrf + r) for r in (p.dense_rank, p.lexical_rank) if r))
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    top = passages[0]
    assert top.chunk_id == "openai-for-singapore:0"
    assert top.dense_rank is not None and top.lexical_rank == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (Filters(doc_ids=["auralis-singapore-health-ai"]), {"auralis-singapore-health-ai"}),
        (
            Filters(source="TechWire Daily"),
            {"tessellate-series-b", "velora-bio-series-a", "quillsoft-quill-note-pro-launch"},
        ),
        (Filters(date_from="2025-08-01", date_to="2025-09-30"), None),
    ],
)
def test_filters_restrict_both_rankings(
    corpus_service: QAService, filters: Filters, allowed: set[str] | None
) -> None:
    passages = corpus_service.retriever.retrieve("How many jobs will the lab create?", 20, filters).passages
    assert passages
    for p in passages:
        if allowed is not None:
            assert p.doc_id in allowed
        else:
            assert "2025-08-01" <= p.date <= "2025-09-30"


@pytest.mark.slow
def test_a_filter_that_matches_nothing_gives_no_passages(corpus_service: QAService) -> None:
    assert corpus_service.retriever.retrieve("lab", 5, Filters(source="Nobody")).passages == []
    assert corpus_service.retriever.retrieve("lab", 5, Filters(date_from="2030-01-01")).passages == []


def test_an_empty_store_retrieves_nothing(tmp_path: Path) -> None:
    folder = tmp_path
    store = ChromaStore(FakeEmbedder(), folder / "data")
    retriever = HybridRetriever(store, store.embedder, LexicalIndex(folder / "lexical"))
    assert retriever.retrieve("anything at all", 5).passages == []


# -- the real store and BM25 index, with a fake embedder (fast) --------------------------------

NEWS = [
    Article(
        doc_id="harbour",
        title="Port Velmar opens a tidal harbour",
        text="Port Velmar opened its tidal harbour on Monday. It will handle 300 ships a year.",
        source="Velmar Council",
        date="2025-03-03",
    ),
    Article(
        doc_id="bridge",
        title="Orrin bridge to close",
        text="The Orrin bridge will close in May for repairs. Ferries will run every hour.",
        source="Orrin Transit",
        date="2024-11-20",
    ),
    Article(
        doc_id="ferry",
        title="New ferry route",
        text="A ferry route to Port Velmar starts in June. Tickets cost 4 euros.",
        source="Orrin Transit",
        date="2025-06-01",
    ),
]


@pytest.fixture
def small_store(tmp_path: Path) -> HybridRetriever:
    """A retriever over NEWS in a Chroma store on tmp_path, with a fake embedder: same text, same vector."""
    store = ChromaStore(FakeEmbedder(), tmp_path / "data")
    for article in NEWS:
        write_article(store, article, max_chars=60, overlap=0)  # one chunk per sentence
    store.bump_revision()
    return HybridRetriever(store, store.embedder, LexicalIndex(tmp_path / "lexical"), rerank_depth=0)


def test_a_chunk_found_by_both_rankings_comes_first_with_both_ranks(small_store: HybridRetriever) -> None:
    # The question is a chunk's exact text: the fake embedder gives it that chunk's vector.
    passages = small_store.retrieve("The Orrin bridge will close in May for repairs.", 3).passages
    top = passages[0]
    assert top.chunk_id == "bridge:0"
    assert (top.dense_rank, top.lexical_rank) == (1, 1)
    assert top.dense_similarity == pytest.approx(1.0)
    assert top.text == "The Orrin bridge will close in May for repairs."
    assert (top.title, top.source, top.date) == ("Orrin bridge to close", "Orrin Transit", "2024-11-20")


class MeaningOf(FakeEmbedder):
    """A fake embedder for which ``question`` means the same as ``sentence``."""

    def __init__(self, question: str, sentence: str) -> None:
        super().__init__()
        self.question, self.sentence = question, sentence

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return super().embed([self.sentence if t == self.question else t for t in texts])


def test_a_chunk_only_bm25_finds_is_read_from_the_store(small_store: HybridRetriever) -> None:
    small_store.embedder = MeaningOf("tickets euros", "The Orrin bridge will close in May for repairs.")
    small_store.depth = 1  # one candidate from each ranking
    passages = (
        small_store.retrieve("tickets euros", 1).passages + small_store.retrieve("tickets euros", 2).passages
    )
    ranks = {p.chunk_id: (p.dense_rank, p.lexical_rank) for p in passages}
    assert ranks == {"bridge:0": (1, None), "ferry:1": (None, 1)}
    ferry = next(p for p in passages if p.chunk_id == "ferry:1")
    assert (ferry.text, ferry.doc_id, ferry.date) == ("Tickets cost 4 euros.", "ferry", "2025-06-01")
    assert ferry.dense_similarity is None


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (Filters(doc_ids=["ferry"]), {"ferry"}),
        (Filters(source="Orrin Transit"), {"bridge", "ferry"}),
        (Filters(date_from="2025-01-01"), {"harbour", "ferry"}),
        (Filters(date_to="2025-01-01"), {"bridge"}),
        (Filters(source="Nobody"), set()),
    ],
)
def test_filters_restrict_both_rankings_in_the_store(
    small_store: HybridRetriever, filters: Filters, allowed: set[str]
) -> None:
    # "Port Velmar ferry" matches chunks of all three articles by words; the vectors rank every chunk.
    passages = small_store.retrieve("Port Velmar ferry bridge", 20, filters).passages
    assert {p.doc_id for p in passages} == allowed
    if allowed:
        assert any(p.lexical_rank is not None for p in passages)
        assert any(p.dense_rank is not None for p in passages)
