"""Check a generated answer against the passages it was given, sentence by sentence.

Each sentence of the model's answer is a *claim*. A claim is kept only when

1. it cites at least one passage with ``[n]`` (or ``[n, m]``) and ``n`` names a passage that was
   given (1-based, in the order of the prompt); citations of passages that were not given are
   removed, and a claim left with none is dropped;
2. every number, money amount, month of a date, quoted phrase and capitalised name in it
   occurs in one of the passages it cites (their title and date included), compared as
   ``qa.generative.facts`` normalises them; an amount's scale word must match ("300 million" ≠ "300
   billion"), and so must its currency when both name one.

Kept claims get their citation markers renumbered to the answer's citations (``[1]`` is
``citations[0]``); the citation of a claim and a passage quotes the passage sentence(s) that
support the claim best, with exact offsets in the cleaned document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.generative.facts import (
    Amount,
    amounts_in,
    month_phrase,
    months_in,
    names_in,
    normalised,
    quoted_phrases,
    without_possessive,
)
from qa.generative.prompting import restore
from qa.text import STOPWORDS, Span, sentence_spans, words
from qa.types import Citation, DroppedClaim, Passage

_MARKERS = r"(?:\s*+\[(?:passages?\s*)?\d+(?:\s*,\s*\d+)*\])+"
_MARKER = re.compile(r"\[(?:passages?\s*)?(\d+(?:\s*,\s*\d+)*)\]", re.IGNORECASE)
# A run of full stops (or ! ? …), tried from its first character only and never given back: a
# pattern starting with a bare [.!?…]+ is tried from every character of a run and is quadratic
# on it (16,000 dots took 9 s).
_STOP_RUN = r"(?<![.!?…])[.!?…]++"
_MARKERS_AFTER_STOP = re.compile("(" + _STOP_RUN + ")(" + _MARKERS + ")", re.IGNORECASE)
_FINAL_STOP = re.compile(_STOP_RUN + "$")
_LEADING_MARKERS = re.compile(r"^" + _MARKERS, re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
MODEL_ABSTAINED = "the model said the passages do not hold the answer"


@dataclass
class Evidence:
    """What a passage (with its title and date) can support."""

    passage: Passage
    text: str  # normalised for comparing quoted phrases
    amounts: list[Amount]
    months: set[int]
    words: set[str]  # lower-cased words, possessives removed


@dataclass
class Claim:
    """One sentence of the model's answer."""

    sentence: str  # as written, with its citation markers
    body: str  # without markers
    cited: list[int]  # passage numbers as the model wrote them
    new_line: bool = False  # began a new line (a list item) in the answer
    supported_by: list[int] = field(default_factory=list)  # valid cited passage numbers


@dataclass
class Verification:
    """The verified answer text, its citations, and the claims that were removed."""

    text: str
    citations: list[Citation]
    dropped: list[DroppedClaim]
    kept: int
    total: int


def verify_answer(answer: str, passages: Sequence[Passage], abstain_text: str = "") -> Verification:
    """Keep the claims of ``answer`` that its cited ``passages`` support; cite them exactly."""
    evidence = {n: _evidence_of(p) for n, p in enumerate(passages, 1)}
    claims = split_claims(answer)
    kept: list[Claim] = []
    dropped: list[DroppedClaim] = []
    for claim in claims:
        if abstain_text and normalised(abstain_text).rstrip(".") in normalised(claim.body):
            reason: str | None = MODEL_ABSTAINED
        else:
            reason = check_claim(claim, evidence)
        if reason is None:
            kept.append(claim)
        else:
            dropped.append(DroppedClaim(text=claim.sentence, reason=reason))
    citations: list[Citation] = []
    index: dict[tuple[str, int, int], int] = {}
    parts: list[str] = []
    for claim in kept:
        numbers = []
        for n in claim.supported_by:
            citation = cite(claim.body, evidence[n])
            key = (citation.doc_id, citation.start, citation.end)
            if key not in index:
                index[key] = len(citations) + 1
                citations.append(citation)
            numbers.append(index[key])
        body = claim.body.rstrip()
        stop = _FINAL_STOP.search(body)
        end = stop.start() if stop else len(body)
        marked = body[:end] + " " + "".join(f"[{i}]" for i in dict.fromkeys(numbers)) + body[end:]
        parts.append(("\n" if claim.new_line and parts else " " if parts else "") + marked)
    return Verification("".join(parts), citations, dropped, len(kept), len(claims))


