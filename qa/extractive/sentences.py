"""Evidence sentences: every sentence of the retrieved passages, with the features the sentence
model scores (how much of the question it holds, how similar it is, where it stands)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from qa.language.answer_types import AnswerType
from qa.language.evidence import OPPOSITE_VERBS, name_words, names_support, text_stems
from qa.language.patterns import dateline_end
from qa.language.questions import Question, QuestionKind, subject_words
from qa.language.stemming import stem
from qa.retrieval.rerank import TYPE_PATTERNS
from qa.text import sentence_spans, words
from qa.types import Passage

MIN_SENTENCE_CHARS = 12
LEAD_CHARS = 400  # sentences starting this close to the top of their document are its lead
_CAPITALISED = re.compile(r"(?<=\s)[A-Z][\w'’-]+")
_CLOSED = re.compile(r"[.!?…:;\"'”’)\]]$")
_ATTRIBUTION = re.compile(r"^[—–-]\s*[A-Z]")
_QUOTE = re.compile(r"[“”\"]")
_DEFINITION_QUESTION = re.compile(
    r"^\W*(?i:(?:what|who) (?:is|are|was|were) (?:the )?(?P<term>.+?)"
    r"|what (?:does|do|did) (?:the )?(?:(?:acronym|abbreviation) )?(?P<short>.+?) (?:stand for|mean))\W*$"
)
_PURPOSE = re.compile(
    r"\b(?:because|since|as part of|in order to|so that|aims? to|to (?:help|support|meet|address|"
    r"expand|accelerate|strengthen|build|bring|give|make)|designed to|intended to|reflects?|given|due to|"
    r"thanks to)\b",
    re.IGNORECASE,
)
# A sentence opening with one of these continues the one before it ("This partnership with ...",
# "It will create ..."): what it is about was named there.
_REFERS_BACK = frozenset("this these that those it its they their he she his her such".split())
_ASKS_SAID = re.compile(r"\b(?:say|said|says|describe[sd]?|call(?:ed|s)?|quoted?|according to)\b")
_NAMED = re.compile(r"[A-Z]")
MAX_GAP = 3  # characters between two sentences that follow each other (spaces, a line break)
MAX_QUOTATION_SENTENCES = 8  # an opening quote mark not closed within this many sentences is a stray


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


def term_weights(q: Question, sentences: Sequence[Sentence]) -> dict[str, float]:
    """The question's terms (as stems) weighted by rarity among the retrieved sentences."""
    stems = [text_stems(s.text) for s in sentences]
    weights: dict[str, float] = {}
    for term in q.terms:
        key = stem(term)
        df = sum(1 for s in stems if key in s)
        weights[key] = max(weights.get(key, 0.0), max(math.log((len(stems) + 1) / (df + 0.5)), 0.2))
    return weights


