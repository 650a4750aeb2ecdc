"""Follow-ups are asked over the conversation's documents first (logic, over a fake service)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from qa.conversation.followup import ask_in_conversation, scoped_filters
from qa.conversation.messages import Turn
from qa.errors import NotFound
from qa.index.store import Filters
from qa.service import QAService
from qa.types import Answer, Article, Citation

JOBS = "How many jobs will the lab create?"


class Documents:
    """The store part a follow-up reads: documents by id."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def get_document(self, doc_id: str) -> Article:
        if doc_id not in self.texts:
            raise NotFound(f"no document {doc_id!r}")
        return Article(doc_id=doc_id, title=doc_id, text=self.texts[doc_id])


class RecordingService:
    """Cites ``doc`` for every question, abstains when asked over ``abstain_on``."""

    def __init__(self, doc: str = "lab-news", abstain_on: list[str] | None = None) -> None:
        self.doc, self.abstain_on = doc, abstain_on
        self.calls: list[tuple[str, Filters | None, str]] = []

    def ask(
        self, question: str, top_k: Any = None, filters: Any = None, answerer: Any = None, context: str = ""
    ) -> Answer:
        self.calls.append((question, filters, context))
        if filters is not None and filters.doc_ids == self.abstain_on:
            return Answer(text="The announcements don't say.", abstained=True, confidence=0.0)
        cite = Citation(doc_id=self.doc, title="t", chunk_id=f"{self.doc}:0", quote="q", start=0, end=1)
        return Answer(text="over 200", abstained=False, confidence=0.9, citations=[cite])


def talk(*turns: Turn) -> list[Turn]:
    return list(turns)


def test_a_follow_up_is_asked_over_the_documents_the_last_answer_cited() -> None:
    service = RecordingService()
    messages = talk(
        Turn("user", JOBS), Turn("assistant", "over 200", ["a", "b"]), Turn("user", "Where is it?")
    )
    standalone, answer = ask_in_conversation(cast(QAService, service), messages)
    assert standalone.question == "Where is the lab?" and not answer.abstained
    assert [(q, f.doc_ids if f else None) for q, f, _ in service.calls] == [("Where is the lab?", ["a", "b"])]
    assert service.calls[0][2] == standalone.context != ""


def test_without_doc_ids_the_previous_question_names_the_documents() -> None:
    service = RecordingService(doc="lab-news")
    messages = talk(Turn("user", JOBS), Turn("assistant", "over 200"), Turn("user", "Where is it?"))
    ask_in_conversation(cast(QAService, service), messages)
    assert [q for q, _, _ in service.calls] == [JOBS, "Where is the lab?"]
    assert service.calls[1][1] == Filters(doc_ids=["lab-news"])


def test_an_abstention_over_the_conversations_documents_asks_over_everything() -> None:
    service = RecordingService(abstain_on=["a"])
    service.store = Documents({"lab-news": "The lab opens in May."})  # type: ignore[attr-defined]
    messages = talk(Turn("user", JOBS), Turn("assistant", "over 200", ["a"]), Turn("user", "Where is it?"))
    _, answer = ask_in_conversation(cast(QAService, service), messages)
    assert not answer.abstained
    assert [f for _, f, _ in service.calls] == [Filters(doc_ids=["a"]), None]


def test_a_new_topic_is_asked_over_everything_at_once() -> None:
    service = RecordingService()
    messages = talk(
        Turn("user", JOBS), Turn("assistant", "over 200", ["a"]), Turn("user", "Who won the 2022 World Cup?")
    )
    ask_in_conversation(cast(QAService, service), messages)
    assert [f for _, f, _ in service.calls] == [None]


def test_the_requests_own_filters_narrow_the_conversation_scope() -> None:
    own = Filters(doc_ids=["b", "c"], source="Newsroom")
    assert scoped_filters(own, ["a", "b"]) == Filters(doc_ids=["b"], source="Newsroom")
    assert scoped_filters(own, ["a"]) is None  # nothing of the conversation is allowed: no scope
    assert scoped_filters(None, []) is None


LYON = "How many jobs will the Acme lab in Lyon create?"


@pytest.mark.parametrize(
    ("elsewhere", "answered"),
    [
        ("Acme's Porto hub opened in 2024 and is based in Porto.", False),  # no Lyon in it
        ("Acme's Lyon lab is based in the old silk district of Lyon.", True),
    ],
)
def test_a_follow_up_answered_elsewhere_needs_a_document_naming_the_conversations_names(
    elsewhere: str, answered: bool
) -> None:
    service = RecordingService(doc="elsewhere", abstain_on=["a"])
    service.store = Documents({"elsewhere": elsewhere})  # type: ignore[attr-defined]
    messages = talk(Turn("user", LYON), Turn("assistant", "over 200", ["a"]), Turn("user", "Where is it?"))
    standalone, answer = ask_in_conversation(cast(QAService, service), messages)
    assert "Lyon" in standalone.carried
    assert [f for _, f, _ in service.calls] == [Filters(doc_ids=["a"]), None]  # asked over everything too
    assert answer.abstained is not answered


def test_without_names_the_subject_must_be_in_the_document_answered_from() -> None:
    service = RecordingService(doc="elsewhere", abstain_on=["a"])
    service.store = Documents({"elsewhere": "Beta Robotics named a chief executive based in London."})  # type: ignore[attr-defined]
    messages = talk(Turn("user", JOBS), Turn("assistant", "over 200", ["a"]), Turn("user", "Where is it?"))
    standalone, answer = ask_in_conversation(cast(QAService, service), messages)
    assert standalone.subject == "the lab" and answer.abstained  # an article with no lab in it
    service.store = Documents({"elsewhere": "The Labs' new lab is in Leeds."})  # type: ignore[attr-defined]
    assert not ask_in_conversation(cast(QAService, service), messages)[1].abstained
