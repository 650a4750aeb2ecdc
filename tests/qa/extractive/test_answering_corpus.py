"""End to end over the real corpus, the real models and a real Chroma store (the shipped weights).

These questions are a regression suite of what the answerer should get right; the broader,
unfiltered measure of quality is `qa eval` over tests/eval (see the README). Every answer is
checked against the stored document: its quote is an exact slice, and so is its answer span.
"""

from __future__ import annotations

import dataclasses

import pytest

from qa.extractive import PASSAGE, SPAN, ExtractiveAnswerer
from qa.language.evidence import ABSTAIN_TEXT
from qa.service import QAService
from qa.types import Answer

pytestmark = pytest.mark.slow

SEED = "openai-for-singapore"

ANSWERABLE: list[tuple[str, str, str]] = [
    ("How many jobs will the lab create?", "over 200 technical positions", "openai-for-singapore"),
    (
        "How many research roles will Meridian Cognition's centre in Cyberjaya create?",
        "up to 150 research roles",
        "meridian-cognition-malaysia-partnership",
    ),
    (
        "How many jobs will the Kenya Applied AI Hub create?",
        "about 450 jobs",
        "kestrel-labs-kenya-ai-partnership",
    ),
    (
        "How many people will Auralis hire for the Applied Health AI Lab?",
        "around 90 clinical and engineering staff",
        "auralis-singapore-health-ai",
    ),
    (
        "How many jobs will Halden Semiconductor's Penang design centre create?",
        "250 engineering jobs",
        "halden-semiconductor-penang-correction",
    ),
    (
        "What share of qualifying costs will the EAAG co-fund?",
        "up to 70%",
        "singapore-enterprise-ai-adoption-grant",
    ),
    (
        "How much funding does OpenAI for Singapore have?",
        "over 300 million Singapore dollars",
        "openai-for-singapore",
    ),
    (
        "How much will Meridian Cognition invest in Malaysia over five years?",
        "RM850 million",
        "meridian-cognition-malaysia-partnership",
    ),
    (
        "How much will Kestrel Labs invest in its Kenyan AI hub?",
        "US$60 million",
        "kestrel-labs-kenya-ai-partnership",
    ),
    (
        "How much will Halden Semiconductor invest in the Penang centre?",
        "US$180 million",
        "halden-semiconductor-penang-correction",
    ),
    ("How much did Tessellate raise in its Series B?", "$45 million", "tessellate-series-b"),
    ("How much did Velora Bio raise in its Series A?", "€120 million", "velora-bio-series-a"),
    ("Where did OpenAI announce the initiative?", "Singapore", "openai-for-singapore"),
    (
        "Outside which country is the Singapore lab the first of its kind for OpenAI?",
        "United States",
        "openai-for-singapore",
    ),
    (
        "Where is the Meridian AI Research Centre located?",
        "Cyberjaya",
        "meridian-cognition-malaysia-partnership",
    ),
    ("In which city will Tessellate open its first European office?", "Amsterdam", "tessellate-series-b"),
    ("Where will Velora Bio build its automated wet laboratory?", "Paris-Saclay", "velora-bio-series-a"),
    ("Who is the Chief Revenue Officer at OpenAI?", "Denise Dresser", "openai-for-singapore"),
    (
        "Who is the Permanent Secretary (Digital Development and Information) quoted about the OpenAI "
        "partnership?",
        "Chng Kai Fong",
        "openai-for-singapore",
    ),
    (
        "Who is Senior Vice President and Head of the Digital Industry in Singapore?",
        "Philbert Gomez",
        "openai-for-singapore",
    ),
    (
        "Who is the chief executive of Meridian Cognition?",
        "Farah Iskandar",
        "aldergrove-meridian-applied-ai-summit",
    ),
    (
        "Who is the Principal Secretary for ICT and the Digital Economy quoted on the Kestrel deal?",
        "Wanjiru Kamau",
        "kestrel-labs-kenya-ai-partnership",
    ),
    ("Who is the Chief Revenue Officer at Auralis?", "Marcus Feld", "auralis-singapore-health-ai"),
    (
        "What is the name of the lab OpenAI is creating in Singapore?",
        "Applied AI Lab",
        "openai-for-singapore",
    ),
    (
        "Which tool will OpenAI use in the National AI Impact Program to build tech workforce capabilities?",
        "Codex",
        "openai-for-singapore",
    ),
    (
        "What is the name of Quillsoft's optional cloud subscription for the tablet?",
        "Quill Intelligence",
        "quillsoft-quill-note-pro-launch",
    ),
    (
        "Which Singapore ministry is Auralis partnering with?",
        "Ministry of Health",
        "auralis-singapore-health-ai",
    ),
    ("Who led Tessellate's Series B round?", "Northgate Ventures", "tessellate-series-b"),
    (
        "Which company is acquiring Brightlake Analytics?",
        "Corvane Systems",
        "corvane-acquires-brightlake-analytics",
    ),
    (
        "Which firm advised Brightlake on its sale?",
        "Harrow Street Advisors",
        "corvane-acquires-brightlake-analytics",
    ),
    (
        "By when does Northwind expect its Manchester centre to support more than 1,200 positions?",
        "end of 2027",
        "northwind-robotics-manchester-rd-centre",
    ),
    ("When will Quill Note Pro be available?", "July 21, 2025", "quillsoft-quill-note-pro-launch"),
    (
        "When will the Quill Note Pro tablet come to Germany, France and Japan?",
        "Q1 2026",
        "quillsoft-quill-note-pro-launch",
    ),
    (
        "When was the Brightlake deal expected to close?",
        "second half of 2024",
        "corvane-acquires-brightlake-analytics",
    ),
    # Both releases say it: the results ("acquired in August 2024") and the appointment's
    # boilerplate ("In August 2024 it completed the acquisition of Brightlake").
    (
        "When did Corvane complete its purchase of Brightlake?",
        "August 2024",
        "corvane-q3-2025-results|corvane-appoints-cfo",
    ),
]
# Open questions: the answer is the article's own sentence(s), verbatim, with a phrase that answers.
OPEN: list[tuple[str, str, str]] = [
    ("What will the Applied AI Lab do?", "lab", SEED),
    ("What is the goal of OpenAI for Singapore?", "benefits of AI reach all layers", SEED),
    ("What will OpenAI do for educators?", "support educators", SEED),
    ("What will Velora Bio use the money for?", "automated wet laboratory", "velora-bio-series-a"),
]
# Asked of the corpus but not answered by it; the abstention offers the article on the topic.
UNANSWERABLE: list[tuple[str, str]] = [
    ("How many jobs will the OpenAI lab in Tokyo create?", SEED),
    ("What is the salary of the Frontline Engineers?", SEED),
    ("Who is the CEO of Halden Semiconductor?", "halden-semiconductor-penang-correction"),
    ("What will Quill Note Pro cost in Germany?", "quillsoft-quill-note-pro-launch"),
    ("Who is the Chief Financial Officer of Tessellate?", "tessellate-series-b"),
    ("When is the application deadline for the Singapore chapter of the OpenAI Academy?", SEED),
    ("When will Kestrel Labs open an AI hub in Lagos?", "kestrel-labs-kenya-ai-partnership"),
    ("How much funding does the National AI Impact Program have?", SEED),
]
# Nothing in the corpus is about these: no company announcement is offered as related.
OFF_TOPIC = [
    "Who won the 2022 World Cup?",
    "How many moons does Jupiter have?",
    "What is the capital of France?",
]
OFFERED_WRONGLY = {"What is the capital of France?": "an article naming France is offered as related"}


