"""The English word lists and patterns every module builds on (qa.language.lexicon)."""

from __future__ import annotations

import re

import pytest

from qa.language.lexicon import (
    AUXILIARIES,
    MONTH,
    MONTH_NAMES,
    MONTH_WORD,
    QUARTER_PHRASE,
    QUESTION_WORDS,
    WH_WORDS,
    month_number,
    quarter_of,
)


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("January", 1),
        ("Feb", 2),
        ("sept", 9),
        ("Sep", 9),
        ("SEPTEMBER", 9),
        ("June", 6),
        ("Jun", 6),
        ("dec", 12),
    ],
)
def test_a_month_full_or_abbreviated_is_found_with_its_number(written: str, number: int) -> None:
    assert MONTH_WORD.fullmatch(written)
    assert month_number(written) == number


@pytest.mark.parametrize(
    "word", ["Marseille", "decade", "Junior", "Octopus", "Mayor", "marketing", "Augsburg"]
)
def test_a_word_that_only_begins_like_a_month_is_no_month(word: str) -> None:
    assert not MONTH_WORD.search(word)


def test_every_month_name_matches_the_month_pattern() -> None:
    assert all(re.fullmatch(MONTH, name) for name in MONTH_NAMES)
    assert [month_number(name) for name in MONTH_NAMES] == list(range(1, 13))


@pytest.mark.parametrize(
    ("text", "quarter"),
    [("third quarter", "q3"), ("First-Quarter results", "q1"), ("the second  quarters", "q2")],
)
def test_a_quarter_spelt_out_is_its_code(text: str, quarter: str) -> None:
    match = QUARTER_PHRASE.search(text)
    assert match is not None and quarter_of(match.group(1)) == quarter


def test_a_quarterback_is_no_quarter() -> None:
    assert not QUARTER_PHRASE.search("the first quarterback to win")


def test_question_words_hold_every_wh_word_and_auxiliaries_hold_be_and_might() -> None:
    assert WH_WORDS <= QUESTION_WORDS
    assert {"many", "much", "name"} <= QUESTION_WORDS
    assert {"be", "been", "shall", "may", "might", "will", "does"} <= AUXILIARIES


def test_the_sentence_splitter_knows_every_month_abbreviation() -> None:
    from qa.text import MONTH_ABBREVIATIONS, sentence_spans

    assert len(MONTH_ABBREVIATIONS) == 12  # eleven short forms (not "may") and "sept"
    for short in MONTH_ABBREVIATIONS:
        assert MONTH_WORD.fullmatch(short)
        text = f"The show opens on {short.title()}. 3 in Lyon. Tickets sell fast."
        first = sentence_spans(text)[0].text
        assert first == f"The show opens on {short.title()}. 3 in Lyon."
