"""Question analysis: the actual question, its expected answer type and its key terms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from qa.text import STOPWORDS, sentence_spans, word_spans, words


class QuestionKind(StrEnum):
    """What form an answer takes: a short span for a typed fact, the document's own sentence(s) else."""

    FACTOID = "factoid"  # how many / how much / when / who / where / which named thing
    OPEN = "open"  # what is / what will / why / how / describe / list / what did X say


class AnswerType(StrEnum):
    QUANTITY = "quantity"
    MONEY = "money"
    DATE = "date"
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    OTHER = "other"


# Head nouns of "which/what X" questions (and of keyword queries like "Grand Prix 2021 location").
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
    kind: QuestionKind = QuestionKind.FACTOID


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
    # Keyword queries ("Grand Prix 2021 location"): any type noun in the text decides.
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
                if nxt in {"when", "where", "who", "why", "how"}:
                    break  # "What age was she when ...": a later clause's wh-word is no head
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
                    break  # a name follows the noun: "the lab Acme is creating"
                if nxt in _SKIP_AFTER_WH or nxt in STOPWORDS:
                    if run:
                        break
                    continue
                if nxt.endswith(("'s", "’s")):
                    run = []  # "the name of Acme's VR headset": the head follows the owner
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
        kind=question_kind(text, answer_type),
    )


_AUXILIARIES = frozenset(
    "will would does do did is are was were has have had can could should may might".split()
)
_SUBJECT_ENDS = frozenset("be been being based located called known".split())


def subject_words(text: str, verbs: list[str]) -> list[str]:
    """The content words of what a question asks about: between its first auxiliary and its
    main verb. "How many jobs will the lab create?" -> ["lab"]; "When did the firm open its
    office?" -> ["firm"]; "What is the Kestrel hub?" -> ["kestrel", "hub"]. Empty when the
    wh-word itself is the subject ("Who founded the firm?")."""
    tokens = words(text)
    verb_set = {v.lower() for v in verbs}
    start = next((i for i, w in enumerate(tokens) if w in _AUXILIARIES), None)
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
_YES_NO = re.compile(r"^\W*(?:is|are|was|were|do|does|did|will|would|can|could|should|has|have|had)\b")
_WHAT_VERB = re.compile(r"^\W*what (?:\w+ed|happens|happened|makes|made|causes|drives|led)\b")
_OPEN_START = re.compile(
    r"^\W*(?:why|how(?! (?:many|much|long|old|far|big|large|tall|often|soon|high|fast)\b)"
    r"|describe|explain|list|summari[sz]e|outline|tell me|in what way|for what (?:reason|purpose))\b"
)
_WHAT_CLAUSE = re.compile(
    r"^\W*what(?:'s| (?:is|are|was|were|does|do|did|will|would|can|could|should|has|have|had))\b"
)
_WHO_IS_NAME = re.compile(r"^\W*(?i:who) (?:is|are|was|were) (?:the )?(?:[A-Z][\w'’&.-]*\s*)+\W*$")
# "What does the grant cover?", "What will the lab do?": the noun after the auxiliary is the subject,
# and the question asks for a statement about it.
_WHAT_DO = re.compile(r"^\W*what ((?:[\w-]+ ){0,2})(?:does|do|did|will|would|can|could|should)\b")
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
        asked = what_do.group(1).split()
        typed_head = any(w in nouns for w in asked for nouns in (*_HEAD_TYPES.values(), _NAMED_THINGS))
        return QuestionKind.FACTOID if typed_head else QuestionKind.OPEN
    if _YES_NO.search(lowered) or re.search(r"^\W*what (?:kind|sort|type)s? of\b", lowered):
        return QuestionKind.OPEN
    # "Who are the Field Fellows?" asks what they are; "Who is the CEO?" names a role.
    if (
        answer_type is AnswerType.PERSON
        and _WHO_IS_NAME.search(text.rstrip("?").strip() + "?")
        and not any(t in _HEAD_TYPES[AnswerType.PERSON] for t in words(lowered))
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
