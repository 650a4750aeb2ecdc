"""Evidence sentences: every sentence of the retrieved passages, with the features the sentence
model scores (how much of the question it holds, how similar it is, where it stands)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from qa.extractive.quotations import ASKS_SAID, ATTRIBUTION, Speaker, quotation_speakers
from qa.extractive.splitting import Sentence
from qa.language.acronyms import asked_acronym, long_forms
from qa.language.answer_types import HEAD_TYPES, TYPE_PATTERNS, AnswerType
from qa.language.evidence import OPPOSITE_VERBS, name_words, names_support, text_stems
from qa.language.patterns import dateline_end
from qa.language.questions import Question, QuestionKind, subject_words
from qa.language.stemming import stem
from qa.text import words

LEAD_CHARS = 400  # sentences starting this close to the top of their document are its lead
_CAPITALISED = re.compile(r"(?<=\s)[A-Z][\w'’-]+")
_CLOSED = re.compile(r"[.!?…:;\"'”’)\]]$")
_QUOTE = re.compile(r"[“”\"]")
_DEFINITION_QUESTION = re.compile(
    r"^\W*(?i:what (?:is|was) (?P<holder>.+?)['’]s? (?:title|position|role|job|post)"
    r"|(?:what|who) (?:is|are|was|were) (?:the )?(?P<term>.+?)"
    r"|what (?:does|do|did) (?:the )?(?:(?:acronym|abbreviation) )?(?P<short>.+?) (?:stand for|mean))\W*$"
)
# A person's title after their name: "Jane Roe, Director of Research at Acme".
_TITLE_AFTER = (
    r",\s*(?:(?:[\w-]+\s+){0,3}(?:"
    + "|".join(sorted(HEAD_TYPES[AnswerType.PERSON] | {"vice", "deputy", "permanent", "senior", "managing"}))
    + r")\b)"
)
_PURPOSE = re.compile(
    r"\b(?:because|since|as part of|in order to|so that|aims? to|to (?:help|support|meet|address|"
    r"expand|accelerate|strengthen|build|bring|give|make)|designed to|intended to|reflects?|given|due to|"
    r"thanks to)\b",
    re.IGNORECASE,
)
# A sentence opening with one of these continues the one before it ("This partnership with ...",
# "It will create ..."), as does one whose subject is one of them after an opening phrase ("With
# funding of $5 million, it plans to ...", "After ten years at Acme, she joined ..."): what it is about
# was named there.
_REFERS_BACK = frozenset("this these that those it its they their he she his her such".split())
_OPENING_PHRASE = re.compile(r"^[^,.;:!?]{2,80},\s+([A-Za-z]+)")


def refers_back(text: str) -> bool:
    """Whether a sentence's subject is a word standing for something named before it."""
    opening = words(text[:20])
    if opening and opening[0] in _REFERS_BACK:
        return True
    after = _OPENING_PHRASE.match(text)
    return after is not None and after.group(1).lower() in _REFERS_BACK


def term_weights(q: Question, sentences: Sequence[Sentence]) -> dict[str, float]:
    """The question's terms (as stems) weighted by rarity among the retrieved sentences."""
    stems = [text_stems(s.text) for s in sentences]
    weights: dict[str, float] = {}
    for term in q.terms:
        key = stem(term)
        df = sum(1 for s in stems if key in s)
        weights[key] = max(weights.get(key, 0.0), max(math.log((len(stems) + 1) / (df + 0.5)), 0.2))
    return weights


