"""Smoke test of the benchmark code (not a benchmark): the corpus generator, stand-ins, the report."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from ingest.loading import load_articles
from tests.helpers.corpus import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import common
import make_corpus as corpus
import report


def test_the_corpus_is_deterministic_and_grows_by_appending(tmp_path: Path) -> None:
    small = corpus.write_corpus(tmp_path / "small", 12, seed=3)
    large = corpus.write_corpus(tmp_path / "large", 20, seed=3)
    for path in sorted(small.glob("*.md")):
        assert path.read_text(encoding="utf-8") == (large / path.name).read_text(encoding="utf-8")
    assert corpus.make_article(4, 0) != corpus.make_article(3, 0)


def test_articles_load_cleanly_with_their_front_matter_and_questions(tmp_path: Path) -> None:
    folder = corpus.write_corpus(tmp_path / "c", 30, seed=7)
    loaded = load_articles([folder])
    assert loaded.failures == []  # the hidden questions file is skipped, every article loads
    assert len(loaded.articles) == 30
    for article in loaded.articles:
        assert article.doc_id.startswith("bench-") and article.title and article.date and article.url
    words = [len(p.read_text(encoding="utf-8").split()) for p in folder.glob("*.md")]
    assert min(words) >= 200 and max(words) <= 1600
    questions = [json.loads(line) for line in (folder / corpus.QUESTIONS).read_text().splitlines()]
    assert len(questions) == 30
    by_id = {a.doc_id: a for a in loaded.articles}
    for question in questions:
        (gold,) = question["doc_ids"]
        assert question["question"].endswith("?")
        # The answer is in the cleaned text the store will hold.
        assert question["answers"][0] in by_id[gold].text, question


def test_stand_in_vectors_are_deterministic_unit_vectors() -> None:
    stand_in = common.StandInEmbedder("some-model")
    first, second = stand_in.embed(["a text", "another"])
    assert stand_in.embed(["a text"])[0] == first != second
    assert math.isclose(math.sqrt(sum(x * x for x in first)), 1.0, rel_tol=1e-5)


def test_percentiles_and_bounded_loops() -> None:
    assert common.percentile([5, 1, 3, 2, 4], 0.5) == 3
    assert common.percentile([1.0] * 99 + [100.0], 0.99) == 1.0
    assert common.percentile([], 0.5) == 0.0
    assert len(list(common.bounded([{"q": 1}], count=7, seconds=60))) == 7
    assert list(common.bounded([{"q": 1}], count=7, seconds=-1)) == []


def test_targets_are_judged_from_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    results = {
        "machine": {"cpus": 2, "cpu": "test", "python": "3.11", "load_average": [0.1]},
        "backend": "onnx-int8",
        "articles": 10,
        "ingest": {
            "ours": {"articles": 10, "chunks": 70, "seconds": 10.0, "chunks_per_s": 7.0, "peak_rss_mb": 300,
                     "model_load_seconds": 1.0},
            "raw_encode": {"chunks": 70, "seconds": 9.0, "chunks_per_s": 7.8, "peak_rss_mb": 250},
            "ours_plain": {"articles": 10, "chunks": 70, "seconds": 5.0, "chunks_per_s": 14.0, "peak_rss_mb": 280,
                           "model_load_seconds": 1.0},
            "langchain": {"articles": 10, "chunks": 75, "seconds": 18.75, "chunks_per_s": 4.0, "peak_rss_mb": 900},
        },
        "query": {
            "1k": {
                "store": {"chunks": 1000},
                "http": {"requests": 5, "p50_ms": 40.0, "p95_ms": 160.0, "p99_ms": 170.0, "server_rss_mb": 500,
                         "server_peak_rss_mb": 510, "gold_doc_cited": 1.0, "answer_contains_gold": 1.0, "errors": 0},
                "library": {"requests": 5, "p50_ms": 30.0, "p95_ms": 50.0, "p99_ms": 60.0, "peak_rss_mb": 400,
                            "gold_doc_retrieved": 1.0, "answer_contains_gold": 1.0},
            }
        },
    }  # fmt: skip
    met = {row["target"].split(" (")[0]: row["met"] for row in report.targets(results)}
    assert met["ingest chunks/s >= 1.5x LangChain pipeline"] is True  # 1.75x
    assert met["ingest time <= 1.2x raw encode time"] is True
    assert met["/v1/ask p50 < 50 ms at 100k chunks"] is True
    assert met["/v1/ask p95 < 150 ms at 100k chunks"] is False
    results["targets"] = report.targets(results)
    report.print_report(results)
    printed = capsys.readouterr().out
    assert "Targets" in printed
    assert "ours without the analysis at ingest" in printed


class FakeClock:
    """Stands in for ``time.perf_counter`` in bench/common.py: time moves only when a part works."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def spend(self, milliseconds: float) -> None:
        self.now += milliseconds / 1000


