"""The project's evaluation sets (tests/eval/) are well formed: every line loads strictly, ids are
unique across the files, and each answerable question about ``corpus/`` names documents that exist and
hold one of its answers word for word (the RGB sets' passages are not shipped, so only their form is
checked)."""

from __future__ import annotations

from functools import cache

import pytest

from ingest.loading import load_article
from qa.evaluation.testset import load_testset
from tests.helpers.corpus import CORPUS_DIR, ROOT

EVAL = ROOT / "tests" / "eval"
CORPUS_SETS = ("announcements.jsonl", "announcements_extra.jsonl", "open.jsonl", "paraphrased.jsonl")


@cache
def _corpus_texts() -> dict[str, str]:
    """doc_id -> the article's text as ingest stores it (what citations quote), whitespace collapsed."""
    articles = (load_article(path, CORPUS_DIR) for path in sorted(CORPUS_DIR.iterdir()))
    return {a.doc_id: " ".join(a.text.split()) for a in articles}


def test_every_set_loads_strictly_with_ids_unique_across_the_sets() -> None:
    ids: list[str] = []
    for path in sorted(EVAL.glob("*.jsonl")):
        cases, problems = load_testset(path, strict=True)
        assert cases and not problems, path.name
        ids += [c.id for c in cases]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", CORPUS_SETS)
def test_each_answerable_question_names_articles_that_hold_an_answer(name: str) -> None:
    texts = _corpus_texts()
    cases, _ = load_testset(EVAL / name, strict=True)
    for case in cases:
        if not case.answerable:
            assert case.answers == [] and case.doc_ids == [], case.id
            continue
        assert case.doc_ids and set(case.doc_ids) <= set(texts), case.id
        held = [
            " ".join(a.split())
            for a in case.answers
            if any(" ".join(a.split()) in texts[d] for d in case.doc_ids)
        ]
        assert held, case.id
