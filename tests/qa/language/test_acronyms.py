"""Which acronym a question asks to spell out, and where a text spells it out."""

from __future__ import annotations

import pytest

from qa.language.acronyms import asked_acronym, long_forms


@pytest.mark.parametrize(
    ("question", "acronym"),
    [
        ("What does HTA stand for?", "HTA"),
        ("What is NIMR short for?", "NIMR"),
        ("What does the acronym WHO mean?", "WHO"),  # a question word in capitals is the acronym here
        ("What is the full name of the NMGS?", "NMGS"),
        ("What does CFTB stand for in the NIMR report?", "CFTB"),  # the one before "stand for"
        ("What do the letters PGI stand for?", "PGI"),
        ("What is the abbreviation DSG short for?", "DSG"),
    ],
)
def test_a_question_asking_for_the_long_form_names_its_acronym(question: str, acronym: str) -> None:
    assert asked_acronym(question) == acronym


@pytest.mark.parametrize(
    "question",
    [
        "What did the HTA announce?",  # names an acronym, asks something else
        "Who leads the NIMR?",
        "What does the grant mean for small firms?",  # "mean" without an acronym
        "How many jobs will the lab create?",
        "What does HTA or NIMR mean?",  # "mean" with two: no telling which
    ],
)
def test_other_questions_ask_for_no_long_form(question: str) -> None:
    assert asked_acronym(question) == ""


@pytest.mark.parametrize(
    ("text", "acronym", "long_form"),
    [
        # Three publishers' ways of introducing a body or a programme.
        (
            "Funds come from the Harbour Transit Authority (HTA) this year.",
            "HTA",
            "Harbour Transit Authority",
        ),
        (
            "Lyon, 3 May — The National Institute of Marine Research (NIMR) said on Monday",
            "NIMR",
            "National Institute of Marine Research",  # "of" kept: it is a letter of the acronym
        ),
        (
            "a grant from the Bureau of Coastal Parks and Recreation (BCPR) to",
            "BCPR",
            "Bureau of Coastal Parks and Recreation",  # "of" and "and" skipped
        ),
        ("under the Regional AI Growth Scheme (RAGS), firms", "RAGS", "Regional AI Growth Scheme"),
        (
            "the US Center for Food Testing and Biosafety (CFTB) approved",
            "CFTB",
            "Center for Food Testing and Biosafety",
        ),
        (
            "the CFTB (Center for Food Testing and Biosafety) approved",
            "CFTB",
            "Center for Food Testing and Biosafety",
        ),
        ("the HTA (the Harbour Transit Authority) said", "HTA", "Harbour Transit Authority"),
        ("Two PGIs (Port Grain Inspectors) started", "PGI", "Port Grain Inspectors"),
    ],
)
def test_a_long_form_is_found_where_the_text_spells_the_acronym_out(
    text: str, acronym: str, long_form: str
) -> None:
    found = long_forms(text, acronym)
    assert [f.text for f in found] == [long_form]
    assert text[found[0].start : found[0].end] == long_form


@pytest.mark.parametrize(
    ("text", "acronym"),
    [
        ("He read the annual report (PDF) online.", "PDF"),  # initials that do not spell it
        ("the HTA (see below) will", "HTA"),
        ("the harbour transit authority (HTA) said", "HTA"),  # no capitals: no name
        ("The HTA said the Authority (HTA) would", "NIMR"),  # another acronym
    ],
)
def test_no_long_form_where_the_words_do_not_spell_it(text: str, acronym: str) -> None:
    assert long_forms(text, acronym) == []


def test_the_search_is_linear_on_hostile_text() -> None:
    text = "A " * 50_000 + "(AAAA) " + "(" * 10_000 + "AAAA (" + "A " * 50_000
    assert len(long_forms(text, "AAAA")) == 1
