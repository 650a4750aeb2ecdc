"""Places a question puts its fact in, and whether the answer's neighbourhood names them."""

from __future__ import annotations

import re

from qa.extractive.splitting import Sentence
from qa.language.evidence import text_stems
from qa.language.lexicon import MONTH, SEASON, WEEKDAY
from qa.language.questions import Question
from qa.language.stemming import stem
from qa.text import words

_LOCATIVE = re.compile(r"\b(?:in|at)\s+((?:[A-Z][\w'’-]+\s?)+)")
_TIME_WORD = re.compile(rf"Q[1-4]|H[12]|{MONTH}\.?|{WEEKDAY}|{SEASON}", re.IGNORECASE)
NEARBY_CHARS = 300  # the sentence, the one or two before it, and the headline


def locatives(question: str) -> list[str]:
    """Capitalised places the question puts its fact in ("in Nairobi", "at the Science Park");
    not times ("in Q3", "in May")."""
    found = [m.group(1).strip() for m in _LOCATIVE.finditer(question)]
    return [place for place in found if not _TIME_WORD.fullmatch(place.split()[0])]


def place_missing(q: Question, sentence: Sentence) -> bool:
    """Whether a place the question names is absent from the answer's sentence, the text just
    before it and the headline (not anywhere in the article)."""
    offset = sentence.local_start
    nearby = sentence.passage.text[max(0, offset - NEARBY_CHARS) : offset + len(sentence.text)]
    local = text_stems(nearby + " " + sentence.passage.title)
    return any(not all(stem(w) in local for w in words(place)) for place in locatives(q.text))
