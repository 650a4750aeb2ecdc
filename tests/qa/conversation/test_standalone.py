"""The conversation rules: limits, follow-up detection and the standalone rewrite."""

from __future__ import annotations

import pytest

from qa.conversation.messages import (
    MAX_CONVERSATION_CHARS,
    MAX_MESSAGES,
    ConversationTooLarge,
    Turn,
    validate_conversation,
)
from qa.conversation.standalone import (
    MAX_REPLACEMENTS,
    MAX_SUBJECT_CHARS,
    MAX_SUBJECT_WORDS,
    Standalone,
    is_follow_up,
    resolve_new,
    rewrite_follow_up,
    salient_terms,
    standalone_question,
    subject_of,
)
from qa.errors import InvalidRequest
from qa.service import MAX_QUESTION_CHARS

JOBS = "How many jobs will the lab create?"
JOBS_ANSWER = "over 200 technical positions"


def talk(*contents: str) -> list[Turn]:
    """Alternating user / assistant turns, starting with the user."""
    return [Turn("user" if i % 2 == 0 else "assistant", text) for i, text in enumerate(contents)]


# -- limits and shape -------------------------------------------------------------------------
def test_a_single_question_is_kept_as_asked() -> None:
    assert standalone_question(talk("  How many jobs will   the lab create? ")).question == JOBS


def test_twenty_messages_are_allowed_and_twenty_one_are_not() -> None:
    validate_conversation([*talk(*(["Where is it?"] * MAX_MESSAGES))[:-1], Turn("user", "Why?")])
    with pytest.raises(ConversationTooLarge, match="at most 20 messages, got 21"):
        validate_conversation(talk(*["Where is it?"] * (MAX_MESSAGES + 1)))


def test_eight_thousand_characters_are_allowed_and_one_more_is_not() -> None:
    filler = "x" * (MAX_CONVERSATION_CHARS - 1000 - 10)
    validate_conversation([Turn("user", filler), Turn("assistant", "ok"), Turn("user", "y" * 1008)])
    with pytest.raises(ConversationTooLarge, match="at most 8,000 characters in total, got 8,001"):
        validate_conversation([Turn("user", filler), Turn("assistant", "ok"), Turn("user", "y" * 1009)])


def test_too_large_is_an_invalid_request_with_its_own_code() -> None:
    assert issubclass(ConversationTooLarge, InvalidRequest)
    assert ConversationTooLarge.code == "conversation_too_large"


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([], "messages must not be empty"),
        (talk(JOBS, JOBS_ANSWER), "the last message must be from the user"),
        (talk(JOBS, "   ", "Where?"), r"message 2 \(assistant\) is empty"),
        (talk("\n"), r"message 1 \(user\) is empty"),
        ([Turn("system", "be nice"), Turn("user", JOBS)], "role must be 'user' or 'assistant'"),
        (talk("q" * (MAX_QUESTION_CHARS + 1)), "at most 2000 characters"),
    ],
)
def test_malformed_conversations_are_refused_with_a_reason(messages: list[Turn], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        standalone_question(messages)


# -- follow-up detection ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "And where will it be based?",
        "How much money is behind it?",
        "What about Kestrel Labs?",
        "but who leads them?",
        "Where will the lab be based?",  # short and names nothing
        "Who is the CEO?",  # a title is not a name
        "When did she join?",
    ],
)
def test_follow_ups_are_recognised(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2022 World Cup?",
        "What is the salary of the Frontline Engineers?",
        "How much will Meridian Cognition invest in Malaysia over five years?",
        "What did the attacker rename the notebook to in the proof of concept?",
    ],
)
def test_questions_that_name_their_subject_start_a_new_topic(question: str) -> None:
    assert not is_follow_up(question)
    standalone = standalone_question(talk(JOBS, JOBS_ANSWER, question))
    assert standalone.question == question and not standalone.follow_up and not standalone.context


# -- subjects and terms -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "subject"),
    [
        (JOBS, "the lab"),
        ("Where will the research lab be based?", "the research lab"),
        ("How many jobs will the lab in Singapore create?", "the lab"),
        ("How many jobs will Meridian Cognition create?", "Meridian Cognition"),
        ("How much funding does OpenAI for Singapore have?", "OpenAI for Singapore"),
        ("What did the attacker rename the notebook to?", "the attacker"),
        ("Who founded the research lab?", "the research lab"),
        # "name" asks, as in the question analysis: "the name" is no subject "it" can stand for.
        ("What is the name of the research lab?", "the research lab"),
        ("Why?", ""),
    ],
)
def test_subject_of_a_question(question: str, subject: str) -> None:
    assert subject_of(question) == subject


def test_salient_terms_drop_function_words_pronouns_and_repeats() -> None:
    assert salient_terms("How many jobs will it create, and how many jobs in 2026?") == [
        "jobs",
        "create",
        "2026",
    ]
    assert salient_terms("OpenAI's lab: over S$300 million") == ["OpenAI", "lab", "S$300", "million"]


