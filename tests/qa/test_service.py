"""The service's final ranking: the documents an answer cites come first."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from qa.index.onnx_embedding import OnnxInt8Embedder
from qa.index.store import Filters
from qa.language import questions
from qa.retrieval import hybrid
from qa.retrieval.hybrid import HybridRetriever
from qa.service import QAService, build_store, cited_first, threads_beside_helper
from qa.settings import Settings
from qa.types import Answer, Citation, Passage, RelatedDocument
from tests.helpers.extractive import ACME, ACME_ENTITIES, BagOfWordsEmbedder, make_answerer
from tests.helpers.extractive import passage as acme_passage
from tests.helpers.fakes import passage


def citing(*doc_ids: str) -> Answer:
    citations = [
        Citation(doc_id=d, title=d, chunk_id=f"{d}:0", quote="Some text.", start=0, end=10) for d in doc_ids
    ]
    return Answer(text="x", abstained=False, confidence=0.9, citations=citations)


def test_cited_documents_come_first_in_citation_order_and_the_rest_keep_theirs() -> None:
    passages = [passage("Some text.", d) for d in ("a", "b", "c", "d", "b")]
    ordered = cited_first(passages, citing("d", "b"))
    assert [p.doc_id for p in ordered] == ["d", "b", "b", "a", "c"]
    assert [p.doc_id for p in cited_first(passages, citing())] == ["a", "b", "c", "d", "b"]


def test_an_abstention_orders_by_the_documents_it_offers_as_related() -> None:
    related = [RelatedDocument(doc_id=d, title=d) for d in ("c", "a")]
    abstained = Answer(text="The announcements don't say.", abstained=True, confidence=0.2, related=related)
    passages = [passage("Some text.", d) for d in ("a", "b", "c")]
    assert [p.doc_id for p in cited_first(passages, abstained)] == ["c", "a", "b"]


@pytest.mark.slow
def test_the_answers_document_leads_the_retrieved_ones(corpus_service: QAService) -> None:
    # Retrieval ranks the Tokyo lab's article first for this one; the answer comes from Singapore's.
    answer, passages = corpus_service.ask_with_passages("How many jobs will the lab in Singapore create?")
    assert answer.text == "over 200 technical positions"
    assert answer.retrieved_doc_ids[0] == answer.citations[0].doc_id == "openai-for-singapore"
    assert passages[0].doc_id == "openai-for-singapore"
    assert len(answer.retrieved_doc_ids) == len(set(answer.retrieved_doc_ids))


# -- the question is analysed once ----------------------------------------------------------------
class OneArticleStore:
    """Dense search and reads over the one Acme passage."""

    def nearest(
        self, embedding: Sequence[float], k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        return [("acme:0", 0.9)]

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Passage]:
        return [acme_passage(ACME)] if "acme:0" in chunk_ids else []


class OneArticleLexical:
    def ensure_current(self, store: object) -> None:
        pass

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        return [("acme:0", 1.0)]


def test_a_question_is_analysed_once_and_its_context_only_reranks(monkeypatch: pytest.MonkeyPatch) -> None:
    analysed: list[str] = []
    real = questions._analyse

    def counting(raw: str) -> questions.Question:
        analysed.append(raw)
        return real(raw)

    monkeypatch.setattr(questions, "_analyse", counting)
    store = OneArticleStore()
    embedder = BagOfWordsEmbedder()
    retriever = HybridRetriever(store, embedder, OneArticleLexical(), rerank_depth=20)  # type: ignore[arg-type]
    service = QAService(store, OneArticleLexical(), retriever, make_answerer(ACME_ENTITIES))  # type: ignore[arg-type]
    reranked: list[list[str]] = []
    monkeypatch.setattr(hybrid, "rerank", lambda q, found: reranked.append(q.terms) or list(found))

    answer = service.ask("How many jobs will the lab create?", context="Acme Lyon")
    assert "400 engineering jobs" in answer.text
    assert analysed == ["How many jobs will the lab create?"]  # once, for retrieval and the answerer
    assert reranked == [["jobs", "lab", "create", "acme", "lyon"]]  # the context's terms re-rank only


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (4, 3), (8, 4)])
def test_the_model_leaves_a_core_to_the_spacy_helper(cores: int, threads: int) -> None:
    assert threads_beside_helper(cores) == threads


def test_a_batch_ingests_model_runs_beside_the_helper_and_a_servers_on_every_core(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, embedding_backend="onnx-int8", analyse_at_ingest=True, _env_file=None
    )
    batch, _ = build_store(settings, parse_process=True)
    server, _ = build_store(settings)
    plain, _ = build_store(settings.model_copy(update={"analyse_at_ingest": False}), parse_process=True)
    assert isinstance(batch.embedder, OnnxInt8Embedder) and isinstance(server.embedder, OnnxInt8Embedder)
    assert isinstance(plain.embedder, OnnxInt8Embedder)
    assert batch.embedder.threads == threads_beside_helper()
    assert server.embedder.threads == plain.embedder.threads == min(os.cpu_count() or 1, 4)