def add_lexical_features(q: Question, sentences: Sequence[Sentence], verbs: Sequence[str]) -> None:
    """Every feature but the cosine (set to 0 here; ``add_cosines`` fills it in)."""
    weights = term_weights(q, sentences)
    name_stems = {stem(w) for n in q.names for w in words(n)}
    boosted = {
        t: w * (1.6 if t in name_stems or any(c.isdigit() for c in t) else 1.0) for t, w in weights.items()
    }
    # Every term inside a name ("Who is the Chief Revenue Officer at Acme?"): all of them are content.
    content = {t: w for t, w in weights.items() if t not in name_stems} or dict(weights)
    if q.head and q.kind is QuestionKind.FACTOID:
        # "which company", "how many jobs": the answering sentence rarely says "company", and
        # often gives the count in other words ("technical positions").
        for table in (boosted, content):
            if stem(q.head) in table:
                table[stem(q.head)] *= 0.3
    total = sum(boosted.values()) or 1.0
    content_total = sum(content.values()) or 1.0
    names = name_words(q.names)
    verb_stems = {stem(v) for v in verbs}
    subject = {stem(w): weights.get(stem(w), 0.2) for w in subject_words(q.text, list(verbs))}
    subject_total = sum(subject.values())
    question_words = {w.lower() for w in words(q.text)}
    pattern = TYPE_PATTERNS.get(q.answer_type)
    asks_said = bool(_ASKS_SAID.search(q.text.lower()))
    asks_why = q.text.lower().lstrip(" \"'“").startswith("why")
    defines = _definition(q)
    per_passage: dict[str, tuple[set[str], set[str], str]] = {}
    by_position = {(s.passage.chunk_id, s.index): text_stems(s.text) for s in sentences}
    speakers = quotation_speakers(sentences)
    for s in sentences:
        stems = by_position[(s.passage.chunk_id, s.index)]
        before = by_position.get((s.passage.chunk_id, s.index - 1), set())
        opening = words(s.text[:20])
        context = stems | before if opening and opening[0] in _REFERS_BACK else stems
        speaker = speakers.get((s.passage.chunk_id, s.index))
        context = context | (speaker.stems if speaker else set())
        if s.passage.chunk_id not in per_passage:
            title = text_stems(s.passage.title)
            haystack = " ".join(words(s.passage.title + " " + s.passage.text))
            per_passage[s.passage.chunk_id] = (title, title | text_stems(s.passage.text), haystack)
        title, passage_stems, haystack = per_passage[s.passage.chunk_id]
        coverage = _covered(boosted, stems, title)
        in_passage = sum(w for t, w in boosted.items() if t in passage_stems)
        in_context = _covered(boosted, context, title)
        mean_name, least = names_support(names, haystack, stems | passage_stems)
        said = stems | {OPPOSITE_VERBS[w] for w in stems if w in OPPOSITE_VERBS}
        passage = s.passage
        s.least_name = least
        s.features = {
            "coverage": coverage / total,
            "passage_coverage": in_passage / total,
            "context_coverage": in_context / total,
            "content_coverage": sum(w for t, w in content.items() if t in stems) / content_total,
            "cosine": 0.0,
            "names": mean_name,
            "least_name": least,
            "rank": 1.0 / (1 + s.rank),
            "both_rankings": float(passage.dense_rank is not None and passage.lexical_rank is not None),
            "headline": float(s.text.strip() == passage.title.strip()),
            "lead": float(s.start < LEAD_CHARS),
            "verbs": len(verb_stems & said) / len(verb_stems) if verb_stems else 1.0,
            "subject": sum(w for t, w in subject.items() if t in stems) / subject_total if subject else 1.0,
            "typed": _typed(q, s.text, pattern, question_words),
            "short": float(len(words(s.text)) < 6),
            # "— Name, Title" after a quotation is no heading, though it has no closing mark either.
            "heading": float(not _CLOSED.search(s.text) and not _ATTRIBUTION.match(s.text)),
            "dateline": float(dateline_end(s.text) > 0),
            "attribution": float(bool(_ATTRIBUTION.match(s.text))),
            "quote_asked": float(asks_said and bool(_QUOTE.search(s.text))),
            "defines": float(defines is not None and bool(defines.search(s.text))),
            "explains": float(asks_why and bool(_PURPOSE.search(s.text))),
            "open": float(q.kind is QuestionKind.OPEN),
        }
    best = max(s.features["coverage"] for s in sentences)
    is_open = float(q.kind is QuestionKind.OPEN)
    for s in sentences:
        s.features["open_content_coverage"] = is_open * s.features["content_coverage"]
        s.features["open_lead"] = is_open * s.features["lead"]
        s.features["open_cosine"] = 0.0
        s.features["coverage_gap"] = s.features["coverage"] - best
        s.features["cosine_gap"] = 0.0


