"""What the extractive answerer weighs: evidence sentences, candidate choices and their signals."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Set as AbstractSet

from qa.language.answer_types import AnswerType
from qa.language.lexicon import MONTH_WORD, QUARTER_NAMES, QUARTER_PHRASE, quarter_of
from qa.language.stemming import stem
from qa.text import STOPWORDS, words

ABSTAIN_TEXT = "The announcements don't say."
SUPERSEDED = re.compile(
    r"\b(earlier release|previous release|previously (?:stated|reported|announced)|incorrectly|was incorrect|"
    r"erroneously|should have (?:read|said|stated)|originally (?:stated|reported))\b",
    re.IGNORECASE,
)

# A document that says it corrects or updates an earlier one.
CORRECTION = re.compile(
    r"\b(correct(?:ion|ed|s)?|update[sd]?|revised|revises|amend(?:s|ed|ment)?|supersedes?|replaces)\b",
    re.IGNORECASE,
)

# Verbs (as stems) whose doer is the other verb's undergoer: who lost to whom says who won.
OPPOSITE_VERBS = {"win": "lose", "lose": "win"}

# Types whose answer may be "Proper-Name HEAD" ("Old Town district", "Code for Kids hackathons").
HEAD_TYPED = frozenset({AnswerType.OTHER, AnswerType.PLACE, AnswerType.ORGANISATION})

# How well an entity of one type answers a question of another (1 = the right type).
COMPATIBLE: dict[AnswerType, dict[AnswerType, float]] = {
    # The small English model often mixes up names of people, companies and places.
    AnswerType.PERSON: {AnswerType.PERSON: 1.0, AnswerType.ORGANISATION: 0.55, AnswerType.PLACE: 0.7},
    AnswerType.ORGANISATION: {AnswerType.ORGANISATION: 1.0, AnswerType.PERSON: 0.6, AnswerType.PLACE: 0.5},
    AnswerType.PLACE: {AnswerType.PLACE: 1.0, AnswerType.ORGANISATION: 0.5},
    AnswerType.DATE: {AnswerType.DATE: 1.0},
    AnswerType.MONEY: {AnswerType.MONEY: 1.0, AnswerType.QUANTITY: 0.25},
    AnswerType.QUANTITY: {AnswerType.QUANTITY: 1.0, AnswerType.MONEY: 0.5},
    AnswerType.OTHER: {
        AnswerType.OTHER: 1.0,
        AnswerType.ORGANISATION: 0.8,
        AnswerType.PERSON: 0.7,
        AnswerType.PLACE: 0.6,
    },
}


def name_support(name: list[str], haystack: str, context: AbstractSet[str]) -> float:
    """1 when the question's name occurs as a phrase in the passage, less when only its words do.

    A quarter is found under either spelling ("Q3" / "third quarter"), a possessive without its
    "'s", and a number counts double: "Open 2019" is not supported by a 2018 report.
    """
    if not name:
        return 1.0
    name = [w.removesuffix("'s").removesuffix("’s").replace(".", "") for w in name]
    haystack = haystack.replace(".", "")
    if " ".join(name) in haystack:
        return 1.0
    weights = [2.0 if any(c.isdigit() for c in w) else 1.0 for w in name]
    found = sum(
        wt
        for i, (w, wt) in enumerate(zip(name, weights, strict=True))
        if (_beside_neighbour(name, i, haystack) if _is_letter(w) else _found(w, haystack, context))
    )
    share = found / sum(weights)
    return 0.8 if share == 1.0 else 0.55 * share


def _is_letter(word: str) -> bool:
    return len(word) == 1 and word.isalpha()


def _beside_neighbour(name: list[str], i: int, haystack: str) -> bool:
    """A single letter of a name counts only beside its neighbour in the name: "Series A" is not
    supported by "a Series B round"; "R&D" is."""
    padded = f" {haystack} "
    return (i > 0 and f" {name[i - 1]} {name[i]} " in padded) or (
        i + 1 < len(name) and f" {name[i]} {name[i + 1]} " in padded
    )


def name_words(names: list[str]) -> list[list[str]]:
    """The words of each name the question gives that a passage must hold; single letters stay
    ("Series A" is not "Series B")."""
    return [[w for w in words(n) if w not in STOPWORDS or len(w) == 1] for n in names]


def names_support(names: list[list[str]], haystack: str, context: AbstractSet[str]) -> tuple[float, float]:
    """How well a passage covers the question's names: (weighted mean, least) of their support.

    Names with numbers (years, quarters, editions) weigh double in the mean, as they tell one
    year's event from the next.
    """
    if not names:
        return 1.0, 1.0
    weights = [2.0 if any(c.isdigit() for w in n for c in w) else 1.0 for n in names]
    supports = [name_support(n, haystack, context) for n in names]
    mean = sum(w * s for w, s in zip(weights, supports, strict=True)) / sum(weights)
    return mean, min(supports)


_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_ORDINAL_WORDS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()


# "the eleventh season", "4th", "two": the number a question writes in digits ("Season 11").
_NUMBER_FORMS = {
    **{word: str(n) for n, word in enumerate(_NUMBER_WORDS) if n >= 2},
    **{word: str(n) for n, word in enumerate(_ORDINAL_WORDS) if n >= 2},
    **{f"{n}{suffix}": str(n) for n in range(1, 100) for suffix in ("st", "nd", "rd", "th")},
}


def _found(word: str, haystack: str, context: AbstractSet[str]) -> bool:
    """Whether a word of a name occurs, also as a quarter ("Q3" / "third quarter") or a small
    number spelt out ("4" / "four" / "fourth" / "4th")."""
    if stem(word) in context or f" {word} " in f" {haystack} ":
        return True
    quarter = QUARTER_NAMES.get(word)
    if quarter is not None:
        return quarter in haystack or quarter.replace(" ", "-") in haystack
    number = word.rstrip("stndrh") if word[:1].isdigit() else ""
    if number.isdigit() and int(number) < len(_NUMBER_WORDS):
        n = int(number)
        forms = {_NUMBER_WORDS[n], _ORDINAL_WORDS[n], number}
        return any(f" {form} " in f" {haystack} " for form in forms) or bool(
            re.search(rf"\b{n}(?:st|nd|rd|th)\b", haystack)
        )
    return False


def date_precision(text: str) -> float:
    """1 for a full date (day, month, year), less for a month and year, least for a bare year."""
    has_year = bool(re.search(r"\b(1[89]|20)\d\d\b", text))
    has_month = bool(MONTH_WORD.search(text) or re.search(r"\bq[1-4]\b|\bquarter\b|\bhalf\b", text, re.I))
    has_day = bool(re.search(r"\b\d{1,2}(st|nd|rd|th)?\b", re.sub(r"\b(1[89]|20)\d\d\b", "", text)))
    return 0.7 + 0.1 * has_year + 0.1 * has_month + 0.1 * (has_day and has_month)


def vote_key(text: str) -> str:
    """An answer's words without accents and currency signs: "José Núñez" and "Jose Nunez" are one
    answer, as are "US$9,200" and "9,200" (the sign names how it is counted, not another amount)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_SIGNED.sub("", w) for w in words(plain))


