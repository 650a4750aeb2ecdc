"""The words a passage offers a question: stems and the other names of the same thing."""

from __future__ import annotations

import pytest

from qa.language.evidence import name_words, names_support, same_answer, text_stems, vote_key
from qa.language.questions import analyse
from qa.language.stemming import stem
from qa.text import words


def test_a_quarter_spelt_out_or_hyphenated_stands_for_its_code() -> None:
    assert "q3" in text_stems("Tesla's third-quarter earnings")
    assert "q1" in text_stems("revenue for the First Quarter of 2021")
    assert "q2" not in text_stems("the second half of the quarter")


def test_a_number_written_out_stands_for_its_digits() -> None:
    assert "11" in text_stems("The eleventh and final season premiered in August")
    assert {"4", "3"} <= text_stems("its fourth season, after the 3rd")
    assert "1" not in text_stems("the first episode")  # "one"/"first" are too common to count


def test_a_country_and_its_adjective_stand_for_each_other() -> None:
    country, adjective = stem("France"), stem("French")
    assert {country, adjective} <= text_stems("Voters in France chose a president")
    assert {country, adjective} <= text_stems("the French presidential election")
    assert country not in text_stems("voters chose a president")


def test_a_passage_naming_the_country_supports_the_questions_adjective() -> None:
    names = name_words(analyse("Who won the French presidential election in 2017?").names)
    france = "Voters in France chose Emmanuel Macron in the 2017 presidential election."
    kenya = "Voters in Kenya chose a president in the 2017 presidential election."
    support = {
        text: names_support(names, " ".join(words(text)), text_stems(text))[0] for text in (france, kenya)
    }
    assert support[france] > 0.9 > support[kenya]


def test_a_titles_initials_stand_for_its_acronym() -> None:
    stems = text_stems(
        "Sofia Alvarez, Chief Executive Officer of Brightlake, and the Ministry of Digital Development"
    )
    assert {"ceo", "mdd"} <= stems
    assert "sa" not in stems  # two letters are too common a chance to count


def test_a_single_letter_of_a_name_counts_only_beside_its_neighbour() -> None:
    def support(question: str, text: str) -> float:
        names = name_words(analyse(question).names)
        return names_support(names, " ".join(words(text)), text_stems(text))[0]

    series_b = "Tessellate has raised a $45 million Series B round."
    series_a = "Tessellate has raised $12 million in a Series A round."
    assert support("How much did Tessellate raise in its Series A?", series_a) == 1.0
    assert support("How much did Tessellate raise in its Series A?", series_b) < 0.9
    assert support("How many jobs will the R&D centre create?", "The centre does R&D in Leeds.") == 1.0


def test_a_words_inflections_share_its_stem() -> None:
    assert stem("engineers") == stem("engineer") and stem("created") == stem("creates") == stem("create")
    assert stem("won") == stem("win")  # irregular forms by their base


@pytest.mark.parametrize(
    ("word", "form"), [("hire", "hired"), ("open", "opened"), ("job", "jobs"), ("lab", "labs")]
)
def test_a_short_words_inflections_share_its_stem_too(word: str, form: str) -> None:
    assert stem(word) == stem(form)


def test_spellings_with_and_without_accents_are_one_answer() -> None:
    assert vote_key("Tadej Pogačar") == vote_key("Tadej Pogacar")
    assert same_answer(vote_key("Beijing, China"), "Beijing")
    assert not same_answer(vote_key("Beijing"), "Shanghai")


def test_an_amount_with_or_without_its_currency_sign_is_one_answer() -> None:
    assert same_answer(vote_key("US$9,200"), "9,200")
    assert same_answer(vote_key("$45 million"), "45 million")
    assert same_answer(vote_key("€120 million"), "120 million")
    assert same_answer(vote_key("S$339"), "S$339")
    assert not same_answer(vote_key("$5"), "$50")
    assert not same_answer(vote_key("S$300,000"), "S$300 million")


def test_a_texts_stems_are_computed_once_and_cannot_be_changed_by_a_caller() -> None:
    text = "Harbour Robotics said its Chief Sustainability Officer opened the third-quarter lab."
    first = text_stems(text)
    assert text_stems(text) is first  # cached: each retrieved sentence is read more than once
    assert isinstance(first, frozenset)  # so no caller can change what the next question reads
    assert {"q3", "harbour", "cso"} <= first
