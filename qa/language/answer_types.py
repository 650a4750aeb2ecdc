"""What a question asks for: its answer type (a quantity, money, a date, a person, ...) and the
head noun of "which/what X" that decided it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from qa.language.lexicon import AUXILIARIES, MONTH, WEEKDAY, WH_WORDS
from qa.text import CURRENCY_NAME, CURRENCY_SIGNS, STOPWORDS, word_spans, words


class AnswerType(StrEnum):
    QUANTITY = "quantity"
    MONEY = "money"
    DATE = "date"
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    OTHER = "other"


# Head nouns of "which/what X" questions (and of keyword queries like "Grand Prix 2021 location").
HEAD_TYPES: dict[AnswerType, frozenset[str]] = {
    AnswerType.ORGANISATION: frozenset(
        """company companies firm firms organisation organization organisations organizations team
        teams club clubs brand agency agencies ministry ministries university universities investor
        investors bank banks startup start-up group band label network carrier airline manufacturer
        broadcaster publisher partner partners institute institutes institution institutions school
        college party studio retailer operator maker developer sponsor buyer acquirer fund insurer
        regulator lender chain league""".split()
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
        [
            "number",
            "percentage",
            "percent",
            "share",
            "size",
            "population",
            "count",
            "total",
            "margin",
            "rate",
            "age",
        ]
    ),
}

# A cheap look for something of the asked type (no parsing: it runs on every retrieved passage
# and sentence). A date is a day with its month, a numeric date, a weekday or a year, so that
# "September 2026", "Q1 2027", "the first half of 2026" and "on Tuesday" count as dates too.
_YEAR = r"\b(?:1[6-9]|20)\d\d\b(?![,.]?\d)"
TYPE_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.DATE: re.compile(
        rf"\b{MONTH}\.? \d{{1,2}}\b|\b\d{{1,2}} {MONTH}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b"
        rf"|\b{WEEKDAY}\b|{_YEAR}",
        re.IGNORECASE,
    ),
    AnswerType.MONEY: re.compile(
        rf"[{CURRENCY_SIGNS}]\s?\d"
        r"|\b(?<!\d[,.])\d[\d,.]*+\s?(?:million|billion|bn|m)?\s?(?:[A-Z][a-z]+\s)?" + CURRENCY_NAME + r"\b"
    ),
    AnswerType.QUANTITY: re.compile(r"\b\d[\d,.]*\b"),
}

# The question's own wh-word decides its type; "why" asks for none.
_TYPED_WH = re.compile(rf"\b({'|'.join(sorted(WH_WORDS - {'why'}))})\b")
_MONEY_VERBS = re.compile(
    r"\b(cost|costs|pay|paid|spend|spent|raise|raised|invest|invested|investment|fund|funding|funded|budget|"
    r"worth|price|priced|valued|valuation|revenue|sales|profit|earn|earned|sell|sold|charge|fine|grant)\b"
)
# Who a thing is meant for or open to: "Who is the grant for?", "Who will the workshops be for?",
# "Who can apply?", "Who is eligible for the fellowship?"; not "Who is the prize named for?",
# which asks for a name.
FOR_WHOM = re.compile(
    r"^\W*who (?!.*\b(?:named|called|written|dedicated)\b)"
    r"(?:(?:is|are|was|were) (?:[\w'’-]+ ){1,4}|will (?:[\w'’-]+ ){1,4}be )for\W*$"
    r"|^\W*who (?:can|may|could|should) (?:apply|join|take part|participate|benefit|enrol|enroll|sign up)\b"
    r"|^\W*who (?:is|are) (?:eligible|entitled)\b|^\W*who (?:qualifies|benefits)\b",
    re.IGNORECASE,
)
_WHO_SAID = re.compile(r"\bwho (?:has |had )?(?:said|says|told|stated|described|called|warned)\b( .*)")
_ORG_VERBS = re.compile(
    r"\b(acquire|acquired|acquires|buy|bought|buys|purchase|purchased|invest|invested|fund|"
    r"funded|partner|partnered|sponsor|sponsored|own|owns|owned|manufacture|manufactures|make|makes|made|"
    r"develop|developed|develops|operate|operates|employ|employs)\b|\bled\b.*\b(round|financing|deal)\b"
)


def expected_type(question: str) -> tuple[AnswerType, str]:
    """The answer type a question asks for, and the head noun that decided it (if any)."""
    q = question.lower()
    tokens = words(q)
    if re.search(r"\bhow many\b", q):
        money = _MONEY_VERBS.search(q) and re.search(rf"\bhow many {CURRENCY_NAME}\b", q)
        return (AnswerType.MONEY if money else AnswerType.QUANTITY), ""
    if re.search(r"\bhow much\b", q):
        # "How much" asks for money unless it measures something else ("how much data").
        if re.search(
            r"\bhow much (time|data|space|power|energy|electricity|water|land|memory|storage|weight)\b", q
        ):
            return AnswerType.QUANTITY, ""
        return AnswerType.MONEY, ""
    size = re.search(r"\bhow (?:big|large|high|small|low)\b", q)
    sum_noun = (
        next((t for t in words(q[size.end() :]) if t in HEAD_TYPES[AnswerType.MONEY]), "") if size else ""
    )
    if sum_noun:
        return AnswerType.MONEY, sum_noun  # "How large is the funding?", "How high was the fine?"
    if re.search(r"\bhow (long|old|far|big|large|tall|often)\b", q) or re.search(
        r"\bwhat (percentage|percent)\b", q
    ):
        return AnswerType.QUANTITY, ""
    # The question's own wh-word, not one of a later clause ("Which team ... when he won ...?").
    first = _TYPED_WH.search(q)
    asks = first.group(1) if first else ""
    if asks == "when" or re.search(r"\b(what|which) (year|date|day|month|time)s?\b", q):
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
        for answer_type, nouns in HEAD_TYPES.items():
            if head in nouns:
                return answer_type, head
    if FOR_WHOM.search(q):
        return AnswerType.OTHER, ""  # "Who is the grant for?" asks who it serves, not for a name
    if re.search(r"\b(who|whom|whose)\b", q):
        return _who_type(q), ""
    if after_which(tokens) >= 0 and generic_head(question):
        # "What are the three main areas of the funding?": the noun after what/which is what is
        # asked for, though a later one ("funding") has a type.
        return AnswerType.OTHER, head
    # Keyword queries ("Grand Prix 2021 location"): any type noun in the text decides.
    for token in reversed(tokens):
        for answer_type, nouns in HEAD_TYPES.items():
            if token in nouns and token not in {"when", "where", "time"}:
                return answer_type, token
    return AnswerType.OTHER, head


def _who_type(q: str) -> AnswerType:
    """A person, unless the who-question's own words ask for an organisation ("Who acquired ...?")."""
    # "Who said the region is an ideal partner?": what follows the verb of saying is what was said,
    # not who said it.
    reported = _WHO_SAID.search(q)
    asker = q[: reported.start(1)] if reported else q
    tokens = words(asker)
    # "vice-chancellor", "co-founder": the title is its last part
    if any(
        t in HEAD_TYPES[AnswerType.PERSON] or t.split("-")[-1] in HEAD_TYPES[AnswerType.PERSON]
        for t in tokens
    ):
        return AnswerType.PERSON
    if any(t in HEAD_TYPES[AnswerType.ORGANISATION] for t in tokens) or _ORG_VERBS.search(asker):
        return AnswerType.ORGANISATION
    return AnswerType.PERSON


