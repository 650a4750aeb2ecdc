"""Answer candidates of a factoid question and the named features the candidate model scores.

Candidates come from the span finder (entities widened to whole answers) and from the question's
head noun ("the Old Town district" for "In which district ...?"). A few filters are rules for
classes of questions, each with examples from several documents: never answer with what the
question itself names, never with a press release's dateline unless the question asks when or
where something was announced. Everything else is a feature; the fitted candidate model weighs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import takewhile

from qa.extractive.echoes import without_question_words
from qa.extractive.question_words import QuestionWords
from qa.extractive.splitting import Sentence
from qa.language.answer_types import AnswerType
from qa.language.evidence import (
    COMPATIBLE,
    HEAD_TYPED,
    SUPERSEDED,
    date_precision,
    vote_key,
)
from qa.language.labels import Label, Role
from qa.language.lexicon import TITLE_HEADS, VENUES
from qa.language.patterns import (
    VERSION_HEADS,
    dateline_end,
    head_candidates,
    list_candidates,
    version_candidates,
)
from qa.language.questions import Question
from qa.language.spans import NAMED, Candidate
from qa.language.stemming import stem
from qa.text import STOPWORDS, Span, word_spans, words

_OWNER = re.compile(r"([A-Z][\w-]*)['’]s\s+(?=\S)")
_FLIPPED = {Role.AGENT: Role.PATIENT, Role.PATIENT: Role.AGENT}
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# A country naming a currency ("300 million Hong Kong dollars") is a unit, not an echo of the question.
_CURRENCY_NAME = re.compile(r"\b[A-Z]\w+\s+(?:dollars?|pounds?|francs?|pesos?|rupees?|krona|kronor|yuan)\b")
NEARBY_WORDS = 6


@dataclass
class Choice:
    """A candidate answer in its sentence, with its features and the candidate model's logit."""

    sentence: Sentence
    candidate: Candidate
    features: dict[str, float] = field(default_factory=dict)
    logit: float = 0.0


def sentence_candidates(q: Question, sentence: Sentence, found: list[Candidate]) -> list[Candidate]:
    """The span finder's candidates plus the head-noun (and version) phrases a which-question asks
    for, and for a plural head ("Which sectors ...?") the lists that answer it whole."""
    if q.head and _plural(q.head):
        lists = list_candidates(sentence.text, q.head, found)
        found = [
            *found,
            *(replace(c, answer_type=q.answer_type) if c.label == Label.HEAD else c for c in lists),
        ]
    if q.head and q.answer_type in HEAD_TYPED:
        typed = [replace(c, answer_type=q.answer_type) for c in head_candidates(sentence.text, q.head)]
        if q.head in VERSION_HEADS:
            typed += version_candidates(sentence.text)
        return [*typed, *found]
    return found


def _plural(noun: str) -> bool:
    return len(noun) > 3 and noun.endswith("s") and not noun.endswith(("ss", "us", "is"))


def choices_in(q: Question, qw: QuestionWords, sentence: Sentence, found: list[Candidate]) -> list[Choice]:
    """The candidates of one sentence that may answer ``q``, each with its features (votes = 0)."""
    words_ = _Words.of(sentence.text)
    anchors = words_.anchors(qw.stems - {qw.head})
    number_anchors = words_.anchors(qw.numbers)
    dateline = 0 if qw.asks_release else dateline_end(sentence.text)
    shared_facts = {
        "superseded": float(bool(SUPERSEDED.search(sentence.text))),
        "listed": float(len(set(_YEAR.findall(sentence.text))) > 2),  # a table flattened into a sentence
    }
    choices = []
    candidates = sentence_candidates(q, sentence, found)
    for cand in candidates:
        if cand.end <= dateline:
            continue  # the dateline's city and date say where and when it was issued
        kind = cand.answer_type
        fitted = _fit(q, qw, cand)
        if fitted is None:
            continue
        cand, compat, same_verb = fitted
        features = _features(q, qw, sentence, cand, compat, same_verb, anchors, number_anchors, shared_facts)
        if features is not None:
            rivals = [c for c in candidates if c.answer_type is kind]
            features[1]["nearby"] = words_.nearby(features[0], qw.content, rivals)
            choices.append(Choice(sentence, features[0], features[1]))
    return choices


