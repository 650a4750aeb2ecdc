"""Question analysis: the actual question, its expected answer type and its key terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from qa.lexical import STOPWORDS
from qa.text import sentence_spans, word_spans, words


class AnswerType(StrEnum):
    QUANTITY = "quantity"
    MONEY = "money"
    DATE = "date"
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    OTHER = "other"


# Head nouns of "which/what X" questions (and of keyword queries like "Super Bowl 2021 location").
_HEAD_TYPES: dict[AnswerType, frozenset[str]] = {
    AnswerType.ORGANISATION: frozenset(
        """company companies firm firms organisation organization organisations organizations team
        teams club clubs brand agency agencies ministry ministries university universities investor
        investors bank banks startup start-up group band label network carrier airline manufacturer
        broadcaster publisher partner partners institution school college party studio retailer
        operator maker developer sponsor buyer acquirer fund insurer regulator lender chain league""".split()
    ),
    AnswerType.PLACE: frozenset(
        """country countries city cities state states nation venue location place region province town
        stadium island continent capital where site headquarters hq campus arena county district""".split()
    ),
    AnswerType.PERSON: frozenset(
        """person people actor actress singer player players ceo cfo cto coo director president
        minister founder cofounder co-founder author artist man woman winner coach chief officer
        executive leader host chairman chairwoman chair spokesperson spokesman spokeswoman secretary
        head manager driver rapper musician scientist researcher governor mayor senator star
        champion premier chancellor king queen prince princess pope captain designer engineer
        professor dean principal commissioner ambassador judge editor producer writer novelist
        composer chef athlete golfer quarterback goalkeeper striker candidate nominee successor""".split()
    ),
    AnswerType.DATE: frozenset(
        """year years date day days month months time period quarter deadline when decade season""".split()
    ),
    AnswerType.MONEY: frozenset(
        """amount price cost costs sum budget valuation revenue revenues salary fee fees funding
        investment profit profits sales worth fine grant grants capital prize income earnings loss
        losses spending wage wages debt turnover value""".split()
    ),
    AnswerType.QUANTITY: frozenset(
        ["number", "percentage", "percent", "share", "size", "population", "count", "total", "margin", "rate"]
    ),
}
_MONEY_VERBS = re.compile(
    r"\b(cost|costs|pay|paid|spend|spent|raise|raised|invest|invested|investment|fund|funding|funded|budget|"
    r"worth|price|priced|valued|valuation|revenue|sales|profit|earn|earned|sell|sold|charge|fine|grant)\b"
)
_ORG_VERBS = re.compile(
    r"\b(acquire|acquired|acquires|buy|bought|buys|purchase|purchased|invest|invested|fund|"
    r"funded|partner|partnered|sponsor|sponsored|own|owns|owned|manufacture|manufactures|make|makes|made|"
    r"develop|developed|develops|operate|operates|employ|employs)\b|\bled\b.*\b(round|financing|deal)\b"
)
_WH = re.compile(r"\b(how|what|which|who|whom|whose|when|where|why|name)\b", re.IGNORECASE)
QUESTION_WORDS = frozenset(
    """how what which who whom whose when where why name many much does did do is are was""".split()
)


@dataclass
class Question:
    text: str  # the actual question (context sentences of quiz-style questions removed)
    context: str  # anything before it
    answer_type: AnswerType
    head: str = ""  # head noun of "which/what X"
    terms: list[str] = field(default_factory=list)  # content words, lower case
    names: list[str] = field(default_factory=list)  # capitalised phrases and numbers the question names
    wants: str = ""  # "agent" for "Who won ...?", "patient" for "Whom did ... hire?"


def find_question(raw: str) -> tuple[str, str]:
    """Split quiz-style input into (context, actual question): the last sentence that asks."""
    raw = " ".join(raw.split())
    sentences = [s.text for s in sentence_spans(raw)]
    if len(sentences) <= 1:
        return "", raw
    for i in range(len(sentences) - 1, -1, -1):
        if sentences[i].endswith("?") or _WH.search(sentences[i]):
            return " ".join(sentences[:i]), " ".join(sentences[i:])
    return "", raw


def expected_type(question: str) -> tuple[AnswerType, str]:
    """The answer type a question asks for, and the head noun that decided it (if any)."""
    q = question.lower()
    tokens = words(q)
    if re.search(r"\bhow many\b", q):
        money = _MONEY_VERBS.search(q) and re.search(r"\bhow many (dollars|euros|pounds|yen)\b", q)
        return (AnswerType.MONEY if money else AnswerType.QUANTITY), ""
    if re.search(r"\bhow much\b", q):
        # "How much" asks for money unless it measures something else ("how much data").
        if re.search(
            r"\bhow much (time|data|space|power|energy|electricity|water|land|memory|storage|weight)\b", q
        ):
            return AnswerType.QUANTITY, ""
        return AnswerType.MONEY, ""
    if re.search(r"\bhow (long|old|far|big|large|tall|often)\b", q) or re.search(
        r"\bwhat (percentage|percent)\b", q
    ):
        return AnswerType.QUANTITY, ""
    # The question's own wh-word, not one of a later clause ("Which team ... when he won ...?").
    first = re.search(r"\b(how|what|which|who|whom|whose|when|where)\b", q)
    asks = first.group(1) if first else ""
    if asks == "when" or re.search(r"\b(what|which) (year|date|day|month|time)\b", q):
        return AnswerType.DATE, ""
    if asks == "where":
        return AnswerType.PLACE, ""
    if re.search(
        r"^\W*(?:who|what) (?:is|was|are|were)\b.*\b(?:no\.? ?1|number one|world no\.?)\b"
        r"(?! (?:song|single|album|track|film|movie|book|show|app|game|hit|brand|product|car)s?\b)",
        q,
    ):
        return AnswerType.PERSON, ""  # "What is the women's year-end No 1 in 2020?" asks for a player
    head = _head_noun(tokens)
    if head:
        for answer_type, nouns in _HEAD_TYPES.items():
            if head in nouns:
                return answer_type, head
    if re.search(r"\b(who|whom|whose)\b", q):
        # "vice-chancellor", "co-founder": the title is its last part
        if any(
            t in _HEAD_TYPES[AnswerType.PERSON] or t.split("-")[-1] in _HEAD_TYPES[AnswerType.PERSON]
            for t in tokens
        ):
            return AnswerType.PERSON, ""
        if any(t in _HEAD_TYPES[AnswerType.ORGANISATION] for t in tokens) or _ORG_VERBS.search(q):
            return AnswerType.ORGANISATION, ""
        return AnswerType.PERSON, ""
    # Keyword queries ("Super Bowl 2021 location"): any type noun in the text decides.
    for token in reversed(tokens):
        for answer_type, nouns in _HEAD_TYPES.items():
            if token in nouns and token not in {"when", "where", "time"}:
                return answer_type, token
    return AnswerType.OTHER, head


def _head_noun(tokens: list[str]) -> str:
    """The noun after which/what (skipping determiners and adjectives we know), e.g. 'team'."""

    def typed(word: str) -> bool:
        return any(word in nouns for nouns in _HEAD_TYPES.values())

    def last_of_compound(window: list[str], j: int) -> str:
        while j + 1 < len(window) and typed(window[j + 1]):
            j += 1  # "total revenue", "ticket price": the last noun is the head
        return window[j]

    for i, token in enumerate(tokens):
        if token in {"which", "what"}:
            window = tokens[i + 1 : i + 5]
            for j, nxt in enumerate(window):
                if nxt in _AUXILIARIES:
                    break
                if typed(nxt):
                    return last_of_compound(window, j)
            # "What is the name of the company ..." / "What is the capital of ..."
            window = tokens[i + 1 : i + 8]
            for j, nxt in enumerate(window):
                if typed(nxt):
                    return last_of_compound(window, j)
            return ""
    return ""


# Irregular past tenses that follow the noun in "What movie won ...?".
_PAST_FORMS = frozenset(
    "won beat became began bought brought built chose drew drove fell found gave got grew held hit kept "
    "knew led left lost made met paid put ran rose said sang saw sent set sold spent stood struck swept "
    "took taught told threw wore wrote".split()
)
_AUXILIARIES = frozenset("is was are were does did do will has have the a".split())
_SKIP_AFTER_WH = _AUXILIARIES | {"an", "kind", "type", "sort", "name", "of"}


def generic_head(question: str) -> str:
    """The noun that ends the phrase after which/what ("What local chapter will ..." -> "chapter")."""
    tokens = [w.text for w in word_spans(question)]
    for i, token in enumerate(tokens):
        if token.lower() in {"which", "what"}:
            run: list[str] = []
            for original in tokens[i + 1 : i + 10]:
                nxt = original.lower()
                if run and original[0].isupper():
                    break  # a name follows the noun: "the lab OpenAI is creating"
                if nxt in _SKIP_AFTER_WH or nxt in STOPWORDS:
                    if run:
                        break
                    continue
                if nxt.endswith(("'s", "’s")):
                    run = []  # "the name of Microsoft's AR headset": the head follows the owner
                    continue
                if run and (nxt in _PAST_FORMS or (nxt.endswith("ed") and len(nxt) > 4)):
                    break  # "What movie won ...", "What company acquired ...": the verb follows the noun
                run.append(nxt)
            return run[-1] if run else ""
    return ""


_DATE_WORDS = frozenset({"date", "dates", "day", "year"})
_ORDINALS = ("first", "second", "third", "fourth")
_QUARTER = re.compile(r"\b(first|second|third|fourth)[- ]quarter\b")
_NAME = re.compile(  # linear: a lowercase run is tried from its start only; spaces are not given back
    r"(?:(?<![a-z])[a-z]*[A-Z][\w&.'’-]*|\d[\d,.]*%?)"
    r"(?:\s++(?:of|for|and|de|the|&)?\s*+(?:[a-z]*[A-Z][\w&.'’-]*|\d[\d,.]*))*"
)


def analyse(raw: str, context: str = "") -> Question:
    """Everything the answerer needs to know about a question. ``context`` (terms carried from a
    conversation) adds terms that help find the article, but no names the answer must meet."""
    quiz_context, text = find_question(raw)
    answer_type, head = expected_type(text)
    terms = [w for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS]
    terms += [w for w in dict.fromkeys(words(context)) if w not in STOPWORDS and w not in terms]
    names = []
    for match in _NAME.finditer(text):
        name = match.group().strip(" .,")
        first = name.split()[0].lower() if name else ""
        if (name and first not in QUESTION_WORDS and first not in STOPWORDS) or (name and name[0].isdigit()):
            names.append(name)
    # "in the second quarter of 2025" constrains the answer like a name does ("Q2" in the text).
    for ordinal in _QUARTER.findall(text.lower()):
        names.append(f"Q{_ORDINALS.index(ordinal) + 1}")
    if answer_type is AnswerType.DATE:
        # "the release date of X": the answer gives a date, rarely the word; not outside a name.
        named = {w for n in names for w in words(n)}
        terms = [t for t in terms if t not in _DATE_WORDS or t in named]
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
    return Question(
        text=text,
        context=quiz_context,
        answer_type=answer_type,
        head=head,
        terms=terms,
        names=names,
        wants=_wants(text),
    )


RUNNER_UP = re.compile(r"\brunners?[- ]up\b", re.IGNORECASE)


def _wants(question: str) -> str:
    """The role of the asked-for entity: who/which-X followed directly by a verb asks for its doer;
    the runner-up is the one who lost."""
    q = question.lower()
    if RUNNER_UP.search(q):
        return "agent"
    if re.search(
        r"\b(whom|who did|who does|who will \w+ (hire|appoint|name))\b|^\W*(which|what) \w+ (did|does|do)\b",
        q,
    ):
        return "patient"
    copula = r"(?!is\b|was\b|are\b|were\b|will be\b|has been\b)"
    aux = r"(?!(?:is|was|are|were|does|did|do|will|has|have|had|can)\b)"
    if re.search(r"^(?:\W*)(who|(?:which|what) " + aux + r"\w+)\s+" + copula + r"\w+(ed|s)?\b", q):
        return "agent"
    return ""
