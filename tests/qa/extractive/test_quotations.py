"""Quotations: which words stand inside the marks, who said a quoted sentence, and the run from it
to the sentence naming its speaker."""

from __future__ import annotations

import pytest

from qa.extractive.quotations import (
    asks_who_said,
    continues_quotation,
    quotation_speakers,
    quoted_spans,
    with_speaker,
)
from qa.extractive.splitting import split_passages
from qa.language.questions import analyse
from tests.helpers.extractive import passage


@pytest.mark.parametrize(
    ("text", "starts_inside", "quoted"),
    [
        ("“We chose Lyon,” said Mara Quist.", False, ["“We chose Lyon,”"]),
        ('"We chose Lyon," said Mara Quist of "Acme".', False, ['"We chose Lyon,"', '"Acme"']),
        ("It will double our capacity.” — Mara Quist", True, ["It will double our capacity.”"]),
        ("It will double our capacity.", True, ["It will double our capacity."]),
        ("Mara Quist said: “We chose Lyon.", False, ["“We chose Lyon."]),
        ("Acme chose Lyon.", False, []),
    ],
)
def test_quoted_spans_are_what_stands_inside_quotation_marks(
    text: str, starts_inside: bool, quoted: list[str]
) -> None:
    assert [text[a:b] for a, b in quoted_spans(text, starts_inside)] == quoted


def test_a_quotation_split_between_two_passages_keeps_its_speaker() -> None:
    # Overlapping chunks of one document: the quotation opens in the first and its attribution
    # line is only in the second.
    document = (
        "Acme buys cranes. “We chose the harbour for its people. The cranes will double our capacity. "
        "We start in May.”\n— Mara Quist, Chief Executive of Acme\nThe port is busy."
    )
    cut = document.index("We start")
    overlap = document.index("The cranes")
    first = passage(document[:cut], "acme")
    second = passage(document[overlap:], "acme", offset=overlap).model_copy(update={"chunk_id": "acme:1"})
    sentences = split_passages([first, second])
    speakers = quotation_speakers(sentences)
    cranes = next(s for s in sentences if "cranes will double" in s.text)
    speaker = speakers[(cranes.passage.chunk_id, cranes.index)]
    assert speaker.sentence is not None and speaker.sentence.text.startswith("— Mara Quist")
    assert continues_quotation(cranes, speakers)
    run = with_speaker(cranes, speaker)
    assert run is not None
    # The run is the quoted sentence through the attribution line, an exact slice of the document.
    assert run.text == document[run.start : run.end]
    assert run.text.startswith("The cranes will double") and run.text.endswith("Chief Executive of Acme")
    assert "Acme buys cranes." not in run.text


def test_a_sentence_naming_its_own_speaker_needs_no_run() -> None:
    sentences = split_passages([passage('Acme buys cranes. "We chose the harbour," said Mara Quist.')])
    speakers = quotation_speakers(sentences)
    said = next(s for s in sentences if "harbour" in s.text)
    assert with_speaker(said, speakers.get((said.passage.chunk_id, said.index))) is None


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Who said the harbour was chosen for its people?", True),
        ("Which executive described the cranes as a big step?", True),
        ("Who leads Acme?", False),
        ("What did Mara Quist say about the cranes?", False),
        ("Who, according to the port, will run the cranes?", True),
    ],
)
def test_asks_who_said(question: str, asks: bool) -> None:
    assert asks_who_said(analyse(question)) is asks