@dataclass(frozen=True)
class _Asked:
    """What of the question the sentence features compare with; computed once per question."""

    boosted: dict[str, float]  # term weights, names and numbers counting more
    content: dict[str, float]  # term weights outside the question's names
    names: list[list[str]]
    name_stems: set[str]
    verbs: set[str]
    subject: dict[str, float]
    words: set[str]
    pattern: re.Pattern[str] | None
    said: bool  # asks what someone said
    why: bool
    defines: re.Pattern[str] | None
    acronym: str  # the acronym whose long form the question asks for ("What is IEA short for?")

    @classmethod
    def of(cls, q: Question, sentences: Sequence[Sentence], verbs: Sequence[str]) -> _Asked:
        weights = term_weights(q, sentences)
        name_stems = {stem(w) for n in q.names for w in words(n)}
        boosted = {
            t: w * (1.6 if t in name_stems or any(c.isdigit() for c in t) else 1.0)
            for t, w in weights.items()
        }
        # Every term inside a name ("Who is the Head of Harbour Operations at Acme?"): all are content.
        content = {t: w for t, w in weights.items() if t not in name_stems} or dict(weights)
        if q.head and q.kind is QuestionKind.FACTOID:
            # "which company", "how many jobs": the answering sentence rarely says "company", and
            # often gives the count in other words ("technical positions").
            for table in (boosted, content):
                if stem(q.head) in table:
                    table[stem(q.head)] *= 0.3
        return cls(
            boosted=boosted,
            content=content,
            names=name_words(q.names),
            name_stems=name_stems,
            verbs={stem(v) for v in verbs},
            subject={stem(w): weights.get(stem(w), 0.2) for w in subject_words(q.text, list(verbs))},
            words={w.lower() for w in words(q.text)},
            pattern=TYPE_PATTERNS.get(q.answer_type),
            said=bool(ASKS_SAID.search(q.text.lower())),
            why=q.text.lower().lstrip(" \"'“").startswith("why"),
            defines=_definition(q),
            acronym=asked_acronym(q.text) if q.kind is QuestionKind.OPEN else "",
        )


def add_lexical_features(q: Question, sentences: Sequence[Sentence], verbs: Sequence[str]) -> None:
    """Every feature but the cosine (set to 0 here; ``add_cosines`` fills it in)."""
    asked = _Asked.of(q, sentences, verbs)
    total = sum(asked.boosted.values()) or 1.0
    content_total = sum(asked.content.values()) or 1.0
    subject_total = sum(asked.subject.values())
    per_passage: dict[str, tuple[AbstractSet[str], AbstractSet[str], str]] = {}
    by_position = {(s.passage.chunk_id, s.index): text_stems(s.text) for s in sentences}
    speakers = quotation_speakers(sentences)
    for s in sentences:
        stems = by_position[(s.passage.chunk_id, s.index)]
        before = by_position.get((s.passage.chunk_id, s.index - 1), frozenset())
        context = stems | before if refers_back(s.text) else stems
        speaker = speakers.get((s.passage.chunk_id, s.index))
        context = context | (speaker.stems if speaker else set())
        if s.passage.chunk_id not in per_passage:
            heading = text_stems(s.passage.title)
            haystack = " ".join(words(s.passage.title + " " + s.passage.text))
            per_passage[s.passage.chunk_id] = (heading, heading | text_stems(s.passage.text), haystack)
        title, passage_stems, haystack = per_passage[s.passage.chunk_id]
        mean_name, s.least_name = names_support(asked.names, haystack, stems | passage_stems)
        said = stems | {OPPOSITE_VERBS[w] for w in stems if w in OPPOSITE_VERBS}
        # "These engineers will work ...": what a sentence that refers back is about was named before.
        subject = sum(w for t, w in asked.subject.items() if t in context)
        s.features = {
            "coverage": _covered(asked.boosted, stems, title) / total,
            "passage_coverage": sum(w for t, w in asked.boosted.items() if t in passage_stems) / total,
            "context_coverage": _covered(asked.boosted, context, title) / total,
            "content_coverage": sum(w for t, w in asked.content.items() if t in stems) / content_total,
            "cosine": 0.0,
            "names": mean_name,
            "least_name": s.least_name,
            "rank": 1.0 / (1 + s.rank),
            "both_rankings": float(s.passage.dense_rank is not None and s.passage.lexical_rank is not None),
            "verbs": len(asked.verbs & said) / len(asked.verbs) if asked.verbs else 1.0,
            "subject": subject / subject_total if asked.subject else 1.0,
            "speaker_asked": _speaker_asked(asked, s, stems, speaker),
            **_shape(q, asked, s, speaker is not None),
        }
    best = max(s.features["coverage"] for s in sentences)
    is_open = float(q.kind is QuestionKind.OPEN)
    for s in sentences:
        s.features["open_content_coverage"] = is_open * s.features["content_coverage"]
        s.features["open_lead"] = is_open * s.features["lead"]
        s.features["open_cosine"] = 0.0
        s.features["coverage_gap"] = s.features["coverage"] - best
        s.features["cosine_gap"] = 0.0


