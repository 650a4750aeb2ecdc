"""Question analysis: answer type, head noun, names and the role of the asked-for entity."""

from __future__ import annotations

import pytest

from qa.questions import AnswerType, analyse


def test_a_quarter_in_words_is_a_name_like_q2() -> None:
    assert "Q2" in analyse("What was Corvane's revenue in the second quarter of 2025?").names


def test_the_head_follows_a_possessive_owner() -> None:
    q = analyse("What is the name of Microsoft's AR headset?")
    assert q.head == "headset" and q.wants == ""


def test_the_head_ends_before_the_verb() -> None:
    assert analyse("What movie won the Oscar for Best Animated Film in 2020?").head == "movie"
    assert analyse("What local chapter organised the hackathon?").head == "chapter"


@pytest.mark.parametrize(
    ("question", "wants"),
    [
        ("Which company acquired Instagram?", "agent"),
        ("Who won the Tour de France?", "agent"),
        ("Which company did Facebook acquire?", "patient"),
        ("Who did Acme hire as its CFO?", "patient"),
        ("Who is the CEO of Google?", ""),
        ("Who was the runner-up of the 2014 World Cup?", "agent"),  # the doer of losing
    ],
)
def test_the_role_of_the_asked_for_entity(question: str, wants: str) -> None:
    assert analyse(question).wants == wants


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("What was Brightlake Analytics' net income last year?", AnswerType.MONEY),
        ("What was Halvard Mobility's operating margin in 2025?", AnswerType.QUANTITY),
    ],
)
def test_financial_heads_have_their_types(question: str, answer_type: AnswerType) -> None:
    assert analyse(question).answer_type is answer_type


def test_terms_carried_from_a_conversation_are_no_names() -> None:
    q = analyse("How much money is behind the lab?", context="jobs create 200 technical positions")
    assert q.text == "How much money is behind the lab?"
    assert "200" not in q.names
    assert "200" in q.terms  # they still count as the question's words


def test_a_date_question_does_not_look_for_the_word_date() -> None:
    assert analyse("What is the release date of Cyberpunk 2077?").terms == ["release", "cyberpunk", "2077"]
    assert "day" in analyse("When does Patriots' Day premiere?").terms  # a name keeps its words


def test_a_hyphenated_title_asks_for_a_person() -> None:
    assert analyse("Who is the Vice-Chancellor of Aldergrove University?").answer_type is AnswerType.PERSON


def test_the_no_1_is_a_person_but_not_the_no_1_song() -> None:
    assert analyse("What is women's year-end No 1 in tennis in 2020?").answer_type is AnswerType.PERSON
    assert analyse("What is the No. 1 song this week?").answer_type is not AnswerType.PERSON


def test_a_compound_heads_last_noun_decides_its_type() -> None:
    q = analyse("What was Corvane's total revenue in the third quarter of 2025?")
    assert (q.answer_type, q.head) == (AnswerType.MONEY, "revenue")


def test_a_later_clauses_when_does_not_decide_the_type() -> None:
    team = analyse("Which team did Tadej Pogačar ride for when he won the 2021 Tour de France?")
    assert (team.answer_type, team.head) == (AnswerType.ORGANISATION, "team")
    value = analyse("What was the value of the Disney–Fox merger when the deal closed in March 2019?")
    assert value.answer_type is AnswerType.MONEY
    assert analyse("When and where will the lab open?").answer_type is AnswerType.DATE