def _definition(q: Question) -> re.Pattern[str] | None:
    """For "What is X?", "Who are X?", "What does X stand for?": how a sentence defines X ("X, a
    ...", "X is ...", "X (...", or the spelled-out name before "(X)")."""
    asked = _DEFINITION_QUESTION.match(q.text)
    if asked is None or q.kind is not QuestionKind.OPEN:
        return None
    term = re.escape(asked.group("term") or asked.group("short"))
    return re.compile(
        term
        + r"(?:['’]s)?\s*(?:,\s*(?:a|an|the)\b|\s(?:is|are|was|were|will be)\b|\s*\()|\(\s*"
        + term
        + r"\s*\)",
        re.IGNORECASE,
    )


class Speaker(NamedTuple):
    """Who said a quotation: the stems of the words naming them, and the sentence holding those."""

    stems: set[str]
    sentence: Sentence | None


def quotation_speakers(sentences: Sequence[Sentence]) -> dict[tuple[str, int], Speaker]:
    """For each sentence of a quotation, who said it: the words after the closing mark ('...,”
    said Name, Title.'), else an attribution line right after it ("— Name, Title"), else the
    words before the opening mark ('Name said: “...'). A quotation's sentences seldom name who
    said them; the speaker is their context. A one-sentence quotation counts when an attribution
    line follows it, or when it names nobody and goes on from the quotation just before it (else
    its speaker is in the sentence already)."""
    ordered = sorted(sentences, key=lambda s: (s.passage.doc_id, s.start))
    found: dict[tuple[str, int], Speaker] = {}
    group: list[Sentence] = []
    depth = 0
    previous: tuple[Sentence, Speaker] | None = None  # the quotation just before and its speaker
    for i, s in enumerate(ordered):
        opens, closes = s.text.count("\u201c"), s.text.count("\u201d")
        straight = s.text.count('"')
        following = ordered[i + 1] if i + 1 < len(ordered) else None
        after_quotation = previous if previous and _next_to(previous[0], s) else None
        previous = None
        if group and not _next_to(group[-1], s):
            group, depth = [], 0  # never closed before a gap in what was retrieved
        if not group:
            if opens > closes or straight % 2:  # opens a quotation this sentence does not close
                group, depth = [s], opens - closes + straight % 2
            elif opens or straight:
                speaker = _speaker([s], following)
                if speaker.sentence is not s and speaker.sentence is not None:
                    found[(s.passage.chunk_id, s.index)] = speaker  # an attribution line follows
                elif speaker.sentence is None and after_quotation is not None:
                    # '"...," Name said. "..."': a quotation on its own goes on with the last speaker
                    speaker = found[(s.passage.chunk_id, s.index)] = after_quotation[1]
                previous = (s, speaker) if speaker.stems else None
            continue
        group.append(s)
        depth += opens - closes - straight % 2
        if depth > 0 and len(group) < MAX_QUOTATION_SENTENCES:
            continue
        if depth <= 0:
            speaker = _speaker(group, following)
            for member in group:
                found[(member.passage.chunk_id, member.index)] = speaker
            previous = (s, speaker) if speaker.stems else None
        group, depth = [], 0
    return found


def _next_to(before: Sentence, after: Sentence) -> bool:
    """Whether ``after`` follows ``before`` in their document (in the same passage or the next)."""
    return before.passage.doc_id == after.passage.doc_id and 0 <= after.start - before.end <= MAX_GAP


def _attribution_after(last: Sentence, following: Sentence | None) -> bool:
    return following is not None and _next_to(last, following) and bool(_ATTRIBUTION.match(following.text))


def _speaker(group: list[Sentence], following: Sentence | None) -> Speaker:
    last = group[-1].text
    after = last[max(last.rfind("\u201d"), last.rfind('"')) + 1 :]
    if _NAMED.search(after):
        return Speaker(text_stems(after), group[-1])
    if _attribution_after(group[-1], following):
        assert following is not None
        return Speaker(text_stems(following.text), following)
    first = group[0].text
    marks = [i for i in (first.find("\u201c"), first.find('"')) if i >= 0]
    before = first[: min(marks)] if marks else ""
    return Speaker(text_stems(before), group[0] if _NAMED.search(before) else None)