# Wrong answers found while writing these tests (see each reason); strict, so a fix shows up.
WRONG: dict[str, str] = {
    "Which firm advised Brightlake on its sale?": (
        "answers 'Corvane Systems': three other sentences name it (votes) and outweigh the adviser's own "
        "sentence since the refit with 'nearby'"
    ),
    "How much did Velora Bio raise in its Series A?": (
        "answers '€120 Million Series' from the title-case headline: the amount's span runs on into "
        "the capitalised words after it (the body's '€120 million' ranks lower)"
    ),
    "Which company is acquiring Brightlake Analytics?": (
        "answers 'Corvane' cited from kestrel-labs-appoints-ceo, not the acquisition's own article, "
        "or, at the margin, 'Corvane Systems': which one depends on the batches the int8 model embedded "
        "the sentences in (the whole slow run passes, the file alone fails), so it is not strict"
    ),
    "What is the name of Quillsoft's optional cloud subscription for the tablet?": (
        "answers 'subscription', a word of the question, from 'An optional subscription, Quill Intelligence, ...': "
        "since the refit of 2026-12-04 the candidate model's overlap weight (-1.31) no longer outweighs what the "
        "head noun's candidate has for it; unforced, the answer is that sentence as a passage"
    ),
    "Which Singapore ministry is Auralis partnering with?": (
        "answers the whole title-case headline: head_candidates in qa/language/patterns.py takes every capitalised "
        "word before 'Ministry' in 'Auralis and Singapore's Ministry of Health Launch ...'"
    ),
}
MARGINAL = {"Which company is acquiring Brightlake Analytics?"}
UNANSWERED_WRONGLY: dict[str, str] = {
    "How many jobs will the OpenAI lab in Tokyo create?": (
        "answered with the Singapore figure: the fitted span model weighs a missing asked place too little"
    ),
    "Who is the CEO of Halden Semiconductor?": "answered with another person of the article (fitted thresholds)",
    "Who is the Chief Financial Officer of Tessellate?": "answered with another officer (fitted thresholds)",
    "What will Quill Note Pro cost in Germany?": (
        "answers 'It costs US$8 per month ...' (a passage about another price): the passage fallback "
        "does not require the asked place ('in Germany') near the answer"
    ),
}


