"""An Answer as one Markdown message: numbered sources, related articles, escaping, safe links."""

from __future__ import annotations

from api.markdown import answer_markdown, answer_text, reference, safe_url
from qa.types import Answer, Citation, RelatedDocument

LAB = Citation(
    doc_id="openai-for-singapore",
    title="OpenAI opens [Applied AI] Lab",
    url="https://example.org/news/lab one",
    date="2025-03-04",
    chunk_id="openai-for-singapore:0",
    quote="The lab will create over\n200 technical positions.",
    start=10,
    end=58,
)


def test_an_answer_gets_markers_and_numbered_sources() -> None:
    second = LAB.model_copy(update={"title": "Second", "url": "", "date": ""})
    answer = Answer(
        text="over 200 technical positions", abstained=False, confidence=0.9, citations=[LAB, second]
    )
    assert answer_markdown(answer) == (
        "over 200 technical positions [1][2]\n\n"
        "Sources:\n"
        "1. [OpenAI opens \\[Applied AI\\] Lab](<https://example.org/news/lab%20one>), 2025-03-04: "
        "“The lab will create over 200 technical positions.”\n"
        "2. Second: “The lab will create over 200 technical positions.”"
    )


def test_markers_the_answer_already_has_are_kept() -> None:
    answer = Answer(text="It will hire 200 people [1].", abstained=False, confidence=0.9, citations=[LAB])
    assert answer_markdown(answer).startswith("It will hire 200 people [1].\n\nSources:\n1. ")


def test_an_abstention_lists_the_related_articles() -> None:
    related = [
        RelatedDocument(doc_id="a", title="Lab <b>news</b>", url="https://example.org/a", date="2025-01-02")
    ]
    answer = Answer(text="The announcements don't say.", abstained=True, confidence=0.1, related=related)
    assert answer_markdown(answer) == (
        "The announcements don't say.\n\n"
        "Related articles:\n1. [Lab \\<b\\>news\\</b\\>](<https://example.org/a>), 2025-01-02"
    )


def test_an_abstention_without_related_articles_is_just_the_text() -> None:
    answer = Answer(text="The announcements don't say.", abstained=True, confidence=0.0)
    assert answer_markdown(answer) == "The announcements don't say."


def test_only_http_urls_become_links() -> None:
    assert reference("Title", "javascript:alert(1)", "") == "Title"
    assert reference("", "", "2025-01-01") == "untitled, 2025-01-01"
    assert safe_url("https://x.org/a b<c>") == "https://x.org/a%20b%3Cc%3E"


def test_a_note_is_shown_in_italics() -> None:
    answer = Answer(
        text="200", abstained=False, confidence=0.9, citations=[LAB], note="Superseded by a correction."
    )
    assert answer_markdown(answer).split("\n\n")[1] == "_Superseded by a correction._"


def test_the_answer_is_recovered_from_a_message_sent_back() -> None:
    answer = Answer(text="over 200 technical positions", abstained=False, confidence=0.9, citations=[LAB])
    assert answer_text(answer_markdown(answer)) == "over 200 technical positions"
    abstention = Answer(text="The announcements don't say.", abstained=True, confidence=0.0)
    assert answer_text(answer_markdown(abstention)) == "The announcements don't say."
    assert answer_text("  plain text from elsewhere ") == "plain text from elsewhere"
