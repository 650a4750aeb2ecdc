"""The checkable facts of a sentence: numbers and money amounts, months, quoted phrases, names.

Normalised so that the same fact written two ways compares equal: "1,200" = "1200" = "1 200"
(but "3.5" ≠ "35"), "20 per cent" = "20%", "S$300m" = "300 million Singapore dollars",
curly = straight quotes, "May" next to a day or year is a month but the verb "may" is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.generative.prompting import restore
from qa.language.lexicon import MONTH, MONTH_WORD, NOT_NAMES, WEEKDAY, month_number
from qa.text import CURRENCY_CODES, CURRENCY_NAME, CURRENCY_SIGNS, words

_QUOTED = re.compile(r"[\"“]([^\"“”\n]{2,}?)[\"”]")
_CURRENCY_SYMBOL = rf"(?:[A-Z]{{1,2}}\$|[{CURRENCY_SIGNS}]|\b(?:{'|'.join(CURRENCY_CODES)}|RM)\s?)"
_NUMBER = r"\d{1,3}(?:[,\u00a0\u202f\u2009 ]\d{3})+(?![\d])(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"%|percent\b|per\s?cent\b|thousand\b|million\b|billion\b|trillion\b|bn\b|mn\b|m\b|k\b"
_AMOUNT = re.compile(
    rf"(?P<cur>{_CURRENCY_SYMBOL})?(?<![\d.,])(?P<num>{_NUMBER})(?:\s?(?P<scale>{_SCALE}))?"
    r"(?P<words>\s+(?:(?:singapore|us|u\.s\.|hong\s+kong|australian|canadian|new\s+zealand)\s+)?"
    rf"{CURRENCY_NAME}\b)?",
    re.IGNORECASE,
)
_MONTH_NEAR_NUMBER = re.compile(
    rf"\b({MONTH})\.?\s+\d{{1,4}}\b(?:,?\s+\d{{4}})?|\b\d{{1,2}}(?:st|nd|rd|th)?\s+({MONTH})\b(?:,?\s+\d{{4}})?",
    re.IGNORECASE,
)
_CALENDAR = re.compile(rf"{MONTH}\.?|{WEEKDAY}", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b\d{4}-(\d{2})-\d{2}\b")
_SCALES = {"percent": "%", "per cent": "%", "bn": "billion", "mn": "million", "m": "million", "k": "thousand"}
_CURRENCIES = {
    **dict.fromkeys(["us$", "usd", "us dollar", "u.s. dollar"], "USD"),
    **dict.fromkeys(["s$", "sgd", "singapore dollar"], "SGD"),
    **dict.fromkeys(["$", "dollar"], "$"),
    **dict.fromkeys(["€", "eur", "euro"], "EUR"),
    **dict.fromkeys(["£", "gbp", "pound"], "GBP"),
    **dict.fromkeys(["rm", "myr", "ringgit"], "MYR"),
    **dict.fromkeys(["¥", "jpy", "yen"], "JPY"),
    **dict.fromkeys(["kes", "shilling"], "KES"),
    **dict.fromkeys(["₹", "inr", "rupee"], "INR"),
    **dict.fromkeys(["chf", "franc"], "CHF"),
    **dict.fromkeys(["a$", "aud", "australian dollar"], "AUD"),
    **dict.fromkeys(["c$", "cad", "canadian dollar"], "CAD"),
}
_NAME = re.compile(r"(?<![\w'’$])[A-Z][\w-]*(?:['’]s)?(?![\w$])")


@dataclass(frozen=True)
class Amount:
    """A number as written, normalised: ``("300", "million", "SGD")``."""

    text: str
    number: str
    scale: str = ""
    currency: str = ""  # ISO code, "$" for an unspecified dollar, "" when none is named

    def found_in(self, amounts: Sequence[Amount]) -> bool:
        return any(
            a.number == self.number
            and (not self.scale or a.scale == self.scale)
            and _same_currency(self.currency, a.currency)
            for a in amounts
        )


def amounts_in(text: str) -> list[Amount]:
    """Numbers and money amounts in ``text``, normalised (separators removed, scale and currency)."""
    found = []
    for match in _AMOUNT.finditer(text):
        number = re.sub(r"[,\s\u00a0\u202f\u2009]", "", match.group("num"))
        if "." in number:
            number = number.rstrip("0").rstrip(".")
        number = number.lstrip("0") or "0"
        scale = " ".join((match.group("scale") or "").lower().split())
        currency = _currency(match.group("cur") or "") or _currency(match.group("words") or "")
        found.append(Amount(match.group().strip(), number, _SCALES.get(scale, scale), currency))
    return found


def months_in(text: str, near_numbers: bool = False) -> set[int]:
    """Months named in ``text`` (1-12); with ``near_numbers`` only those next to a day or year
    (so the verb "may" is not May), else also the months of ISO dates."""
    if near_numbers:
        names = [a or b for a, b in _MONTH_NEAR_NUMBER.findall(text)]
        return {month_number(n) for n in names}
    found = {month_number(m.group()) for m in MONTH_WORD.finditer(text)}
    return found | {int(m) for m in _ISO_DATE.findall(text) if 1 <= int(m) <= 12}


def names_in(text: str) -> list[str]:
    """Capitalised words of ``text`` after its first word (names: "Lyon", "Berg"),
    possessives removed; the first word is capitalised anyway."""
    found = []
    for match in _NAME.finditer(text):
        if match.start() == 0 or not text[: match.start()].strip(' "“‘(-*•0123456789.)'):
            continue
        if text[: match.start()].rstrip().endswith((":", ".", "!", "?")):
            continue  # "Answer: The lab ..."
        found.append(without_possessive(match.group()))
    return list(
        dict.fromkeys(
            w
            for w in found
            if words(w)
            and w.lower() not in NOT_NAMES  # titles a model may abbreviate ("chief executive")
            and not _CALENDAR.fullmatch(w)
            and not any(c.isdigit() for c in w)  # "RM1", "Q3": figures, checked as numbers
        )
    )


def quoted_phrases(text: str) -> list[str]:
    """Phrases between double quotes (straight or curly), at least two characters long."""
    return [str(q) for q in _QUOTED.findall(text)]


def without_possessive(word: str) -> str:
    return word.removesuffix("'s").removesuffix("’s")


def normalised(text: str) -> str:
    """Lower case, straight quotes and apostrophes, plain hyphens, single spaces."""
    text = restore(text).lower().translate(str.maketrans("‘’“”–—", "''\"\"--"))
    return " ".join(text.split())


def _currency(written: str) -> str:
    """An ISO code, "$" for a dollar of no named country, or "" ("S$" -> "SGD", "euros" -> "EUR")."""
    key = " ".join(written.lower().split())
    for candidate in (key, key.removesuffix("s"), key.split(" ")[-1].removesuffix("s")):
        if candidate in _CURRENCIES:
            return _CURRENCIES[candidate]
    return key.upper() if key.endswith("$") else ""  # "A$", "HK$": their own currency


def _same_currency(claimed: str, found: str) -> bool:
    if not claimed or not found or claimed == found:
        return True
    dollars = {claimed, found} - {"$"}
    return "$" in (claimed, found) and all(c in ("USD", "SGD") or c.endswith("$") for c in dollars)


def month_phrase(text: str) -> str:
    match = _MONTH_NEAR_NUMBER.search(text)
    return match.group() if match else text
