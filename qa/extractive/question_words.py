"""What of a factoid question its candidates are compared with, computed once per question: its
stems and lemmas, its names and numbers, the asked noun and the phrase around it, its verbs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.language.evidence import ALIASES, OPPOSITE_VERBS
from qa.language.lexicon import HEAD_KINDS, QUESTION_WORDS
from qa.language.questions import RUNNER_UP, Question
from qa.language.stemming import lemma, stem
from qa.text import STOPWORDS, word_spans, words

_RELEASE_WORDS = re.compile(r"\b(announce|announced|release|released|published|dated)\b")


@dataclass(frozen=True)
class QuestionWords:
    """What of the question the candidate features compare with; computed once per question."""

    stems: frozenset[str]  # of the question and its context
    lemmas: frozenset[str]  # of the question, whole words
    numbers: frozenset[str]  # numbers among the question's names
    names: frozenset[str]  # words of the question's names, whole ("French" also names France)
    head: str  # stem of the asked noun
    heads: frozenset[str]  # stems of it and, for a generic head ("event"), of its kinds ("summit")
    opposite_verbs: frozenset[str]
    asked_phrase: frozenset[str]  # stems of the phrase a which/what question asks about
    asks_release: bool  # asks when/where something was announced or published
    verbs: frozenset[str]  # stems of the question's content verbs
    content: frozenset[str]  # stems of its words outside names, stopwords and question words

    @classmethod
    def of(cls, q: Question, verbs: Sequence[str]) -> QuestionWords:
        stems = {stem(w) for w in words(q.text + " " + q.context)}
        if RUNNER_UP.search(q.text):
            stems.add("lose")  # the runner-up is who lost
        names = {
            w.removesuffix("'s").removesuffix("’s") for n in q.names for w in words(n) if not w[0].isdigit()
        }
        names |= {ALIASES[w] for w in names if w in ALIASES}
        return cls(
            stems=frozenset(stems),
            lemmas=frozenset(lemma(w) for w in words(q.text)),
            numbers=frozenset(w for n in q.names for w in words(n) if any(c.isdigit() for c in w)),
            names=frozenset(names),
            head=stem(q.head) if q.head else "",
            heads=frozenset(stem(w) for w in {q.head, *HEAD_KINDS.get(q.head, ())} if w),
            opposite_verbs=frozenset(OPPOSITE_VERBS[w] for w in stems if w in OPPOSITE_VERBS),
            asked_phrase=frozenset(asked_phrase(q)),
            asks_release=bool(_RELEASE_WORDS.search(q.text.lower())),
            verbs=frozenset(stem(v) for v in verbs),
            content=frozenset(_content_stems(q.text, names)),
        )


def _content_stems(question: str, names: set[str]) -> set[str]:
    """Stems of the question's words outside its names, numbers, stopwords and question words (all
    its words but numbers when every one is in a name: "Who is the Head of Harbour Operations at Acme?").
    Numbers are left to ``closeness``: in "2018 - A, 2019 - B" the asked 2019 follows A but is B's."""
    plain = [w.removesuffix("'s").removesuffix("’s") for w in words(question)]
    plain = [w for w in plain if w not in STOPWORDS and w not in QUESTION_WORDS and not w[0].isdigit()]
    return {stem(w) for w in plain if w not in names} or {stem(w) for w in plain}


def asked_phrase(q: Question) -> set[str]:
    """Stems of the phrase a which/what question asks about, up to its head ("national programme"
    in "Which national programme ...?"): an answer may repeat them ("National Robotics Skills Programme")."""
    if not q.head:
        return set()
    tokens = [span.text for span in word_spans(q.text)]
    head = stem(q.head)
    for i, token in enumerate(tokens):
        if token.lower() in {"which", "what"}:
            phrase = [stem(t) for t in tokens[i + 1 : i + 6]]
            if head in phrase:
                # Not the names in it: "Which Kenyan ministry" is not answered by "Kenya Health".
                asked = tokens[i + 1 : i + 1 + phrase.index(head) + 1]
                return {stem(t) for t in asked if not t[0].isupper()}
    return {head}
