"""A small evaluation test set and a fake answerer: what a real one would say for each question
(the fixtures over them are in tests/qa/evaluation/conftest.py)."""

from __future__ import annotations

from qa.evaluation import AnswerFn, TestCase
from qa.types import Answer, Citation, Passage
from tests.helpers.fakes import passage

LAB = (
    "Acme opens a research lab in Singapore. The lab will create over 200 technical positions. "
    "Acme will invest S$300 million over five years. The lab is led by Jane Tan."
)
OTHER = "The city council approved a new bus route. Buses will run every ten minutes."
SCRIPT_QUESTION = "<script>alert('x')</script> Who leads the lab?"
ABSTAIN_TEXT = "The announcements don't say."


def cite(doc_id: str, text: str, quote: str, answer: str | None = None) -> Citation:
    """A citation of ``quote`` in ``text`` with real offsets, and of ``answer`` inside it."""
    start = text.index(quote)
    citation = Citation(
        doc_id=doc_id,
        title=doc_id.title(),
        chunk_id=f"{doc_id}:0",
        quote=quote,
        start=start,
        end=start + len(quote),
    )
    if answer is not None:
        citation.answer_start = start + quote.index(answer)
        citation.answer_end = citation.answer_start + len(answer)
    return citation


def answered(text: str, citations: list[Citation], latency: float) -> Answer:
    return Answer(text=text, abstained=False, confidence=0.8, citations=citations, latency_ms=latency)


def abstained(latency: float) -> Answer:
    return Answer(text=ABSTAIN_TEXT, abstained=True, confidence=0.1, latency_ms=latency)


def case(case_id: str, question: str, answers: list[str], doc_ids: list[str], **extra: object) -> TestCase:
    return TestCase(
        id=case_id,
        question=question,
        answers=answers,
        doc_ids=doc_ids,
        answerable=bool(answers),
        extra=dict(extra),
    )


Responses = dict[str, tuple[Answer, list[Passage]]]


def default_responses() -> Responses:
    lab, other = passage(LAB, "lab"), passage(OTHER, "other")
    jobs_quote = "The lab will create over 200 technical positions."
    money_quote = "Acme will invest S$300 million over five years."
    return {
        "How many jobs will the lab create?": (
            answered(
                "over 200 technical positions",
                [cite("lab", LAB, jobs_quote, "over 200 technical positions")],
                10,
            ),
            [lab, other],
        ),
        "How much will Acme invest?": (
            answered("300 million", [cite("lab", LAB, money_quote, "300 million")], 20),
            [other, lab, passage(LAB, "lab", index=1)],
        ),
        SCRIPT_QUESTION: (
            answered("John <b>Lee</b>", [cite("other", OTHER, "Buses will run every ten minutes.")], 30),
            [other],
        ),
        "When does the lab open?": (abstained(40), [lab]),
        "What is the CEO's salary?": (abstained(50), [lab, other]),
        "Who won the 2030 World Cup?": (
            answered("Brazil", [cite("other", OTHER, "The city council approved a new bus route.")], 60),
            [other],
        ),
    }


def fake_answer_fn(responses: Responses) -> AnswerFn:
    def answer_fn(question: str, top_k: int) -> tuple[Answer, list[Passage]]:
        answer, passages = responses[question]
        return answer, passages[:top_k]

    return answer_fn