def _shape(q: Question, asked: _Asked, s: Sentence, quoted: bool) -> dict[str, float]:
    """The features of what the sentence is and where it stands, whatever words it shares;
    ``quoted``: the sentence belongs to a quotation whose speaker was looked for (its middle
    sentences hold no quote mark of their own)."""
    return {
        "headline": float(s.text.strip() == s.passage.title.strip()),
        "lead": float(s.start < LEAD_CHARS),
        "typed": _typed(q, s.text, asked.pattern, asked.words),
        "short": float(len(words(s.text)) < 6),
        # "— Name, Title" after a quotation is no heading, though it has no closing mark either.
        "heading": float(not _CLOSED.search(s.text) and not ATTRIBUTION.match(s.text)),
        "dateline": float(dateline_end(s.text) > 0),
        "attribution": float(bool(ATTRIBUTION.match(s.text))),
        "quote_asked": float(asked.said and (quoted or bool(_QUOTE.search(s.text)))),
        "defines": _defines(asked, s.text),
        "explains": float(asked.why and bool(_PURPOSE.search(s.text))),
        "open": float(q.kind is QuestionKind.OPEN),
    }


def _speaker_asked(asked: _Asked, s: Sentence, stems: AbstractSet[str], speaker: Speaker | None) -> float:
    """ "What did Name say ...?": whether the sentence is part of a quotation by someone the
    question names, or the line attributing one to them. Who said a quotation is its context
    ("said Name" after the last of its sentences, "— Name, Title" on the line after); a quoted
    sentence or attribution line that no context was found for names its speaker itself."""
    if not asked.said or not asked.name_stems:
        return 0.0
    if speaker is not None:
        spoken_by = speaker.stems
    elif _QUOTE.search(s.text) or ATTRIBUTION.match(s.text):
        spoken_by = stems
    else:
        return 0.0
    return float(bool(asked.name_stems & spoken_by))


def _defines(asked: _Asked, text: str) -> float:
    """Whether the sentence defines what the question asks about: spells out the asked acronym
    (however the question asks for it), or defines the asked term the way ``_definition`` reads."""
    if asked.acronym:
        return float(bool(long_forms(text, asked.acronym)))
    return float(asked.defines is not None and bool(asked.defines.search(text)))


def _definition(q: Question) -> re.Pattern[str] | None:
    """For "What is X?", "Who are X?", "What is X's title?", "What does X stand for?": how a
    sentence defines X ("X, a ...", "X is ...", "X (...", "X, Chief ..." or the spelled-out name
    before "(X)")."""
    asked = _DEFINITION_QUESTION.match(q.text)
    if asked is None or q.kind is not QuestionKind.OPEN:
        return None
    term = re.escape(asked.group("holder") or asked.group("term") or asked.group("short"))
    forms = (
        term + r"(?:['’]s)?\s*(?:,\s*(?:a|an|the)\b|\()",  # "X, a ...", "X (...)"
        # "X is ...", with X the sentence's subject (or with a word saying what X is: "The X
        # initiative is ..."): not "a programme for X will be launched"
        r"^\W*(?:the\s+)?" + term + r"(?:\s+[a-z][\w-]*)?\s+(?:is|are|was|were|will be)\b",
        r"\(\s*" + term + r"\s*\)",  # the spelled-out name before "(X)"
        term + _TITLE_AFTER,  # "X, Chief ..."
    )
    return re.compile("|".join(forms), re.IGNORECASE)


def _covered(weights: dict[str, float], stems: AbstractSet[str], title: AbstractSet[str]) -> float:
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
