"""English words the analysis knows by heart: calendar words, quarters, question words and
auxiliaries. Each list is written here once; the modules that look for them build their patterns
from these (the stopwords, the currency signs and the months live one layer down, in ``qa.text``,
where the evaluation's normalisation reads them too)."""

from __future__ import annotations

import re

# Re-exported: the language modules read every word list from here.
from qa.text import MONTH as MONTH
from qa.text import MONTH_NAMES as MONTH_NAMES
from qa.text import month_number as month_number

MONTH_WORD = re.compile(rf"\b{MONTH}\b", re.IGNORECASE)
# A whole calendar date, day, month and year: "March 4, 2019", "Feb. 9 2021", "3 March 2025".
FULL_DATE = re.compile(
    rf"\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\.?,?\s+\d{{4}}\b",
    re.IGNORECASE,
)
WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
WEEKDAY_ABBREVIATIONS = r"(?:mon|tue|wed|thu|fri|sat|sun)"
SEASON = r"(?:spring|summer|autumn|fall|winter)"
# A time told from when the question is asked ("this week", "on Tuesday", "yesterday"): the
# article writes the date or its own day, so these are no words for a sentence to hold.
RELATIVE_TIME = re.compile(
    rf"\b(?:(?:earlier |later )?(?:this|last|next|past) (?:week(?:end)?|month|year|morning|afternoon|evening)"
    rf"|yesterday|today|tonight|recently|(?:on |last |this )?{WEEKDAY})\b",
    re.IGNORECASE,
)

# Quarters: "Q3", "third quarter", "third-quarter".
QUARTER_ORDINALS = ("first", "second", "third", "fourth")
QUARTER_PHRASE = re.compile(r"\b(first|second|third|fourth)[\s-]+quarters?\b", re.IGNORECASE)
QUARTER_NAMES = {f"q{n}": f"{ordinal} quarter" for n, ordinal in enumerate(QUARTER_ORDINALS, 1)}


def quarter_of(ordinal: str) -> str:
    """ "q3" for "third" (any case), as QUARTER_PHRASE's group gives it."""
    return f"q{QUARTER_ORDINALS.index(ordinal.lower()) + 1}"


# The words a question asks with, and what else only says that it is a question.
WH_WORDS = frozenset("how what which who whom whose when where why".split())
QUESTION_WORDS = WH_WORDS | {"many", "much", "name"}
# A question's auxiliaries: no head noun after one ("What is ...?"); its subject follows one.
AUXILIARIES = frozenset(
    "will would shall does do did is are was were be been has have had can could should may might".split()
)
AUXILIARY = "(?:" + "|".join(sorted(AUXILIARIES)) + ")"  # for patterns; callers add the boundaries
# Capitalised words that name nothing a passage must repeat: "I", the initials of job titles, "AI".
NOT_NAMES = frozenset("i ceo cfo cto coo cmo cio ai".split())
# A company's legal form after its name: "Acme Inc." names the same company as "Acme".
LEGAL_FORMS = frozenset("inc incorporated corp corporation ltd limited plc llc gmbh ag sa co".split())
# Last words of job titles that are nobody's surname: a proper-noun phrase ending in one
# ("Chief Ferry Officer", "Harbour Secretary", "Regional Fleet Director") names a post, not a person.
TITLE_HEADS = frozenset(
    """officer president vice-president secretary director minister executive chairman chairwoman
    chairperson ceo cfo cto coo cmo cio founder cofounder co-founder manager governor senator
    chancellor commissioner ambassador spokesperson spokesman spokeswoman""".split()
)
# Last words of organisations' names: a tagged name ending in one is an organisation.
ORG_SUFFIXES = frozenset(
    """labs lab inc corp corporation systems group capital ventures partners bank university ministry
    authority agency institute technologies technology robotics semiconductor semiconductors bio
    mobility analytics foundation council commission company holdings ltd plc llc gmbh sa ag
    association federation club airlines motors media studios pharmaceuticals therapeutics software
    networks""".split()
)

# Places news writes as a short capitalised abbreviation: countries, unions, cities and the US
# states' postal codes of datelines ("Austin, TX"). Any other acronym of up to three letters the
# entity tagger calls a place is none, such as "AI" (55% of the 121 "AI"s of corpus/ and the
# RGB passages are tagged as places).
PLACE_ABBREVIATIONS = frozenset(
    """us usa uk gb uae eu nyc sf la dc hk prc drc rok nz ksa
    al ak az ar ca co ct de fl ga hi id il in ia ks ky me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd
    oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy""".split()
)

# Generic heads a name rarely carries: "Which event ...?" is answered by "the Harbour Robotics
# Summit", "the Lyon Open Championships". The question's head stands for these.
HEAD_KINDS: dict[str, frozenset[str]] = {
    "event": frozenset(
        """summit conference forum festival expo exhibition fair show week games championship
        championships tournament cup awards ceremony meeting convention congress hackathon gala""".split()
    ),
}
HEAD_KINDS["occasion"] = HEAD_KINDS["event"]
# Where something happens when it is no town or country: "at the Harbour Tech Summit", "at the
# Riverside Convention Centre". A phrase ending in one of these answers "Where ...?".
VENUES = HEAD_KINDS["event"] | frozenset(
    """centre center hall hotel arena stadium venue campus park square museum theatre theater
    auditorium pavilion headquarters hq""".split()
)
