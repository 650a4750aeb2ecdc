"""Question analysis: the actual question, its expected answer type and its key terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from qa.language.answer_types import FOR_WHOM, HEAD_TYPES, AnswerType, expected_type, generic_head
from qa.language.labels import Role
from qa.language.lexicon import (
    AUXILIARIES,
    AUXILIARY,
    QUARTER_PHRASE,
    QUESTION_WORDS,
    RELATIVE_TIME,
    WH_WORDS,
    quarter_of,
)
from qa.text import STOPWORDS, sentence_spans, words


class QuestionKind(StrEnum):
    """What form an answer takes: a short span for a typed fact, the document's own sentence(s) else."""

    FACTOID = "factoid"  # how many / how much / when / who / where / which named thing
    OPEN = "open"  # what is / what will / why / how / describe / list / what did X say


# A sentence that asks: a wh-word, or "Name the ..." of a quiz.
_ASKS = re.compile(rf"\b(?:{'|'.join(sorted(WH_WORDS | {'name'}))})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """A question analysed (``analyse``): made once per question and handed from retrieval to the
    answerer, so nobody changes it (``with_context`` makes a copy)."""

    text: str  # the actual question (context sentences of quiz-style questions removed)
    context: str  # anything before it
    answer_type: AnswerType
    head: str = ""  # head noun of "which/what X"
    terms: list[str] = field(default_factory=list)  # content words, lower case
    names: list[str] = field(default_factory=list)  # capitalised phrases and numbers the question names
    wants: Role = Role.NONE  # AGENT for "Who won ...?", PATIENT for "Whom did ... hire?"
    kind: QuestionKind = QuestionKind.FACTOID


def find_question(raw: str) -> tuple[str, str]:
    """Split quiz-style input into (context, actual question): the last sentence that asks."""
    raw = " ".join(raw.split())
    sentences = [s.text for s in sentence_spans(raw)]
    if len(sentences) <= 1:
        return "", raw
    for i in range(len(sentences) - 1, -1, -1):
        if sentences[i].endswith("?") or _ASKS.search(sentences[i]):
            return " ".join(sentences[:i]), " ".join(sentences[i:])
    return "", raw


# Words naming the asked type itself: the answer gives a date, a sum or a place, rarely the word
# ("When is the release date?", "What sum was pledged?", "How much money ...?", "stadium location").
_TYPE_WORDS: dict[AnswerType, frozenset[str]] = {
    AnswerType.DATE: frozenset({"date", "dates", "day", "year"}),
    AnswerType.MONEY: frozenset({"money", "sum", "amount"}),
    AnswerType.PLACE: frozenset({"location", "place"}),
}
_NAME = re.compile(  # linear: a lowercase run is tried from its start only; spaces are not given back
    r"(?:(?<![a-z])[a-z]*[A-Z][\w&.'’-]*|\d[\d,.]*%?)"
    r"(?:\s++(?:of|for|and|de|the|&)?\s*+(?:[a-z]*[A-Z][\w&.'’-]*|\d[\d,.]*))*"
)


def analyse(raw: str, context: str = "") -> Question:
    """Everything the answerer needs to know about a question. ``context`` (terms carried from a
    conversation) adds terms that help find the article, but no names the answer must meet
    (``with_context``): retrieval analyses a question once, and re-ranks with its context."""
    q = _analyse(raw)
    return with_context(q, context) if context else q


def with_context(q: Question, context: str) -> Question:
    """``q`` with the content words of ``context`` (terms carried from a conversation) added to
    its terms; its names, type and everything else stay as they are. ``q`` is not changed."""
    terms = [w for w in dict.fromkeys(words(context)) if w not in STOPWORDS and w not in q.terms]
    return replace(q, terms=[*q.terms, *_type_word_free(q, _timeless(terms, context))])


def _timeless(terms: list[str], text: str) -> list[str]:
    """``terms`` without the words of a time told from now in ``text`` ("this week", "on Tuesday")."""
    relative = {w for m in RELATIVE_TIME.finditer(text) for w in words(m.group())}
    return [t for t in terms if t not in relative] if relative else terms


def _type_word_free(q: Question, terms: list[str]) -> list[str]:
    """``terms`` without the words naming the question's own answer type ("date" for a date
    question, "money" for a money question); not those inside a name ("Patriots' Day")."""
    dropped = _TYPE_WORDS.get(q.answer_type, frozenset())
    named = {w for n in q.names for w in words(n)}
    return [t for t in terms if t not in dropped or t in named]


def _analyse(raw: str) -> Question:
    quiz_context, text = find_question(raw)
    answer_type, head = expected_type(text)
    if _WHAT_IS_NAME.search(text):
        answer_type, head = AnswerType.OTHER, ""  # the type word is part of the name (_WHAT_IS_NAME)
    terms = _timeless([w for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS], text)
    names = []
    for match in _NAME.finditer(text):
        name = match.group().strip(" .,")
        first = name.split()[0].lower() if name else ""
        named = (name and first not in QUESTION_WORDS and first not in STOPWORDS) or (
            name and name[0].isdigit()
        )
        if named and not RELATIVE_TIME.fullmatch(name):  # "Monday" is a day, not a name to meet
            names.append(name)
    # "in the second quarter of 2025" constrains the answer like a name does ("Q2" in the text).
    names += [quarter_of(m.group(1)).upper() for m in QUARTER_PHRASE.finditer(text)]
    if answer_type is AnswerType.OTHER and not head:
        head = generic_head(text)
    counted = re.search(r"\bhow many ((?:\w+ ?){1,3})", text.lower())
    if counted and not head:
        # What is counted is often paraphrased in the answer ("jobs" -> "technical positions").
        run = []
        for word in counted.group(1).split():
            if word in STOPWORDS:
                break
            run.append(word)
        head = run[-1] if run else ""
    q = Question(
        text=text,
        context=quiz_context,
        answer_type=answer_type,
        head=head,
        terms=terms,
        names=names,
        wants=_wants(text),
        kind=question_kind(text, answer_type),
    )
    q = replace(q, terms=_type_word_free(q, terms))
    # A quiz's lead-in ("Brenna beat Ostwick in the final. Who scored?") says what the answer
    # is about: its words help find the sentence, as a conversation's do.
    return with_context(q, quiz_context) if quiz_context else q


_SUBJECT_ENDS = frozenset("be been being based located called known".split())


def subject_words(text: str, verbs: list[str]) -> list[str]:
    """The content words of what a question asks about: between its first auxiliary and its
    main verb. "How many jobs will the lab create?" -> ["lab"]; "When did the firm open its
    office?" -> ["firm"]; "What is the Harbour Fund?" -> ["harbour", "fund"]. Empty when the
    wh-word itself is the subject ("Who founded the firm?")."""
    tokens = words(text)
    verb_set = {v.lower() for v in verbs}
    start = next((i for i, w in enumerate(tokens) if w in AUXILIARIES), None)
    if start is None:
        return []
    found = []
    for word in tokens[start + 1 :]:
        if word in verb_set or word in _SUBJECT_ENDS:
            break
        if word not in STOPWORDS and word not in QUESTION_WORDS:
            found.append(word)
    return found


# Nouns of "what X ...?" that ask for a named thing (a title, a model, an award), not a statement.
_NAMED_THINGS = frozenset(
    """film films movie movies song songs album albums book books novel game games show shows series
    app apps product products device devices phone phones model models award awards prize prizes title
    titles brand brands name names vehicle car cars drug drugs vaccine vaccines event events tournament
    trophy character characters platform platforms software system systems version versions feature
    programme program programs programmes initiative project projects record records language""".split()
)
# Yes/no questions and "what + verb" ("What caused ...?", "What happened ...?") ask for a statement.
_YES_NO = re.compile(rf"^\W*{AUXILIARY}\b")
_WHAT_VERB = re.compile(r"^\W*what (?:\w+ed|happens|happened|makes|made|causes|drives|led)\b")
_OPEN_START = re.compile(
    r"^\W*(?:why|how(?! (?:many|much|long|old|far|big|large|small|tall|often|soon|high|low|fast)\b)"
    r"|describe|explain|list|summari[sz]e|outline|tell me|in what way|for what (?:reason|purpose))\b"
)
_WHAT_CLAUSE = re.compile(rf"^\W*what(?:'s| {AUXILIARY})\b")
_WHO_IS_NAME = re.compile(r"^\W*(?i:who) (?:is|are|was|were) (?:the )?(?:[A-Z][\w'’&.-]*\s*)+\W*$")
# "What is the Harbour Fund?", "What is Acme for Schools?": a name alone, asked what it is. Its last
# word may name a type ("Fund", "Prize", "Grant"), but the question asks for no typed fact: with no
# type, question_kind makes it open as any "What <noun> ...?" of no named-thing head.
_WHAT_IS_NAME = re.compile(
    r"^\W*(?i:what) (?:is|are|was|were) (?:the )?[A-Z0-9][\w'’&.-]*"
    r"(?:\s+(?:of|for|and|&|the|[A-Z0-9][\w'’&.-]*))*\s*\W*$"
)
# "What does the grant cover?", "What will the lab do?": the noun after the auxiliary is the subject,
# and the question asks for a statement about it.
_WHAT_DO = re.compile(r"^\W*what ((?:[\w-]+ ){0,2})(?:does|do|did|will|would|can|could|should)\b")
_ASKS_AMOUNT_OR_NAME = re.compile(r"\b(?:cost|costs|pay|charge|raise|earn)\W*$|\b(?:called|named|name)\b")
_SAID = re.compile(r"\b(?:say|said|says|tell|told|describe[sd]?|explain(?:ed|s)?|comment(?:ed)?)\b")


def question_kind(text: str, answer_type: AnswerType) -> QuestionKind:
    """Open when the question asks for a statement (why, how, what will, what did X say, describe,
    who is <a name>), factoid when it asks for a typed fact or a named thing ("which film")."""
    lowered = text.lower()
    if _OPEN_START.search(lowered) or _WHAT_VERB.search(lowered):
        return QuestionKind.OPEN
    what_do = _WHAT_DO.search(lowered)
    if what_do:
        # "What does the grant cover?", "What support does IEA offer?": a statement is asked; not so
        # "What amount did X raise?" or "What film did she direct?" (a typed or named head before the verb).
        # Nor "What will the depot cost?", "What will the lab be called?", "What did Acme name its
        # chip?": the verb itself asks for an amount or a name.
        asked = what_do.group(1).split()
        typed_head = any(w in nouns for w in asked for nouns in (*HEAD_TYPES.values(), _NAMED_THINGS))
        typed_verb = not asked and not _SAID.search(lowered) and bool(_ASKS_AMOUNT_OR_NAME.search(lowered))
        return QuestionKind.FACTOID if typed_head or typed_verb else QuestionKind.OPEN
    if (
        _YES_NO.search(lowered)
        or re.search(r"^\W*what (?:kind|sort|type)s? of\b", lowered)
        or FOR_WHOM.search(text)
    ):
        return QuestionKind.OPEN
    # "Who are the Field Fellows?" asks what they are; "Who is the CEO?" names a role.
    if (
        answer_type is AnswerType.PERSON
        and _WHO_IS_NAME.search(text.rstrip("?").strip() + "?")
        and not any(t in HEAD_TYPES[AnswerType.PERSON] for t in words(lowered))
    ):
        return QuestionKind.OPEN
    if answer_type is not AnswerType.OTHER:
        return QuestionKind.FACTOID
    if re.search(r"\bname of\b|\bcalled\b", lowered):
        return QuestionKind.FACTOID  # "What is the name of the lab?" asks for a name
    if _WHAT_CLAUSE.search(lowered) or _SAID.search(lowered):
        return QuestionKind.OPEN
    head = generic_head(text)
    if re.search(r"^\W*what\b", lowered) and head and head not in _NAMED_THINGS:
        return QuestionKind.OPEN  # "What safeguards apply ...?", unlike "What film won ...?"
    return QuestionKind.FACTOID


RUNNER_UP = re.compile(r"\brunners?[- ]up\b", re.IGNORECASE)


def _wants(question: str) -> Role:
    """The role of the asked-for entity: who/which-X followed directly by a verb asks for its doer;
    the runner-up is the one who lost."""
    q = question.lower()
    if RUNNER_UP.search(q):
        return Role.AGENT
    if re.search(
        r"\b(whom|who did|who does|who will \w+ (hire|appoint|name))\b|^\W*(which|what) \w+ (did|does|do)\b",
        q,
    ):
        return Role.PATIENT
    copula = r"(?!is\b|was\b|are\b|were\b|will be\b|has been\b)"
    # "Which company acquired ...": the word after which/what is a noun, not an auxiliary.
    if re.search(rf"^(?:\W*)(who|(?:which|what) (?!{AUXILIARY}\b)\w+)\s+" + copula + r"\w+(ed|s)?\b", q):
        return Role.AGENT
    return Role.NONE