def _fit(q: Question, qw: QuestionWords, cand: Candidate) -> tuple[Candidate, float, bool] | None:
    """The candidate in its role for the question, its type compatibility and whether it is the doer
    or undergoer of the question's own verb; None when its type cannot answer."""
    compat = COMPATIBLE[q.answer_type].get(cand.answer_type, 0.0)
    guessed = cand.label == Label.PROPN and q.answer_type in NAMED
    if guessed and cand.text.rsplit(None, 1)[-1].lower() in TITLE_HEADS:
        return None  # "Chief Ferry Officer": a post, not who holds it nor a company or place
    if guessed:
        compat = max(compat, 0.5)  # a proper noun the tagger missed ("acquired by Acme")
    same_verb = stem(cand.verb) in qw.stems
    if stem(cand.verb) in qw.opposite_verbs and cand.role in _FLIPPED:
        # "X lost to Y" says who won as "Y beat X" does.
        cand, same_verb = replace(cand, role=_FLIPPED[cand.role]), True
    if same_verb and cand.role and cand.role == q.wants and q.answer_type in NAMED and compat:
        compat = 1.0  # the doer of the question's own verb, whatever the tagger called it
    # "Where was it signed?" (not "In which district ...?", which names the kind of place it wants)
    venue = (
        q.answer_type is AnswerType.PLACE and not q.head and cand.text.rsplit(None, 1)[-1].lower() in VENUES
    )
    if venue:
        compat = 1.0  # "at the Harbour Tech Summit", whatever the tagger called it, or nothing
    elif compat == 0.0 or (q.answer_type is not AnswerType.OTHER and cand.label == Label.NP):
        return None
    owner = _OWNER.match(cand.text)
    if owner and stem(owner.group(1)) in qw.stems:
        # "Norland's Ministry of Fisheries" for "Which Norlandic ministry ...?"
        cand = replace(cand, start=cand.start + owner.end(), text=cand.text[owner.end() :])
    return cand, compat, same_verb


def _features(
    q: Question,
    qw: QuestionWords,
    sentence: Sentence,
    cand: Candidate,
    compat: float,
    same_verb: bool,
    anchors: list[float],
    number_anchors: list[float],
    facts: dict[str, float],
) -> tuple[Candidate, dict[str, float]] | None:
    trimmed = without_question_words(q, qw, cand)
    if trimmed is None:
        return None
    cand, cand_words, shared = trimmed
    numeric = any(ch.isdigit() for ch in cand.text)
    middle = (cand.start + cand.end) / 2
    inside = any(cand.start <= a <= cand.end for a in anchors)
    distance = 0.0 if inside else min((abs(a - middle) for a in anchors), default=200.0) / 6.0
    closeness = 0.0
    if number_anchors and not numeric:
        # The name next to the asked year in a list ("2021, A; 2020, B"); lists mostly put the year first.
        before = [(cand.start - a) / 6.0 for a in number_anchors if a <= cand.start]
        after = [(a - cand.end) / 6.0 for a in number_anchors if a >= cand.end]
        closeness = max(
            1.0 / (1.0 + min(before, default=99.0) / 2.0), 0.5 / (1.0 + min(after, default=99.0) / 2.0)
        )
    roles = _roles(q, cand, same_verb)
    unit_free = _CURRENCY_NAME.sub("", cand.text)
    features = {
        "sentence": sentence.logit,
        "in_heading": sentence.features["heading"],
        "compat": compat,
        "guessed_name": float(cand.label == Label.PROPN),
        "specific": float(cand.specific),
        "proximity": 1.0 / (1.0 + distance / 4.0),
        "nearby": 0.0,  # set by choices_in, which knows the sentence's other candidates
        "closeness": closeness,
        "has_head": float(any(w in qw.heads for w in cand_words) and not numeric),
        "numeric_echo": float(numeric and shared > 0),
        **roles,
        "echoes_name": float(cand.label != Label.HEAD and any(w in qw.names for w in words(unit_free))),
        "date_precision": date_precision(cand.text) if cand.answer_type is AnswerType.DATE else 1.0,
        "superseded": facts["superseded"],
        "located": float(sentence.text[cand.end : cand.end + 6] == "-based"),
        "listed_far": facts["listed"] * (1.0 - closeness),
        "overlap": 0.0 if numeric else shared / len(cand_words),
        "votes": 0.0,
    }
    return cand, features


