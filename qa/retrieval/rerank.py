"""Re-ranking fused candidates by what the question pins down: its names, numbers and rare terms.

Dense and BM25 rankings both reward passages on the question's topic; on a news corpus most
candidates are on topic (last year's final, next season's premiere). The passage that answers
also carries the question's specifics ("2018", "Q2", "Season 11"), so the fused candidates are
re-scored by the share of the question's terms they contain (weighted by rarity among the
candidates) and by the support of its names, with the fused rank as a tie-breaker.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qa.language.answer_types import TYPE_PATTERNS
from qa.language.evidence import name_words, names_support, text_stems
from qa.language.questions import Question
from qa.language.stemming import stem
from qa.text import words
from qa.types import Passage

FUSED_WEIGHT = 0.6  # of the fused rank's 1 / (1 + rank) (1.0 for the first)
COVERAGE_WEIGHT = 0.6
NAMES_WEIGHT = 0.5
TYPE_WEIGHT = 0.2


def rerank(q: Question, passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` (best first by fused score), re-ordered by the question's specifics."""
    if len(passages) < 2:
        return list(passages)
    stems = [text_stems(p.title + " " + p.text) for p in passages]
    haystacks = [" ".join(words(p.title + " " + p.text)) for p in passages]
    terms = {stem(t) for t in q.terms}
    weights = {}
    for term in terms:
        df = sum(1 for s in stems if term in s)
        weights[term] = math.log((len(passages) + 1) / (df + 0.5)) + 0.1
        if any(c.isdigit() for c in term):
            weights[term] *= 1.5
    total = sum(weights.values()) or 1.0
    names = name_words(q.names)
    scored = []
    pattern = TYPE_PATTERNS.get(q.answer_type)
    for rank, (passage, found, haystack) in enumerate(zip(passages, stems, haystacks, strict=True)):
        coverage = sum(w for t, w in weights.items() if t in found) / total
        typed = pattern is None or bool(pattern.search(passage.text))
        score = (
            FUSED_WEIGHT / (1 + rank)
            + COVERAGE_WEIGHT * coverage
            + NAMES_WEIGHT * names_support(names, haystack, found)[0]
            + TYPE_WEIGHT * typed
        )
        scored.append((-score, rank, passage))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [passage for _, _, passage in scored]
