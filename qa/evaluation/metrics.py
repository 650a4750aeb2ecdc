"""Pure metric functions: answer normalisation and matching, retrieval, abstention, percentiles.

Normalisation is SQuAD's (lower-case, drop articles and punctuation, squeeze spaces) with one
change that matters for announcements: numbers stay intact. Thousands separators between digits
are removed ("1,200" = "1200"), a decimal point between digits is kept ("3.5" != "35"), other
punctuation between two digits separates them ("10-15" -> "10 15"), and currency symbols are
dropped with their letter prefix ("S$300 million" = "$300 million" = "300 million").
Dashes and slashes separate words ("Paris–Berlin" -> "paris berlin"); other punctuation is
deleted as in SQuAD ("U.S." -> "us", "don't" -> "dont"). A month is written out in full
("Oct. 3" = "October 3", "Sept" = "September"), as news writes it either way.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from qa.text import MONTH, MONTH_NAMES, month_number
from qa.types import Citation

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CURRENCY_PREFIX = re.compile(r"\b[a-z]{1,3}(?=\$)")  # the S of S$, US of US$, HK of HK$
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_SEPARATORS = frozenset("/\\")
_MONTH_TOKEN = re.compile(MONTH)


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"  # punctuation and symbols, currency included


_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")


def normalize_answer(text: str) -> str:
    """``text`` lower-cased, without articles, possessive 's, punctuation or currency, numbers kept whole."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _POSSESSIVE.sub("", text)  # "Germany's" holds the word "Germany"
    text = _THOUSANDS.sub("", text)
    text = _CURRENCY_PREFIX.sub("", text)
    kept: list[str] = []
    for i, char in enumerate(text):
        if not _is_punctuation(char):
            kept.append(char)
            continue
        between_digits = 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        if between_digits and char == ".":
            kept.append(".")
        elif between_digits or char in _SEPARATORS or unicodedata.category(char) == "Pd":
            kept.append(" ")
    words = _ARTICLES.sub(" ", "".join(kept)).split()
    return " ".join(MONTH_NAMES[month_number(w) - 1] if _MONTH_TOKEN.fullmatch(w) else w for w in words)


def answer_tokens(text: str) -> list[str]:
    """The normalised words of ``text``."""
    return normalize_answer(text).split()


def exact_match(prediction: str, gold: str) -> bool:
    """Whether the two strings are equal after normalisation."""
    return normalize_answer(prediction) == normalize_answer(gold)


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 of the normalised words; 1.0 when both are empty, 0.0 when one is."""
    predicted, expected = answer_tokens(prediction), answer_tokens(gold)
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def _contains_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    width = len(needle)
    return any(haystack[i : i + width] == needle for i in range(len(haystack) - width + 1))


def contains(gold: str, text: str) -> bool:
    """Whether ``gold``'s normalised words occur as a run in ``text``'s ("20" is not in "200").

    False when ``gold`` is empty after normalisation: there is nothing to look for.
    """
    needle = answer_tokens(gold)
    return bool(needle) and _contains_run(answer_tokens(text), needle)


def best_score(metric: Callable[[str, str], float], prediction: str, golds: Iterable[str]) -> float:
    """The best ``metric(prediction, gold)`` over the acceptable answers; 0.0 when there are none."""
    return max((float(metric(prediction, gold)) for gold in golds), default=0.0)


def gold_in_quotes(golds: Iterable[str], quotes: Sequence[str]) -> bool:
    """Whether some acceptable answer is contained in some cited quote."""
    return any(contains(gold, quote) for gold in golds for quote in quotes)


def answer_in_quotes(answer: str, citations: Sequence[Citation]) -> bool:
    """Whether the answer is grounded in its citations.

    Every normalised word of ``answer`` must occur in the cited quotes, and every citation that
    gives an answer span must have ``start <= answer_start <= answer_end <= end``. An answer with
    no citations or no words is not grounded.
    """
    words = set(answer_tokens(answer))
    if not citations or not words:
        return False
    for citation in citations:
        start, end = citation.answer_start, citation.answer_end
        if start is None and end is None:
            continue
        if start is None or end is None or not citation.start <= start <= end <= citation.end:
            return False
    quoted = {word for citation in citations for word in answer_tokens(citation.quote)}
    return words <= quoted


def citation_precision(cited_doc_ids: Sequence[str], gold_doc_ids: Collection[str]) -> float | None:
    """Share of citations that point at a gold document; None with no citations or no gold."""
    if not cited_doc_ids or not gold_doc_ids:
        return None
    return sum(doc_id in gold_doc_ids for doc_id in cited_doc_ids) / len(cited_doc_ids)


def unique_in_order(ids: Iterable[str]) -> list[str]:
    """``ids`` without repeats, first occurrence kept (chunk ranks -> document ranks)."""
    return list(dict.fromkeys(ids))


def hit_at_k(ranked_doc_ids: Sequence[str], gold_doc_ids: Collection[str], k: int) -> bool:
    """Whether a gold document is among the first ``k`` distinct retrieved documents."""
    return any(doc_id in gold_doc_ids for doc_id in unique_in_order(ranked_doc_ids)[:k])


def reciprocal_rank(ranked_doc_ids: Sequence[str], gold_doc_ids: Collection[str], k: int) -> float:
    """1/rank of the first gold document among the first ``k`` distinct documents, else 0.0."""
    for rank, doc_id in enumerate(unique_in_order(ranked_doc_ids)[:k], start=1):
        if doc_id in gold_doc_ids:
            return 1.0 / rank
    return 0.0


@dataclass(frozen=True)
class AbstentionCounts:
    """Confusion matrix of abstaining, where abstaining on an unanswerable question is the positive."""

    abstained_unanswerable: int = 0  # true positives
    abstained_answerable: int = 0  # false positives
    answered_unanswerable: int = 0  # false negatives
    answered_answerable: int = 0  # true negatives

    @classmethod
    def count(cls, pairs: Iterable[tuple[bool, bool]]) -> AbstentionCounts:
        """Counts from ``(answerable, abstained)`` pairs."""
        tally = Counter(pairs)
        return cls(tally[(False, True)], tally[(True, True)], tally[(False, False)], tally[(True, False)])

    @property
    def precision(self) -> float | None:
        """Share of abstentions that were on unanswerable questions; None if it never abstained."""
        abstained = self.abstained_unanswerable + self.abstained_answerable
        return self.abstained_unanswerable / abstained if abstained else None

    @property
    def recall(self) -> float | None:
        """Share of unanswerable questions it abstained on; None if there were none."""
        unanswerable = self.abstained_unanswerable + self.answered_unanswerable
        return self.abstained_unanswerable / unanswerable if unanswerable else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall (0.0 when it never abstained); None without recall."""
        precision, recall = self.precision or 0.0, self.recall
        if recall is None:
            return None
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, as numpy's default.

    Raises ValueError for no values or ``q`` outside 0-100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