def asks_who_said(q: Question) -> bool:
    """ "Who said ...?", "Which official described ...?": the answer is a quotation's speaker."""
    named = q.answer_type in (AnswerType.PERSON, AnswerType.ORGANISATION)
    return named and bool(_ASKS_SAID.search(q.text.lower()))


def quoted_spans(text: str, starts_inside: bool) -> list[tuple[int, int]]:
    """The character ranges of ``text`` inside quotation marks. A straight mark after a letter or
    punctuation closes, one at the start or after a space opens; ``starts_inside`` when the
    sentence continues a quotation opened before it."""
    spans: list[tuple[int, int]] = []
    opened = 0 if starts_inside else -1
    for i, ch in enumerate(text):
        if ch not in '\u201c\u201d"':
            continue
        after_word = i > 0 and not text[i - 1].isspace() and text[i - 1] not in "(["
        closes = ch == "\u201d" or (ch == '"' and after_word)
        if closes and opened >= 0:
            spans.append((opened, i + 1))
            opened = -1
        elif not closes and opened < 0:
            opened = i
    if opened >= 0:
        spans.append((opened, len(text)))
    return spans


def continues_quotation(sentence: Sentence, speakers: dict[tuple[str, int], Speaker]) -> bool:
    """Whether ``sentence`` goes on with a quotation opened in a sentence before it."""
    if (sentence.passage.chunk_id, sentence.index) not in speakers:
        return False
    first = next((i for i, ch in enumerate(sentence.text) if ch in '\u201c\u201d"'), -1)
    spans = quoted_spans(sentence.text, False)
    return first < 0 or not spans or spans[0][0] != first


def with_speaker(sentence: Sentence, speaker: Speaker | None) -> Sentence | None:
    """The quotation's sentence run on to (or back from) the sentence naming who said it, scored
    as the sentence itself: where a "Who said ...?" answer and its evidence are quoted together.
    None when the sentence names its speaker itself, or no speaker is known."""
    if speaker is None or speaker.sentence is None or speaker.sentence is sentence:
        return None
    first, last = sorted((sentence, speaker.sentence), key=lambda s: s.start)
    passage = _joined(first.passage, last.passage, first.start, last.end)
    if passage is None:
        return None
    text = passage.text[first.start - passage.start : last.end - passage.start]
    return replace(sentence, passage=passage, start=first.start, end=last.end, text=text)


def _joined(one: Passage, other: Passage, start: int, end: int) -> Passage | None:
    """``one`` run on into ``other`` (the passage after it in their document), when nothing of the
    document between them is missing; ``one`` itself when it holds ``start`` to ``end``."""
    if one.start <= start and end <= one.end:
        return one
    if other.doc_id != one.doc_id or other.start > one.end or other.end < end:
        return None
    text = one.text + other.text[one.end - other.start :]
    return one.model_copy(update={"text": text, "end": other.end})


def _covered(weights: dict[str, float], stems: set[str], title: set[str]) -> float:
    """Weight of the terms ``stems`` holds; a term only in the title counts about a third."""
    return sum(w * (1.0 if t in stems else 0.35 if t in title else 0.0) for t, w in weights.items())


def _typed(q: Question, text: str, pattern: re.Pattern[str] | None, question_words: set[str]) -> float:
    """Whether the sentence holds something of the asked type: a cheap look, no parsing."""
    if q.kind is QuestionKind.OPEN:
        return 0.0
    if pattern is not None:
        return float(bool(pattern.search(text)))
    if q.answer_type is AnswerType.OTHER and not q.head:
        return 0.0
    return float(any(m.group().lower() not in question_words for m in _CAPITALISED.finditer(text)))