_SIGNED = re.compile(r"^[a-z]{0,3}\$(?=\d)")  # "$", "us$", "s$" before a number (other signs are not ASCII)


def same_answer(key: str, text: str) -> bool:
    """Whether ``text`` gives the answer ``key`` at another granularity ("Beijing" / "Beijing, China")."""
    other = vote_key(text)
    return other == key or f" {other} " in f" {key} " or f" {key} " in f" {other} "


def title_names(title: str) -> set[str]:
    """Capitalised words of a title: two releases about the same thing share some."""
    return {w.lower() for w in re.findall(r"\b[A-Z][\w-]{2,}", title) if w.lower() not in STOPWORDS}


# A country and its adjective name the same thing in a question and in the news ("the French
# presidential election" / "voters in France"); each form also stands for the other.
_DEMONYMS = {
    "france": "french",
    "britain": "british",
    "germany": "german",
    "china": "chinese",
    "japan": "japanese",
    "italy": "italian",
    "spain": "spanish",
    "india": "indian",
    "russia": "russian",
    "canada": "canadian",
    "australia": "australian",
    "brazil": "brazilian",
    "mexico": "mexican",
    "korea": "korean",
    "netherlands": "dutch",
    "switzerland": "swiss",
    "sweden": "swedish",
    "norway": "norwegian",
    "denmark": "danish",
    "finland": "finnish",
    "ireland": "irish",
    "england": "english",
    "scotland": "scottish",
    "wales": "welsh",
    "argentina": "argentine",
    "portugal": "portuguese",
    "greece": "greek",
    "poland": "polish",
    "ukraine": "ukrainian",
    "turkey": "turkish",
    "egypt": "egyptian",
    "israel": "israeli",
    "singapore": "singaporean",
    "nigeria": "nigerian",
    "kenya": "kenyan",
    "belgium": "belgian",
    "austria": "austrian",
    "america": "american",
    "europe": "european",
    "africa": "african",
    "asia": "asian",
    "malaysia": "malaysian",
    "indonesia": "indonesian",
    "thailand": "thai",
    "vietnam": "vietnamese",
    "philippines": "filipino",
    "pakistan": "pakistani",
    "iran": "iranian",
    "iraq": "iraqi",
    "qatar": "qatari",
    "morocco": "moroccan",
    "ghana": "ghanaian",
    "ethiopia": "ethiopian",
    "colombia": "colombian",
    "chile": "chilean",
    "peru": "peruvian",
    "hungary": "hungarian",
    "romania": "romanian",
    "croatia": "croatian",
    "serbia": "serbian",
    "taiwan": "taiwanese",
    "cuba": "cuban",
    "venezuela": "venezuelan",
}
ALIASES = {**_DEMONYMS, **{adjective: country for country, adjective in _DEMONYMS.items()}}


_TITLE_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|and|for|&)\s+)?[A-Z][\w'’-]*)+")
_CONNECTORS = frozenset({"of", "and", "for", "&"})


@functools.lru_cache(maxsize=8192)
def text_stems(text: str) -> frozenset[str]:
    """The stems of a text's words and of the other names it gives the same thing by: "q3" for
    "third-quarter", "french" for "France" (and back), so a question's terms find them.

    Cached (hence frozen): a question reads each retrieved sentence's stems more than once, and a
    passage retrieved for one question is often retrieved for the next."""
    found = words(text)
    stems = {stem(w) for w in found}
    stems |= {stem(ALIASES[w]) for w in found if w in ALIASES}
    if "uarter" in text:
        stems |= {quarter_of(m.group(1)) for m in QUARTER_PHRASE.finditer(text)}
    stems |= {_NUMBER_FORMS[w] for w in found if w in _NUMBER_FORMS}
    # "Chief Sustainability Officer" is the "CSO" a question asks about; "Ministry of Trade and
    # Industry" its "MTI" (the whole run and each part between "of"/"and").
    for match in _TITLE_RUN.finditer(text):
        run = match.group().split()
        parts: list[list[str]] = [run, []]
        for word in run:
            if word in _CONNECTORS:
                parts.append([])
            else:
                parts[-1].append(word)
        for words_of_part in parts:
            initials = "".join(w[0] for w in words_of_part if w[0].isupper()).lower()
            if len(initials) >= 3:
                stems.add(initials)
    return frozenset(stems)