def known(rows: list[tuple[str, ...]], reasons: dict[str, str]) -> list[object]:
    return [
        pytest.param(*row, marks=pytest.mark.xfail(strict=row[0] not in MARGINAL, reason=reasons[row[0]]))
        if row[0] in reasons
        else row
        for row in rows
    ]


@pytest.fixture(scope="module")
def forced(corpus_service: QAService) -> QAService:
    """The service with every threshold at 0: what the span picker and the sentence ranking choose,
    apart from whether the fitted thresholds let it through (the evaluation gate measures those)."""
    answerer = ExtractiveAnswerer(
        corpus_service.answerer.embedder, corpus_service.answerer.spans, min_confidence=0.0
    )
    return dataclasses.replace(corpus_service, answerer=answerer)


def check_offsets(service: QAService, answer: Answer) -> None:
    """Every quote and answer span is an exact slice of the stored cleaned document."""
    assert answer.citations
    for citation in answer.citations:
        text = service.store.get_document(citation.doc_id).text
        assert text[citation.start : citation.end] == citation.quote
        assert citation.answer_start is not None and citation.answer_end is not None
        assert citation.start <= citation.answer_start < citation.answer_end <= citation.end
        assert text[citation.answer_start : citation.answer_end] == answer.text


@pytest.mark.parametrize(("question", "expected", "doc_id"), known(ANSWERABLE, WRONG))
def test_a_factoid_is_answered_by_its_span_with_an_exact_citation(
    forced: QAService, question: str, expected: str, doc_id: str
) -> None:
    answer = forced.ask(question)
    assert (answer.abstained, answer.form) == (False, SPAN)
    # The same words, whatever their case: a title-case headline writes "$45 Million".
    assert answer.text.lower() == expected.lower()
    assert answer.citations[0].doc_id in doc_id.split("|")  # one of the documents that say it
    check_offsets(forced, answer)


@pytest.mark.parametrize(("question", "phrase", "doc_id"), OPEN)
def test_an_open_question_is_answered_by_the_articles_own_sentences(
    forced: QAService, question: str, phrase: str, doc_id: str
) -> None:
    answer = forced.ask(question)
    assert (answer.abstained, answer.form) == (False, PASSAGE)
    assert answer.citations[0].doc_id == doc_id
    assert answer.text == answer.citations[0].quote  # the sentence(s) whole, as the article writes them
    assert answer.text in forced.store.get_document(doc_id).text
    assert phrase.lower() in answer.text.lower()
    check_offsets(forced, answer)


def test_the_seed_question_is_answered_from_the_seed_article(forced: QAService) -> None:
    answer = forced.ask("How many jobs will the lab create?")
    assert (answer.abstained, answer.form) == (False, SPAN)
    assert "200" in answer.text
    citation = answer.citations[0]
    assert citation.doc_id == SEED
    assert citation.title == "OpenAI and Singapore: A Strategic Partnership in AI"
    assert citation.date and citation.url
    assert "This lab plans to create over 200 technical positions" in citation.quote
    check_offsets(forced, answer)


@pytest.mark.parametrize(("question", "on_topic"), known(UNANSWERABLE, UNANSWERED_WRONGLY))
def test_abstains_when_the_corpus_does_not_say(
    corpus_service: QAService, question: str, on_topic: str
) -> None:
    answer = corpus_service.ask(question)
    assert answer.abstained and answer.form == ""
    assert answer.text == ABSTAIN_TEXT
    assert answer.citations == []
    assert on_topic in [r.doc_id for r in answer.related]  # offered, not cited


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_an_off_topic_question_is_abstained_on(corpus_service: QAService, question: str) -> None:
    answer = corpus_service.ask(question)
    assert answer.abstained and answer.form == "" and answer.citations == []


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(q, marks=pytest.mark.xfail(strict=True, reason=OFFERED_WRONGLY[q]))
        if q in OFFERED_WRONGLY
        else q
        for q in OFF_TOPIC
    ],
)
def test_an_off_topic_question_offers_no_related_announcement(
    corpus_service: QAService, question: str
) -> None:
    assert corpus_service.ask(question).related == []


def test_correction_supersedes_the_earlier_release(corpus_service: QAService) -> None:
    answer = corpus_service.ask("How many jobs will Halden Semiconductor's Penang design centre create?")
    assert answer.text == "250 engineering jobs"
    assert answer.citations[0].doc_id == "halden-semiconductor-penang-correction"
    assert "newer" in answer.note or "250" in answer.citations[0].quote


def test_rare_words_are_found_lexically(corpus_service: QAService) -> None:
    found = corpus_service.retriever.retrieve("MDDI ATx", 3)
    assert found.passages[0].doc_id == SEED
    assert found.passages[0].lexical_rank == 1