# -- rewriting ------------------------------------------------------------------------------------
def test_a_follow_up_gets_the_subject_and_the_previous_terms_as_context() -> None:
    rewritten = standalone_question(talk(JOBS, JOBS_ANSWER, "And where will it be based?"))
    assert rewritten.question == "Where will the lab be based?"  # readable English, nothing appended
    assert rewritten.context == "jobs create 200 technical positions"
    assert rewritten.follow_up and rewritten.previous is not None and rewritten.previous.question == JOBS


def test_the_rewrite_keeps_the_follow_ups_own_question_word_first() -> None:
    rewritten = standalone_question(talk(JOBS, JOBS_ANSWER, "How much money is behind it?"))
    assert rewritten.question == "How much money is behind the lab?"
    assert "how many" not in rewritten.context.lower()  # the carried part never asks a second question


def test_a_definite_phrase_follow_up_stays_in_the_conversation() -> None:
    rewritten = standalone_question(talk(JOBS, JOBS_ANSWER, "How much funding is behind the initiative?"))
    assert rewritten.question == "How much funding is behind the initiative?"
    assert rewritten.follow_up


def test_assistant_doc_ids_are_checked_and_user_doc_ids_refused() -> None:
    with pytest.raises(InvalidRequest, match="only assistant messages carry doc_ids"):
        validate_conversation([Turn("user", JOBS, ["a"])])
    validate_conversation([Turn("user", JOBS), Turn("assistant", JOBS_ANSWER, ["a"]), Turn("user", "Why?")])


def test_follow_ups_chain_through_several_turns() -> None:
    rewritten = standalone_question(
        talk(JOBS, JOBS_ANSWER, "And where will it be based?", "Singapore", "How much money is behind it?")
    )
    assert rewritten.question == "How much money is behind the lab?"
    for term in ["Singapore", "jobs", "200", "technical", "positions"]:
        assert term in rewritten.context


def test_an_abstention_carries_nothing_but_the_question_does() -> None:
    rewritten = standalone_question(talk(JOBS, "The announcements don't say.", "Where will it be based?"))
    assert (rewritten.question, rewritten.context) == ("Where will the lab be based?", "jobs create")


def test_what_about_reasks_the_previous_question_about_the_new_name() -> None:
    other = standalone_question(talk(JOBS, JOBS_ANSWER, "What about Kestrel Labs?"))
    assert other.question == "How many jobs will Kestrel Labs create?"
    assert not other.follow_up  # it names something else: asked over every document
    assert standalone_question(
        talk("How many jobs will Meridian Cognition create?", "up to 150 research roles", "And Kestrel Labs?")
    ).question == ("How many jobs will Kestrel Labs create?")


def test_what_about_without_a_name_is_an_ordinary_follow_up() -> None:
    rewritten = standalone_question(talk(JOBS, JOBS_ANSWER, "What about the funding?"))
    assert rewritten.question == "What about the funding?"
    assert rewritten.context == "jobs lab create 200 technical positions"


def test_possessive_pronouns_become_possessives() -> None:
    previous = Standalone("How many jobs will Meridian Cognition create?", "Meridian Cognition")
    assert rewrite_follow_up("Who is its chief executive?", previous).question == (
        "Who is Meridian Cognition's chief executive?"
    )


def test_he_and_she_are_not_guessed_but_the_answer_is_carried() -> None:
    rewritten = standalone_question(
        talk("Who is the CEO of Kestrel Labs?", "Amara Okafor", "When did she join?")
    )
    assert (rewritten.question, rewritten.context) == ("When did she join?", "CEO Kestrel Labs Amara Okafor")
    assert rewritten.follow_up  # "Amara Okafor" is named nowhere but in the conversation


def test_carried_terms_are_capped() -> None:
    long_question = "Which " + " ".join(f"Term{i}" for i in range(30)) + " matter?"
    rewritten = standalone_question(talk(long_question, "ok", "And why?"))
    assert rewritten.context.count("Term") == 12


def test_the_rewrite_never_exceeds_the_question_limit() -> None:
    long_follow_up = "And where is it " + "really " * ((MAX_QUESTION_CHARS - 30) // 7) + "?"
    rewritten = standalone_question(talk(JOBS, JOBS_ANSWER, long_follow_up))
    assert len(rewritten.question) <= MAX_QUESTION_CHARS
    assert rewritten.question.startswith("Where is the lab really")


# -- bounds (issue 14: "it it" follow-ups doubled the question at every turn) -----------------
def test_a_pronoun_inserts_a_bounded_subject_a_bounded_number_of_times() -> None:
    previous = resolve_new(" ".join(["Acme"] * 100))
    assert len(previous.subject) <= MAX_SUBJECT_CHARS
    follow_up = rewrite_follow_up("it it it it it it it it", previous)
    assert follow_up.question.count("Acme") <= MAX_SUBJECT_WORDS * MAX_REPLACEMENTS


def test_it_it_follow_ups_do_not_grow_the_question() -> None:
    messages = [Turn("user", " ".join(["Acme"] * 100))] + [Turn("user", "it it")] * 19
    assert len(standalone_question(messages).question) <= MAX_QUESTION_CHARS