def test_query_stages_attribute_time_to_each_part_and_add_up(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(common, "time", clock)

    class Part:
        def __init__(self, cost_ms: float = 0.0) -> None:
            self.cost_ms = cost_ms

        def work(self) -> None:
            clock.spend(self.cost_ms)

    class Embedder(Part):
        name, dimension = "fake", 2

        def embed(self, texts: list[str]) -> list[list[float]]:
            self.work()
            return [[1.0, 0.0] for _ in texts]

    class Spans(Part):
        def candidates_many(self, sentences: list[str]) -> list[list[str]]:
            self.work()
            return [[] for _ in sentences]

    class Store(Part):
        def nearest(self, embedding: list[float], k: int, filters: object = None) -> list[str]:
            self.work()
            return []

        def get_chunks(self, ids: list[str]) -> list[str]:
            clock.spend(1)
            return []

    class Lexical(Part):
        def ensure_current(self, store: Store) -> None:
            clock.spend(0.5)

        def search(self, question: str, k: int, filters: object = None) -> list[str]:
            clock.spend(4)
            return []

    class Retriever:
        def __init__(self, store: Store, lexical: Lexical, embedder: Embedder) -> None:
            self.store, self.lexical, self.embedder = store, lexical, embedder

        def retrieve(self, question: str) -> list[float]:
            self.lexical.ensure_current(self.store)
            vector = self.embedder.embed([question])[0]
            self.store.nearest(vector, 30)
            self.lexical.search(question, 30)
            self.store.get_chunks([])
            clock.spend(3)  # fusion and rerank
            return vector

    class Answerer:
        def __init__(self, embedder: Embedder, spans: Spans) -> None:
            self.embedder, self.spans = embedder, spans

        def answer(self, question: str) -> str:
            self.embedder.embed(["one sentence", "another"])
            self.spans.candidates_many(["one sentence"])
            clock.spend(5)  # the rest of answering
            return "answer"

    class Service:
        def __init__(self) -> None:
            self.store, self.lexical, embedder = Store(2), Lexical(), Embedder(7)
            self.retriever = Retriever(self.store, self.lexical, embedder)
            self.answerer = Answerer(embedder, Spans(20))

        def ask(self, question: str) -> str:
            clock.spend(2)  # the service's own work
            self.retriever.retrieve(question)
            return self.answerer.answer(question)

    service = Service()
    stages = common.QueryStages()
    stages.instrument(service)
    for _ in range(3):
        started = clock.perf_counter()
        assert service.ask("Who?") == "answer"
        stages.question_done(clock.perf_counter() - started)
    summary = stages.summary()
    assert list(summary) == list(common.QueryStages.STAGES)
    assert summary == pytest.approx(
        {
            "store revision check": 0.5,
            "question embedding": 7,
            "Chroma vector query": 2,
            "BM25 search": 4,
            "Chroma get_chunks": 1,
            "fusion and rerank": 3,
            "sentence embeddings": 7,
            "spaCy (answer spans)": 20,
            "answering: the rest": 5,
            "service: the rest": 2,
        }
    )
    assert sum(summary.values()) == pytest.approx(51.5)  # the stages add up to the whole question


def test_stand_in_spans_give_names_and_numbers_as_their_own_slices() -> None:
    from common import StandInSpans

    sentence = "Shares of Orvel Lanmar rose 4.5% after the deal with Kestrel, said Mara Voss on Tuesday."
    [found] = StandInSpans().candidates_batch([sentence])
    assert [c.text for c in found] == ["Orvel Lanmar", "Kestrel", "Mara Voss", "Tuesday", "4.5"]
    assert all(sentence[c.start : c.end] == c.text for c in found)
    assert StandInSpans().candidates_batch(["Acme hired staff."]) == [[]]  # a first word is no name