def _head_noun(tokens: list[str]) -> str:
    """The noun after which/what (skipping determiners and adjectives we know), e.g. 'team'."""

    def typed(word: str) -> bool:
        return any(word in nouns for nouns in HEAD_TYPES.values())

    def last_of_compound(window: list[str], j: int) -> str:
        while j + 1 < len(window) and typed(window[j + 1]):
            j += 1  # "total revenue", "ticket price": the last noun is the head
        return window[j]

    start = after_which(tokens)
    if start < 0:
        return ""
    window = tokens[start : start + 4]
    for j, nxt in enumerate(window):
        if nxt in AUXILIARIES:
            if any(t not in STOPWORDS for t in window[:j]):
                return ""  # "Which event will the city host?": the untyped "event" is the head
            break
        if typed(nxt):
            return last_of_compound(window, j)
    # "What is the name of the company ..." / "What is the capital of ..."
    window = tokens[start : start + 7]
    named = False  # a word of the asked phrase seen
    for j, nxt in enumerate(window):
        if nxt in {"when", "where", "who", "why", "how"}:
            break  # "What age was she when ...": a later clause's wh-word is no head
        if typed(nxt):
            return last_of_compound(window, j)
        if named and _verb_after_noun(nxt):
            break  # "Which streaming service released the fourth season ...": a verb ends the phrase
        named = named or nxt not in STOPWORDS | AUXILIARIES | _SKIP_AFTER_WH
    return ""


def _verb_after_noun(word: str) -> bool:
    """A past form ending the phrase a which/what question asks about ("What movie won ...")."""
    return word in _PAST_FORMS or (word.endswith("ed") and len(word) > 4 and "-" not in word)


def after_which(tokens: Sequence[str]) -> int:
    """Where the phrase a which/what question asks about starts: the index after the first
    "which" or "what" (any case) of ``tokens``; -1 when there is none."""
    return next((i + 1 for i, token in enumerate(tokens) if token.lower() in {"which", "what"}), -1)


# Irregular past tenses that follow the noun in "What movie won ...?".
_PAST_FORMS = frozenset(
    "won beat became began bought brought built chose drew drove fell found gave got grew held hit kept "
    "knew led left lost made met paid put ran rose said sang saw sent set sold spent stood struck swept "
    "took taught told threw wore wrote".split()
)
# Words skipped after which/what on the way to the noun, besides stopwords ("What is the name of ...").
_SKIP_AFTER_WH = frozenset({"kind", "type", "sort", "name"})


def generic_head(question: str) -> str:
    """The noun that ends the phrase after which/what ("What local chapter will ..." -> "chapter")."""
    tokens = [w.text for w in word_spans(question)]
    start = after_which(tokens)
    if start < 0:
        return ""
    run: list[str] = []
    named = True  # every word of the run so far is capitalised: a name
    for original in tokens[start : start + 9]:
        nxt = original.lower()
        if nxt.endswith(("'s", "’s")) and named:
            run = []  # "the name of Acme's VR headset", "Jane Roe's position": the head follows the owner
            continue
        if run and original[0].isupper():
            break  # a name follows the noun: "the lab Acme is creating"
        if nxt in _SKIP_AFTER_WH or nxt in STOPWORDS:
            if run:
                break
            continue
        if run and _verb_after_noun(nxt):
            break  # "What movie won ...", "What company acquired ...": the verb follows the noun
        run.append(nxt)
        named = named and original[0].isupper()
    return run[-1] if run else ""
