"""Answer candidates found by pattern alone, without the parser: a press release's dateline,
version numbers, and the noun phrases around the question's head noun."""

from __future__ import annotations

import re

from qa.language.answer_types import AnswerType
from qa.language.labels import Label
from qa.language.lexicon import HEAD_KINDS
from qa.language.spans import LEADING_DETERMINER, Candidate

_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]+,\s[^—–]{0,40}\s[—–-]\s")


def dateline_end(sentence: str) -> int:
    """Length of a press-release dateline ("SINGAPORE, 12 January 2026 — "), else 0."""
    match = _DATELINE.match(sentence)
    return match.end() if match else 0


_VERSION = re.compile(
    r"\b(?:[vV]\.?\s?)?\d+(?:\.\d+){1,3}\b(?:\s+(?:through|to|and)\s+(?:[vV]\.?\s?)?\d+(?:\.\d+){1,3}\b)?"
)
VERSION_HEADS = frozenset({"version", "versions", "release", "releases", "build", "firmware", "patch"})


def version_candidates(sentence: str) -> list[Candidate]:
    """Version numbers and ranges ("3.4.2", "3.2.0 through 3.4.1") for "Which version ...?"."""
    return [
        Candidate(m.start(), m.end(), m.group(), AnswerType.OTHER, Label.VERSION)
        for m in _VERSION.finditer(sentence)
        if m.group().count(".") >= 2 or m.group()[:1] in "vV"  # "3.4.2", "v2.1"; not "3.5" (a decimal)
    ]


def head_candidates(sentence: str, head: str) -> list[Candidate]:
    """Noun phrases ending in the question's head noun (or, for a generic head such as "event",
    one of its kinds: "summit", "conference"), with their proper-noun modifiers.

    "What hackathons ...?" finds "Robotics for Schools hackathons"; "the lab" finds "Harbour Robotics Lab";
    "Which event ...?" finds "ATx summit".
    """
    found: list[Candidate] = []
    for noun in sorted({head} | HEAD_KINDS.get(head, frozenset())):
        if len(noun) < 3:
            continue
        stem = re.escape(noun[:5] if len(noun) > 5 else noun.rstrip("s"))
        pattern = re.compile(
            r"(?:[A-Z][\w'’&-]*\s+(?:(?:of|for|and)\s+)?)*\b(?i:" + stem + r")\w*"
            r"(?:\s+(?:of|for)\s+(?:the\s+)?[A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*)*)?",
        )
        for match in pattern.finditer(sentence):
            span = LEADING_DETERMINER.sub("", match.group())
            start = match.end() - len(span)
            if span and span[0].isupper() and all(c.start != start for c in found):
                found.append(Candidate(start, start + len(span), span, AnswerType.OTHER, Label.HEAD, True))
    return found
