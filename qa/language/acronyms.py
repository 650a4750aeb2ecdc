"""Acronyms and the names they stand for: "What does the HTA stand for?" is answered by the words
a document spells it out with, "the Harbour Transit Authority (HTA)" or "the HTA (Harbour
Transit Authority)". Announcements introduce every agency, programme and grant that way.

Everything here is linear in the text: the words before a parenthesis are read backwards at
most a few per letter of the acronym.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An acronym as written: two to eight capitals (digits and "&" inside), a plural "s" allowed.
_ACRONYM = re.compile(r"\b([A-Z][A-Z0-9&]{1,7})s?\b")
# What asks for an acronym's long form: "stand for", "short for", "acronym", "full name".
_ASKS_LONG_FORM = re.compile(
    r"\b(?:stands?\s+for|short\s+for|acronym|abbreviat\w*|spel(?:t|led)\s+out|full\s+(?:name|form))\b",
    re.IGNORECASE,
)
_MEANS = re.compile(r"\bmean\b", re.IGNORECASE)
# Small words a long form skips unless its acronym keeps them: "National Institute of Marine
# Research (NIMR)" keeps "of".
_SKIPPABLE = frozenset("of and for the on in at to de du la le des &".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]*(?:-[A-Za-z]+)*|&")
WORDS_PER_LETTER = 3  # how far back a long form may reach: at most this many words per letter
CHARS_PER_WORD = 40  # and at most this many characters per word read


@dataclass(frozen=True)
class LongForm:
    start: int  # offsets into the text searched
    end: int
    text: str


def asked_acronym(question: str) -> str:
    """The acronym whose long form ``question`` asks for ("What does HTA stand for?" -> "HTA"),
    else "". "What does X mean?" counts when X is written in capitals; a question that only
    names an acronym ("What did the HTA announce?") asks something else. With several, the last
    before the words that ask ("What does CFTB stand for in the NIMR report?" -> "CFTB")."""
    asks = _ASKS_LONG_FORM.search(question) or _MEANS.search(question)
    if asks is None:
        return ""
    found = [m for m in _ACRONYM.finditer(question) if not m.group(1).isdigit()]
    before = [m for m in found if m.end() <= asks.start()]
    chosen = before[-1] if before else found[0] if found else None
    if chosen is None or (asks.re is _MEANS and len(found) > 1):
        return ""
    return chosen.group(1)


def long_forms(text: str, acronym: str) -> list[LongForm]:
    """Where ``text`` spells ``acronym`` out: "Long Form (ACR)" or "ACR (Long Form)", each long
    form's first letters (a word in capitals may give its first or all its letters: "AI" in
    "Regional AI Growth Scheme (RAGS)") giving the acronym's letters in order, small words
    ("of", "and") skipped unless the acronym keeps them."""
    letters = acronym.upper()
    found = []
    for m in re.finditer(rf"\(\s*{re.escape(acronym)}s?\s*\)", text):
        end = _trim_end(text, m.start())
        start = _spelt_back(text, end, letters, until=0)
        if start is not None:
            found.append(LongForm(start, end, text[start:end]))
    for m in re.finditer(rf"\b{re.escape(acronym)}s?\s*\(([^()]{{1,200}})\)", text):
        end = _trim_end(text, m.end(1))
        start = _spelt_back(text, end, letters, until=m.start(1))
        if start is not None and text[m.start(1) : start].strip().lower() in ("", "the"):
            found.append(LongForm(start, end, text[start:end]))
    return found


_PARENTHESISED = re.compile(r"\(\s*([A-Z][A-Z0-9&]{1,7})s?\s*\)")


def parenthesised_long_forms(text: str, start: int = 0) -> list[LongForm]:
    """The long forms of every acronym in parentheses from ``start`` on: "Office of Ports and
    Harbour Safety (OPHS)"."""
    return [form for m in _PARENTHESISED.finditer(text, start) for form in long_forms(text, m.group(1))]


def _trim_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1] in " ,;:":
        end -= 1
    return end


def _spelt_back(text: str, end: int, letters: str, until: int) -> int | None:
    """The start of the words ending at ``end`` (not before ``until``) whose initials spell
    ``letters``, read from the last letter back; None when they do not."""
    reach = max(until, end - CHARS_PER_WORD * WORDS_PER_LETTER * len(letters))
    words = [(m.start(), m.group()) for m in _WORD.finditer(text, reach, end)]
    i = len(letters) - 1
    start = None
    for position, word in reversed(words[-WORDS_PER_LETTER * len(letters) :]):
        if i < 0:
            break
        if len(word) > 1 and word.isupper() and letters[: i + 1].endswith(word):
            i -= len(word)  # a word in capitals giving all its letters
        elif word[0].upper() == letters[i] and (word[0].isupper() or word.lower() in _SKIPPABLE):
            i -= 1
        elif word.lower() in _SKIPPABLE:
            continue
        else:
            return None
        start = position
    if i >= 0 or start is None or not text[start].isupper():
        return None
    return start
