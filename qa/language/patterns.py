"""Answer candidates found by pattern alone, without the parser: a press release's dateline,
version numbers, and the noun phrases around the question's head noun."""

from __future__ import annotations

import re

from qa.language.acronyms import parenthesised_long_forms
from qa.language.answer_types import AnswerType
from qa.language.labels import Label
from qa.language.lexicon import HEAD_KINDS
from qa.language.spans import LEADING_DETERMINER, Candidate
from qa.text import STOPWORDS

_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]+,\s[^—–]{0,40}\s[—–-]\s")


def dateline_end(sentence: str) -> int:
    """Length of a press-release dateline ("OSLO, 3 March 2025 — "), else 0."""
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
    "Which event ...?" finds "Harbour Robotics Conference".
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
        # ... or with a common noun or two between the name and the head: "the Harbourside business
        # district", "the Kowloon East tech hub".
        described = re.compile(r"(?:[A-Z][\w'’&-]*\s+)+(?:" + _MODIFIER + r"\s+){1,2}(?i:" + stem + r")\w*")
        for match in [*pattern.finditer(sentence), *described.finditer(sentence)]:
            span = LEADING_DETERMINER.sub("", match.group())
            start = match.end() - len(span)
            if span and span[0].isupper() and all(c.start != start for c in found):
                end = _spelt_out_end(sentence, start + len(span))
                found.append(Candidate(start, end, sentence[start:end], AnswerType.OTHER, Label.HEAD, True))
    return found


# A lower-case word describing a head noun: no function word ("in the district" is no name) and
# no verb of a past or running form ("Acme opened research labs").
_MODIFIER = (
    r"(?!(?:the|a|an|and|or|of|in|on|at|to|for|with|by|from|its|their|his|her|our|is|are|was|will)\b)"
    r"(?![a-z]+(?:ed|ing)\b)[a-z][\w-]*"
)


def _spelt_out_end(sentence: str, end: int) -> int:
    """Where a name found ending at ``end`` really ends: at the end of the long form of a
    following "(ACRONYM)" that overlaps it ("Office of Ports and Harbour Safety (OPHS)" is one
    name; "the Harbour Office and Acme Rail", with no acronym, stays two)."""
    for form in parenthesised_long_forms(sentence, end):
        if form.start < end < form.end:  # it overlaps the name and runs on past its end
            return form.end
    return end


_ITEM = r"[\w'’&-]+(?: [\w'’&-]+){0,3}"
_JOIN = re.compile(r"^(?:,\s*(?:and|or)?|\s(?:and|or))\s+$")


def list_candidates(sentence: str, head: str, found: list[Candidate]) -> list[Candidate]:
    """For a plural head ("Which sectors ...?"): lists that answer it whole. A list of three or more
    ending in the head noun ("the retail, logistics, farming and public health sectors"),
    and runs of found candidates joined by commas and a last "and"/"or" ("the Port Authority and
    Harbour Rail")."""
    lists: list[Candidate] = []
    stem = re.escape(head[:5] if len(head) > 5 else head.rstrip("s"))
    # three items at least: "farming and fishing sectors" could start at a verb ("targets farming")
    pattern = re.compile(rf"\b{_ITEM}(?:, {_ITEM})+,? (?:and|or) {_ITEM} (?i:{stem})\w*")
    for match in pattern.finditer(sentence):
        span = match.group()
        while (word := span.split(" ", 1)[0]).lower() in STOPWORDS and " " in span:
            span = span[len(word) + 1 :]  # "in the public services, ..." starts at "public"
        start = match.end() - len(span)
        lists.append(Candidate(start, match.end(), span, AnswerType.OTHER, Label.HEAD, True))
    run: list[Candidate] = []
    for cand in [*_named_in_order(found), None]:
        if cand is not None and run and _JOIN.match(sentence[run[-1].end : cand.start]):
            run.append(cand)
            continue
        if len(run) > 1 and re.search(r"\b(?:and|or)\s+$", sentence[run[-2].end : run[-1].start]):
            start, end = run[0].start, run[-1].end
            lists.append(Candidate(start, end, sentence[start:end], run[0].answer_type, run[0].label, True))
        run = [cand] if cand is not None else []
    unique = {(c.start, c.end): c for c in lists}
    return list(unique.values())


def _named_in_order(found: list[Candidate]) -> list[Candidate]:
    """The named candidates (no plain noun phrases) in sentence order, the longest of overlapping ones."""
    kept: list[Candidate] = []
    for cand in sorted(found, key=lambda c: (c.start, -c.end)):
        if cand.label not in (Label.NP, Label.HEAD) and (not kept or cand.start >= kept[-1].end):
            kept.append(cand)
    return kept