def _roles(q: Question, cand: Candidate, same_verb: bool) -> dict[str, float]:
    """The candidate's syntactic role against the one the question asks for."""
    roles = dict.fromkeys(("role_own_verb", "role_match", "role_opposite", "role_other", "setting"), 0.0)
    roles["agent_own_verb"] = float(not q.wants and cand.role == Role.AGENT and same_verb)
    if q.wants and cand.role == Role.SETTING:
        roles["setting"] = 1.0  # "Which country won ...?": not the one it was held "in"
    elif q.wants and cand.role:
        if cand.role == q.wants:
            roles["role_own_verb" if same_verb else "role_match"] = 1.0
        else:
            roles["role_opposite" if same_verb else "role_other"] = 1.0
    return roles


@dataclass(frozen=True)
class _Words:
    """A sentence's words and their stems, found once for every candidate of the sentence."""

    spans: list[Span]
    stems: list[str]

    @classmethod
    def of(cls, sentence: str) -> _Words:
        spans = word_spans(sentence)
        return cls(spans, [stem(w.text) for w in spans])

    def anchors(self, question_words: frozenset[str] | set[str]) -> list[float]:
        """Middles of the sentence's words the question uses (no stopwords)."""
        return [
            (w.start + w.end) / 2
            for w, st in zip(self.spans, self.stems, strict=True)
            if st in question_words and w.text.lower() not in STOPWORDS
        ]

    def nearby(self, cand: Candidate, content: frozenset[str], rivals: list[Candidate]) -> float:
        """The share of ``content`` said within NEARBY_WORDS words either side of the candidate,
        and no further than the next candidate of its type: "Dr. Ana Roos, its chief scientific
        officer" for "Who is the chief scientific officer?"."""
        if not content:
            return 0.0
        left = max((r.end for r in rivals if r.end <= cand.start), default=0)
        right = min((r.start for r in rivals if r.start >= cand.end), default=cand.end + 10**9)
        words_ = list(zip(self.spans, self.stems, strict=True))
        before = [(w, st) for w, st in words_ if left <= w.start and w.end <= cand.start][-NEARBY_WORDS:]
        after = [(w, st) for w, st in words_ if cand.end <= w.start and w.end <= right][:NEARBY_WORDS]
        # A number ends the window: it starts the next entry of a list ("2018 - A, 2019 - B").
        numbered = [i for i, (w, _) in enumerate(before) if any(c.isdigit() for c in w.text)]
        before = before[numbered[-1] :] if numbered else before
        after = list(takewhile(lambda pair: not any(c.isdigit() for c in pair[0].text), after))
        return len(content & {st for _, st in before + after}) / len(content)


def add_votes(choices: list[Choice], wants: Role = Role.NONE) -> None:
    """Count, for each choice, the other sentences that give the same answer (news repeats facts).

    A sentence only votes when it is about the question's names and does not give the candidate the
    opposite role; a full name or date also collects the votes of its short forms.
    """
    support: dict[str, set[tuple[str, int]]] = {}
    for choice in choices:
        cand = choice.candidate
        if choice.features["compat"] < 0.5 or choice.sentence.features["names"] < 0.6:
            continue
        if wants and cand.role and cand.role != wants:
            continue
        support.setdefault(vote_key(cand.text), set()).add(
            (choice.sentence.passage.doc_id, choice.sentence.start)
        )
    for choice in choices:
        key = vote_key(choice.candidate.text)
        typed = choice.candidate.answer_type is not AnswerType.OTHER
        voters = set().union(
            *(v for k, v in support.items() if k == key or (typed and f" {k} " in f" {key} "))
        )
        others = len(voters - {(choice.sentence.passage.doc_id, choice.sentence.start)})
        choice.features["votes"] = float(min(others, 3))
