"""The service's final ranking: the documents an answer cites come first."""

from __future__ import annotations

import pytest

from qa.service import QAService, cited_first
from qa.types import Answer, Citation, RelatedDocument
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
