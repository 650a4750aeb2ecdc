"""Sentence and word spans: exact offsets, and sentence ends that are not full stops."""

from __future__ import annotations

import re

import pytest

from qa.generative.facts import amounts_in
from qa.index.lexical import lexical_tokens
from qa.language.answer_types import TYPE_PATTERNS, AnswerType
from qa.language.spans import _MONEY
from qa.text import (
    CURRENCY_CODES,
    CURRENCY_SIGNS,
    MAX_SENTENCE_TOKENS,
    Span,
    sentence_spans,
    word_spans,
    words,
)


def texts(spans: list[Span]) -> list[str]:
    return [s.text for s in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Kenji Arakawa leads the lab. It opened in 2024.",
            ["Dr. Kenji Arakawa leads the lab.", "It opened in 2024."],
        ),
        (
            "Mr. Tan met Ms. Lee at Acme Inc. in Jan. 2024 and left. Then St. Louis.",
            ["Mr. Tan met Ms. Lee at Acme Inc. in Jan. 2024 and left.", "Then St. Louis."],
        ),
        ("The U.S. market grew. Sales fell.", ["The U.S. market grew.", "Sales fell."]),
        ("It was founded by J. R. Smith. He retired.", ["It was founded by J. R. Smith.", "He retired."]),
        ("e.g. this and i.e. that. Next.", ["e.g. this and i.e. that.", "Next."]),
    ],
)
def test_abbreviations_do_not_end_sentences(text: str, expected: list[str]) -> None:
    assert texts(sentence_spans(text)) == expected


def test_decimals_and_amounts_do_not_end_sentences() -> None:
    text = "Revenue grew 3.5% to S$1.2 billion. Margins were 12.75 per cent. Version 2.0.1 ships."
    assert texts(sentence_spans(text)) == [
        "Revenue grew 3.5% to S$1.2 billion.",
        "Margins were 12.75 per cent.",
        "Version 2.0.1 ships.",
    ]


def test_a_number_may_start_the_next_sentence() -> None:
    assert texts(sentence_spans("The count is 3. 4 more are planned.")) == [
        "The count is 3.",
        "4 more are planned.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '"We are excited," said Jane Tan. "This is great." The lab opens soon.',
            ['"We are excited," said Jane Tan.', '"This is great."', "The lab opens soon."],
        ),
        ("“We are proud.” The board agreed.", ["“We are proud.”", "The board agreed."]),
        ('He asked "Why not?" Then he left.', ['He asked "Why not?"', "Then he left."]),
        ('"Really?" she asked. Yes.', ['"Really?" she asked.', "Yes."]),
        ("(It was late.) The end.", ["(It was late.)", "The end."]),
    ],
)
def test_quotes_and_brackets_stay_with_their_sentence(text: str, expected: list[str]) -> None:
    assert texts(sentence_spans(text)) == expected


def test_other_sentence_ends() -> None:
    assert texts(sentence_spans("Really? Yes! It ends here…  And goes on... Done")) == [
        "Really?",
        "Yes!",
        "It ends here…",
        "And goes on...",
        "Done",
    ]


def test_lower_case_after_a_full_stop_continues_the_sentence() -> None:
    assert texts(sentence_spans("See example.com. then reload.")) == ["See example.com. then reload."]


def test_headings_on_their_own_line_are_sentences() -> None:
    text = "Applied AI Lab\nThe lab will create over 200 technical positions. It is led by Jane.\n\nFunding\nS$300m"
    assert texts(sentence_spans(text)) == [
        "Applied AI Lab",
        "The lab will create over 200 technical positions.",
        "It is led by Jane.",
        "Funding",
        "S$300m",
    ]


def test_a_line_break_ends_a_sentence_even_after_an_abbreviation() -> None:
    assert texts(sentence_spans("Contact Dr.\nSmith")) == ["Contact Dr.", "Smith"]


def test_offsets_are_exact_and_trimmed() -> None:
    text = "  First one.   Second one!\n\n  Third?  \n"
    spans = sentence_spans(text)
    assert texts(spans) == ["First one.", "Second one!", "Third?"]
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip()


def test_start_and_end_restrict_the_range_with_absolute_offsets() -> None:
    text = "Skip this. Take this one. And this. Not this."
    start, end = text.index("Take"), text.index("Not") - 1
    spans = sentence_spans(text, start, end)
    assert texts(spans) == ["Take this one.", "And this."]
    assert all(text[s.start : s.end] == s.text for s in spans)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert sentence_spans(text) == []


def test_text_without_final_punctuation_is_one_sentence() -> None:
    assert texts(sentence_spans("no punctuation at all")) == ["no punctuation at all"]


def test_word_spans_keep_number_separators_and_offsets() -> None:
    text = "Acme's S$300 million plan: 1,200 jobs, 3.5% growth, AI-powered, 2025/26."
    spans = word_spans(text)
    assert [s.text for s in spans] == [
        "Acme's",
        "S$300",
        "million",
        "plan",
        "1,200",
        "jobs",
        "3.5%",
        "growth",
        "AI-powered",
        "2025/26",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_words_are_lower_case_and_drop_punctuation() -> None:
    assert words("The LAB, (in Singapore)!") == ["the", "lab", "in", "singapore"]


def test_words_with_accents_stay_whole() -> None:
    assert words("Lucía Ferrer, Tadej Pogačar and São Paulo") == [
        "lucía",
        "ferrer",
        "tadej",
        "pogačar",
        "and",
        "são",
        "paulo",
    ]


def test_a_sentence_of_many_signs_is_cut_into_pieces_of_bounded_tokens() -> None:
    text = "Look " + "(" * 5000 + "x" + ")" * 5000 + " end."
    pieces = sentence_spans(text)
    assert all(len(re.findall(r"\w+|[^\w\s]", p.text)) <= MAX_SENTENCE_TOKENS for p in pieces)
    assert "".join(p.text for p in pieces) == text  # no spaces inside the run: nothing is lost


@pytest.mark.parametrize("sign", list(CURRENCY_SIGNS))
def test_every_amount_pattern_knows_every_currency_sign(sign: str) -> None:
    # One list (qa.text.CURRENCY_SIGNS) for the tokenizer, BM25, the re-ranker and the claim
    # checker: an amount in rupees is an amount everywhere.
    amount = f"{sign}450 million"
    assert f"{sign}450" in words(amount)
    assert "450" in lexical_tokens(amount)  # the figure alone matches a question's "450"
    assert TYPE_PATTERNS[AnswerType.MONEY].search(amount)
    assert amounts_in(f"It raised {amount}.")[0].currency


def test_an_amount_may_open_with_any_currency_code() -> None:
    for code in CURRENCY_CODES:
        found = amounts_in(f"It raised {code} 12 million.")
        assert [(a.number, a.currency) for a in found] == [("12", code)]


@pytest.mark.parametrize(
    "amount", ["1,200 million ringgit", "5,000 shillings", "40 million yuan", "2 million francs", "300 pesos"]
)
def test_every_amount_pattern_knows_every_currency_name(amount: str) -> None:
    # One pattern (qa.text.CURRENCY_NAME) for the re-ranker, the span finder and the claim
    # checker: each had its own list (ringgit was missing from two, yuan from two).
    assert TYPE_PATTERNS[AnswerType.MONEY].search(amount)
    assert _MONEY.search(f"It raised {amount}.")
    assert amounts_in(f"It raised {amount}.")[0].text == amount