def split_claims(answer: str) -> list[Claim]:
    """The sentences of ``answer``; markers after a full stop belong to the sentence before it."""
    text = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), answer.strip())
    claims: list[Claim] = []
    previous_end = 0
    item = ""  # "1." of a numbered list, which the sentence splitter cuts off on its own
    for span in sentence_spans(text):
        sentence = span.text
        new_line = "\n" in text[previous_end : span.start] or previous_end == 0
        previous_end = span.end
        leading = _LEADING_MARKERS.match(sentence)
        if leading and claims:
            claims[-1].cited += _numbers(leading.group())
            claims[-1].sentence += " " + leading.group().strip()
            sentence = sentence[leading.end() :].strip()
        if re.fullmatch(r"\d{1,2}[.)]", sentence):
            item = sentence + " "
            continue
        if sentence:
            body = " ".join(_MARKER.sub(" ", item + sentence).split())
            body = re.sub(r"\s+([.,;:!?…])", r"\1", body)
            claims.append(Claim(item + sentence, body, _numbers(sentence), new_line or bool(item)))
        item = ""
    return [c for c in claims if words(c.body) or c.cited]


def check_claim(claim: Claim, evidence: dict[int, Evidence]) -> str | None:
    """None when the claim is supported (its valid passage numbers go to ``supported_by``),
    else the reason it is dropped."""
    if not claim.cited:
        return "no citation"
    valid = [n for n in dict.fromkeys(claim.cited) if n in evidence]
    if not valid:
        absent = ", ".join(str(n) for n in dict.fromkeys(claim.cited))
        return f"cites passage {absent}, which was not given (passages 1-{len(evidence)})"
    cited = [evidence[n] for n in valid]
    where = "passage " + ", ".join(str(n) for n in valid)
    body = _BULLET.sub("", claim.body)
    for phrase in quoted_phrases(body):
        if not any(normalised(phrase) in e.text for e in cited):
            return f"quoted phrase “{phrase}” is not in {where}"
    for amount in amounts_in(body):
        if not any(amount.found_in(e.amounts) for e in cited):
            return f"“{amount.text}” is not in {where}"
    for month in months_in(body, near_numbers=True):
        if not any(month in e.months for e in cited):
            return f"the month in “{month_phrase(body)}” is not in {where}"
    for name in names_in(body):
        if not any(name.lower() in e.words for e in cited):
            return f"the name “{name}” is not in {where}"
    claim.supported_by = valid
    return None


def cite(claim: str, evidence: Evidence) -> Citation:
    """The citation of ``claim`` in one passage: the sentence (and the neighbour holding what it
    lacks) that shares most with the claim, with document offsets."""
    passage = evidence.passage
    spans = [s for s in sentence_spans(passage.text) if words(s.text)] or [
        Span(0, len(passage.text), passage.text)
    ]
    facts = _facts(claim)
    terms = {w for w in words(claim) if w not in STOPWORDS}
    scores = [_support(s.text, facts, terms) for s in spans]
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    first = last = best
    missing = facts - _facts(spans[best].text)
    for neighbour in (best - 1, best + 1):
        if missing and 0 <= neighbour < len(spans) and missing & _facts(spans[neighbour].text):
            first, last = min(first, neighbour), max(last, neighbour)
    start, end = spans[first].start, spans[last].end
    quote = passage.text[start:end]
    verbatim = _BULLET.sub("", claim).rstrip(".!?… ")
    at = quote.find(verbatim) if len(verbatim) >= 3 else -1
    answer = (start + at, start + at + len(verbatim)) if at >= 0 else None
    return Citation.in_passage(passage, start, end, answer, passage.score)


def _evidence_of(passage: Passage) -> Evidence:
    haystack = f"{passage.title}\n{passage.date}\n{passage.text}"
    vocabulary = {without_possessive(w) for w in words(restore(haystack))}
    vocabulary |= {part for w in vocabulary if "-" in w for part in w.split("-")}  # "Lyon-based"
    return Evidence(passage, normalised(haystack), amounts_in(haystack), months_in(haystack), vocabulary)


def _numbers(markers: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(markers) for n in re.findall(r"\d+", group)]


def _facts(text: str) -> set[str]:
    return {a.number for a in amounts_in(text)} | {normalised(q) for q in quoted_phrases(text)}


def _support(sentence: str, facts: set[str], terms: set[str]) -> float:
    shared = terms & {w for w in words(sentence) if w not in STOPWORDS}
    return 2.0 * len(facts & _facts(sentence)) + len(shared) / (len(terms) or 1)
