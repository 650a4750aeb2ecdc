from __future__ import annotations

import pytest

from qa.evaluation.metrics import (
    AbstentionCounts,
    answer_in_quotes,
    best_score,
    citation_precision,
    contains,
    exact_match,
    gold_in_quotes,
    hit_at_k,
    mean,
    normalize_answer,
    percentile,
    reciprocal_rank,
    token_f1,
    unique_in_order,
)
from qa.types import Citation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,200", "1200"),
        ("1,200,000 jobs.", "1200000 jobs"),
        ("3.5", "3.5"),
        ("€3.50.", "3.50"),  # a full stop after a number is punctuation, the decimal point is not
        ("S$300 million", "300 million"),
        ("US$1.5 billion", "1.5 billion"),
        ("£2,500", "2500"),
        ("The U.S. Army", "us army"),
        ("An apple a day", "apple day"),
        ("Tampa, Florida!", "tampa florida"),
        ("10-15 May", "10 15 may"),  # a range stays two numbers
        ("Paris–Berlin", "paris berlin"),
        ("don't", "dont"),
        ("Germany's 2014 winners", "germany 2014 winners"),  # a possessive holds the name
        ("the players’ union", "players union"),
        ("  several\n spaces\t", "several spaces"),
        ("5%", "5"),
        ("Nov. 15, 2020", "november 15 2020"),  # months in full, however abbreviated
        ("Sept 3", "september 3"),
        ("12 Jan", "12 january"),
        ("Marseille in decade", "marseille in decade"),  # words that begin like a month are none
        ("", ""),
        ("The", ""),
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_numbers_keep_their_value() -> None:
    assert exact_match("1,200", "1200")
    assert not exact_match("3.5", "35")
    assert not exact_match("1,2", "12")  # not a thousands separator: two numbers
    assert exact_match("S$300 million", "300 million")
    assert not exact_match("S$300 million", "S$30 million")
    assert not contains("20", "over 200 positions")  # whole numbers, not substrings


def test_abbreviated_months_match_full_ones() -> None:
    assert exact_match("Aug. 22, 2021", "August 22 2021")
    assert contains("Dec 10 2020", "released on December 10, 2020")
    assert token_f1("Nov. 15", "November 15 2020") == pytest.approx(0.8)
    assert not exact_match("Nov. 15", "Dec. 15")


def test_exact_match_ignores_case_articles_and_punctuation() -> None:
    assert exact_match("The Acme Corporation.", "acme corporation")
    assert not exact_match("Acme", "Acme Corporation")


def test_token_f1() -> None:
    assert token_f1("Tampa, Florida", "Tampa, Florida") == 1.0
    assert token_f1("Tampa", "Tampa, Florida") == pytest.approx(2 / 3)
    assert token_f1("in Tampa Florida USA", "Tampa Florida") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("Miami", "Tampa") == 0.0
    assert token_f1("3.5 billion", "35 billion") == pytest.approx(0.5)


def test_empty_answers() -> None:
    assert token_f1("", "") == 1.0  # SQuAD 2.0 convention
    assert token_f1("", "Tampa") == 0.0
    assert token_f1("Tampa", "") == 0.0
    assert token_f1("the", "a") == 1.0  # both empty once normalised
    assert exact_match("", "")
    assert not contains("", "anything")  # nothing to look for is not a hit
    assert not contains("the", "the lab")
    assert best_score(token_f1, "Tampa", []) == 0.0


def test_contains_and_best_score() -> None:
    assert contains("200 positions", "It will create 200 positions in total.")
    assert contains("1,200", "about 1200 jobs")
    assert not contains("positions 200", "200 positions")
    assert best_score(exact_match, "200", ["over 200 technical positions", "200"]) == 1.0
    assert best_score(token_f1, "200 jobs", ["200", "over 200"]) == pytest.approx(2 / 3)


def _citation(
    quote: str, start: int = 100, answer: tuple[int, int] | None = None, doc_id: str = "d"
) -> Citation:
    answer_start, answer_end = answer if answer else (None, None)
    return Citation(
        doc_id=doc_id,
        title="",
        chunk_id=f"{doc_id}:0",
        quote=quote,
        start=start,
        end=start + len(quote),
        answer_start=answer_start,
        answer_end=answer_end,
    )


def test_answer_in_quotes() -> None:
    quote = "The lab will create over 200 technical positions."
    span = (100 + quote.index("over"), 100 + quote.index("positions") + len("positions"))
    assert answer_in_quotes("over 200 technical positions", [_citation(quote, answer=span)])
    assert answer_in_quotes("200 positions", [_citation(quote)])  # words, not a contiguous run
    assert not answer_in_quotes("over 300 positions", [_citation(quote)])
    assert not answer_in_quotes("over 200", [_citation(quote, answer=(90, 120))])  # span outside the quote
    assert not answer_in_quotes("over 200", [_citation(quote, answer=(120, 110))])  # end before start
    assert not answer_in_quotes("over 200", [])  # no citation: not grounded
    assert not answer_in_quotes("...", [_citation(quote)])  # no words
    assert answer_in_quotes("Jane, 200", [_citation("Led by Jane."), _citation(quote, start=300)])


def test_gold_in_quotes() -> None:
    assert gold_in_quotes(["March 2025", "2025"], ["It opens in 2025."])
    assert not gold_in_quotes(["March 2025"], ["It opens in 2025."])
    assert not gold_in_quotes(["2025"], [])


def test_citation_precision() -> None:
    assert citation_precision(["a", "b", "a", "c"], {"a"}) == 0.5
    assert citation_precision([], {"a"}) is None
    assert citation_precision(["a"], set()) is None


def test_retrieval_metrics_deduplicate_documents() -> None:
    ranked = ["x", "x", "gold", "y", "gold"]  # chunk ranks: documents repeat
    assert unique_in_order(ranked) == ["x", "gold", "y"]
    assert not hit_at_k(ranked, {"gold"}, 1)
    assert hit_at_k(ranked, {"gold"}, 2)  # second distinct document, though third chunk
    assert reciprocal_rank(ranked, {"gold"}, 3) == 0.5
    assert reciprocal_rank(ranked, {"gold"}, 1) == 0.0
    assert reciprocal_rank(["gold"], {"gold", "other"}, 5) == 1.0
    assert reciprocal_rank([], {"gold"}, 5) == 0.0
    assert not hit_at_k([], {"gold"}, 5)


def test_abstention_confusion_matrix() -> None:
    # (answerable, abstained)
    counts = AbstentionCounts.count(
        [(False, True), (False, True), (False, False), (True, True), (True, False), (True, False)]
    )
    assert counts == AbstentionCounts(
        abstained_unanswerable=2, abstained_answerable=1, answered_unanswerable=1, answered_answerable=2
    )
    assert counts.precision == pytest.approx(2 / 3)
    assert counts.recall == pytest.approx(2 / 3)
    assert counts.f1 == pytest.approx(2 / 3)


def test_abstention_edge_cases() -> None:
    never_abstains = AbstentionCounts.count([(False, False), (True, False)])
    assert never_abstains.precision is None
    assert never_abstains.recall == 0.0
    assert never_abstains.f1 == 0.0
    nothing_unanswerable = AbstentionCounts.count([(True, True), (True, False)])
    assert nothing_unanswerable.precision == 0.0
    assert nothing_unanswerable.recall is None
    assert nothing_unanswerable.f1 is None
    perfect = AbstentionCounts.count([(False, True), (True, False)])
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile(values, 101)


def test_mean_skips_missing_values() -> None:
    assert mean([1.0, None, 0.0]) == 0.5
    assert mean([None]) is None
