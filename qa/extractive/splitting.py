"""The retrieved passages cut into sentences, each with its place in its document (what every
feature of the answerer is computed over)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.text import sentence_spans
from qa.types import Passage

MIN_SENTENCE_CHARS = 12


@dataclass
class Sentence:
    """One sentence of a retrieved passage; ``start``/``end`` are offsets in its document."""

    passage: Passage
    rank: int  # of its passage among the retrieved ones (0 = best)
    index: int  # of the sentence in its passage
    start: int
    end: int
    text: str
    features: dict[str, float] = field(default_factory=dict)
    logit: float = 0.0
    least_name: float = 1.0

    @property
    def local_start(self) -> int:
        """Offset of the sentence inside its passage's text."""
        return self.start - self.passage.start


def split_passages(passages: Sequence[Passage]) -> list[Sentence]:
    """The sentences of the passages (best passage first), each document position once."""
    seen: set[tuple[str, int]] = set()
    found: list[Sentence] = []
    for rank, passage in enumerate(passages):
        for index, span in enumerate(sentence_spans(passage.text)):
            key = (passage.doc_id, passage.start + span.start)
            if key in seen or len(span.text) < MIN_SENTENCE_CHARS:
                continue
            seen.add(key)
            found.append(Sentence(passage, rank, index, key[1], key[1] + len(span.text), span.text))
    return found
