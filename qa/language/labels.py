"""The labels a candidate answer carries: where it came from (an entity type of the tagger, or one
of our own finders) and its role towards a verb of its sentence."""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """Where a candidate came from: a spaCy entity type, or one of our own finders."""

    # Entity types of the English pipeline (the ones the answerer uses).
    PERSON = "PERSON"
    ORG = "ORG"
    GPE = "GPE"  # a country, city or state
    LOC = "LOC"
    FAC = "FAC"  # a building, airport, bridge
    DATE = "DATE"
    TIME = "TIME"
    MONEY = "MONEY"  # also an amount our pattern finds
    CARDINAL = "CARDINAL"
    QUANTITY = "QUANTITY"
    PERCENT = "PERCENT"
    PRODUCT = "PRODUCT"
    WORK_OF_ART = "WORK_OF_ART"
    EVENT = "EVENT"
    LAW = "LAW"
    NORP = "NORP"  # nationalities, religious and political groups
    LANGUAGE = "LANGUAGE"
    # Our own finders.
    PROPN = "PROPN"  # a proper-noun phrase the tagger left without an entity type
    NP = "NP"  # a noun phrase
    HEAD = "HEAD"  # a phrase ending in the question's head noun (qa.language.patterns)
    VERSION = "VERSION"  # a version number or range (qa.language.patterns)


class Role(StrEnum):
    """A candidate's part in what its verb says ("A beat B": A the agent, B the patient), and the
    part a question asks for. NONE is empty, so false."""

    NONE = ""
    AGENT = "agent"  # subject of an active verb, or "by X"
    PATIENT = "patient"  # object, or subject of a passive verb
    SETTING = "setting"  # "in X", "at X"
