"""Sentence spans and word tokens with exact character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# A month as news writes it, full or abbreviated ("Sept", "Jan"), with no word boundaries of its
# own: callers wrap it (\b...\b). Only the month's own forms: "Marseille", "decade" and "Junior"
# are no months.
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)


def month_number(name: str) -> int:
    """1-12 for a month as MONTH matches it ("Sept" -> 9); KeyError for anything else."""
    return _MONTH_NUMBERS[name[:3].lower()]


_MONTH_NUMBERS = {name[:3]: number for number, name in enumerate(MONTH_NAMES, 1)}


# Words after which a full stop does not end a sentence, the months' abbreviations among them.
MONTH_ABBREVIATIONS = frozenset({name[:3] for name in MONTH_NAMES if len(name) > 3} | {"sept"})
_ABBREVIATIONS = MONTH_ABBREVIATIONS | frozenset(
    """mr mrs ms dr prof sr jr st mt no vs etc inc ltd co corp plc llc dept gov sen rep gen col lt
    approx est fig e.g i.e u.s u.k u.n a.m p.m""".split()
)
# Linear on any input: a run of terminators is tried from its first character only, and neither
# it nor the closing quotes give characters back (16,000 dots took 3.4 s without that).
_BOUNDARY = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s)|\n+")
# A longer "sentence" (a table flattened into one line, a poisoned document) is cut into pieces of
# at most this many characters, at a space where there is one: spaCy and every pattern see bounded text.
MAX_SENTENCE_CHARS = 1000
# ... and of at most this many tokens (words and single signs): 1,000 brackets are 1,000 tokens
# for spaCy, which parses each question's candidate sentences (~25 tokens in news; none of the
# 10,000 sentences of our corpus and the RGB snippets has over 63).
MAX_SENTENCE_TOKENS = 100
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Currency signs and ISO codes an amount may open with: the one list every pattern builds on.
CURRENCY_SIGNS = "$€£¥₹"
CURRENCY_CODES = ("USD", "SGD", "EUR", "GBP", "AUD", "CAD", "CHF", "JPY", "INR", "MYR", "KES")
# ... and the names it may close with ("300 million Canadian dollars"), singular or plural, as a
# pattern without boundaries of its own.
CURRENCY_NAME = r"(?:dollars?|euros?|pounds?|yen|yuan|rupees?|ringgit|shillings?|francs?|pesos?|krona|kronor)"
# Letters of any script ("José", "Dvořák"), digits and the signs amounts carry (\w also takes
# "_", rare in news: one class is twice as fast as excluding it).
_WORD = re.compile(rf"[\w{CURRENCY_SIGNS}%]+(?:[.,'’\-/][\w%]+)*")


# Words that carry no content of their own (the question analysis, the answerer and BM25 skip them).
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    let me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself yourselves""".split()
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def sentence_spans(
    text: str, start: int = 0, end: int | None = None, max_chars: int = MAX_SENTENCE_CHARS
) -> list[Span]:
    """Sentences (and headings: every line break ends one) of ``text[start:end]``, trimmed; a
    sentence longer than ``max_chars`` comes as several pieces of at most that length."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if match.group().startswith("\n"):
            cut = match.start()
        else:
            if _is_abbreviation(text, match.start()) or not _next_starts_sentence(text, match.end(), end):
                continue
            cut = match.end()
        _append_bounded(spans, text, cursor, cut, max_chars)
        cursor = match.end()
    _append_bounded(spans, text, cursor, end, max_chars)
    return spans


def _append_bounded(spans: list[Span], text: str, start: int, end: int, max_chars: int) -> None:
    """Append ``text[start:end]`` trimmed, in pieces of at most ``max_chars`` characters and
    MAX_SENTENCE_TOKENS tokens, cut at the last space of each piece's second half if it has one."""
    cut = _piece_end(text, start, end, max_chars)
    while cut < end:
        _append_trimmed(spans, text, start, cut)
        start = cut
        cut = _piece_end(text, start, end, max_chars)
    _append_trimmed(spans, text, start, end)


def _piece_end(text: str, start: int, end: int, max_chars: int) -> int:
    if end - start <= min(max_chars, MAX_SENTENCE_TOKENS):  # too short to be over either bound
        return end
    limit = min(end, start + max_chars)
    for count, match in enumerate(_TOKEN.finditer(text, start, limit)):
        if count == MAX_SENTENCE_TOKENS:
            limit = match.start()
            break
    if limit >= end:
        return end
    space = text.rfind(" ", start + (limit - start) // 2, limit)
    return space if space > start else limit


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    head = dot
    # The longest abbreviation has 5 characters: looking further back is wasted (and quadratic
    # over "a.a.a.a. ..." runs).
    while head > max(0, dot - 8) and (text[head - 1].isalpha() or text[head - 1] == "."):
        head -= 1
    word = text[head:dot].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _next_starts_sentence(text: str, pos: int, end: int) -> bool:
    while pos < end and text[pos].isspace():
        pos += 1
    if pos >= end:
        return True
    char = text[pos]
    return char.isupper() or char.isdigit() or char in "\"'“‘(—–-[$€£"


def _append_trimmed(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end, text[start:end]))


def word_spans(text: str) -> list[Span]:
    """Word tokens (numbers keep their separators: '1,200', '3.5', 'S$300')."""
    return [Span(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``."""
    if text.isascii():  # lower-casing first cannot move a token's bounds
        found: list[str] = _WORD.findall(text.lower())
        return found
    return [m.group().lower() for m in _WORD.finditer(text)]
