"""Re-ranking fused candidates by the question's names, numbers and rare terms."""

from __future__ import annotations

from qa.language.questions import analyse
from qa.retrieval.rerank import rerank
from tests.helpers.fakes import passage


def test_the_passage_with_the_questions_year_moves_up() -> None:
    fused = [
        passage("Simona Halep won the Wimbledon women's singles title in 2019.", "2019"),
        passage("Wimbledon women's singles champions by year, from 1968 to 2022.", "list"),
        passage("Angelique Kerber won the 2018 Wimbledon women's singles title.", "2018"),
    ]
    ranked = rerank(analyse("Who won the women's singles Wimbledon in 2018?"), fused)
    assert ranked[0].doc_id == "2018"


def test_a_quarter_is_found_under_either_spelling() -> None:
    fused = [
        passage("Tesla reported revenue of $10.4 billion for the first quarter of 2021.", "q1"),
        passage("Tesla reported revenue of $6.04 billion for the second quarter of 2020.", "q2"),
    ]
    assert rerank(analyse("What was Tesla's revenue in Q2 2020?"), fused)[0].doc_id == "q2"
    assert rerank(analyse("What was Tesla's revenue in the second quarter of 2020?"), fused)[0].doc_id == "q2"


def test_fused_order_stands_when_nothing_tells_the_passages_apart() -> None:
    fused = [passage("The lab will open next year in Lyon.", str(i)) for i in range(4)]
    assert [p.doc_id for p in rerank(analyse("When will the lab open?"), fused)] == ["0", "1", "2", "3"]


def test_a_title_counts_for_its_passage() -> None:
    fused = [
        passage("The company said hiring would start soon.", "other"),
        passage("Hiring starts in May.", "titled", title="Kestrel Labs opens Lagos hub"),
    ]
    assert rerank(analyse("When will Kestrel Labs start hiring in Lagos?"), fused)[0].doc_id == "titled"


def test_a_number_is_found_spelt_out() -> None:
    fused = [
        passage("The Crown season three premiered on Netflix on November 17, 2019.", "s3"),
        passage("The Crown's fourth season premiered on Netflix on November 15, 2020.", "s4"),
    ]
    assert rerank(analyse("When does season 4 of The Crown premiere?"), fused)[0].doc_id == "s4"


def test_a_passage_holding_the_asked_type_moves_up() -> None:
    fused = [
        passage("Nintendo released sales figures for its Switch games.", "other"),
        passage("Splatoon 2 was released for the Nintendo Switch to strong reviews.", "vague"),
        passage("Splatoon 2 was released for the Nintendo Switch on July 21, 2017.", "dated"),
    ]
    ranked = [p.doc_id for p in rerank(analyse("When was Splatoon 2 released?"), fused)]
    assert ranked.index("dated") < ranked.index("vague")


def test_a_hyphenated_quarter_counts_as_the_questions_quarter() -> None:
    fused = [
        passage("Tesla said its 2019 results beat expectations.", "other"),
        passage("Tesla's third-quarter earnings for 2019 showed $6.3 billion in revenue.", "q3"),
    ]
    assert rerank(analyse("What was Tesla's revenue in Q3 2019?"), fused)[0].doc_id == "q3"
