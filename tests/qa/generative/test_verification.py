"""The claim checker: citations, figures, dates, quotes and names against the cited passages."""

from __future__ import annotations

import re

import pytest

from qa.generative.verification import (
    _FINAL_STOP,
    _MARKERS_AFTER_STOP,
    amounts_in,
    split_claims,
    verify_answer,
)
from qa.language.evidence import ABSTAIN_TEXT
from qa.types import Passage

TEXT = (
    "Halden Opens Penang Design Centre\n"
    "Halden Semiconductor will invest 1,200 million ringgit (RM1.2 billion) in Penang, creating 350 jobs. "
    "The centre opens in March 2026, said chief executive Ines Marlow. "
    "Revenue grew 3.5% to €48.2 million. The minister called it “a vote of confidence in Penang”."
)
PASSAGE = Passage(
    chunk_id="h:0",
    doc_id="h",
    title="Halden Opens Penang Design Centre",
    text=TEXT,
    start=0,
    end=len(TEXT),
    date="2025-08-14",
)


def reason(claim: str) -> str | None:
    """Why the one claim is dropped, or None when it is kept."""
    checked = verify_answer(claim, [PASSAGE], ABSTAIN_TEXT)
    return checked.dropped[0].reason if checked.dropped else None


@pytest.mark.parametrize(
    "claim",
    [
        "Halden will create 350 jobs in Penang [1].",
        "It invests RM1.2 billion [1].",
        "It invests 1200 million ringgit [1].",
        "It invests 1 200 million ringgit [1].",
        "Revenue grew 3.5 per cent to €48.2 million [1].",
        "The centre opens in March 2026 [1].",
        "The release is dated 14 August 2025 [1].",  # the passage's date counts
        "Ines Marlow leads Halden Semiconductor [1].",
        'The minister called it "a vote of confidence in Penang" [1].',
        "The centre may open soon [1].",  # "may" is a verb, not May
        "Halden is investing in Penang.[1]",
        "Halden is investing in Penang. [1]",
        "Halden is investing in Penang [Passage 1].",
    ],
)
def test_supported_claims_are_kept(claim: str) -> None:
    assert reason(claim) is None


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("Halden will create 530 jobs [1].", "“530” is not in passage 1"),
        ("Revenue grew 35% [1].", "“35%” is not in passage 1"),
        ("It invests RM1.2 million [1].", "“RM1.2 million” is not in passage 1"),
        ("Revenue reached $48.2 million [1].", "“$48.2 million” is not in passage 1"),
        ("The centre opens in May 2026 [1].", "the month in “May 2026” is not in passage 1"),
        ("Chief executive John Doe said so [1].", "the name “John” is not in passage 1"),
        (
            'The minister called it "a vote of no confidence" [1].',
            "quoted phrase “a vote of no confidence” is not in passage 1",
        ),
        ("Halden is in Penang [2].", "cites passage 2, which was not given (passages 1-1)"),
        ("Halden is in Penang.", "no citation"),
        (f"{ABSTAIN_TEXT} [1]", "the model said the passages do not hold the answer"),
    ],
)
def test_unsupported_claims_are_dropped_with_the_reason(claim: str, why: str) -> None:
    assert reason(claim) == why


def test_numbers_are_normalised_but_not_merged() -> None:
    numbers = [
        (a.number, a.scale, a.currency) for a in amounts_in("1,200 and 1 200 and 3.50 and 35 and S$5m")
    ]
    assert numbers == [
        ("1200", "", ""),
        ("1200", "", ""),
        ("3.5", "", ""),
        ("35", "", ""),
        ("5", "million", "SGD"),
    ]


def test_kept_claims_are_renumbered_and_cited_exactly() -> None:
    other = PASSAGE.model_copy(
        update={"chunk_id": "o:0", "doc_id": "o", "text": "Unrelated text.", "title": "Other"}
    )
    answer = "Revenue grew 3.5% [2]. Halden will create 350 jobs [2][3]. The CEO is Ines Marlow [2]."
    checked = verify_answer(answer, [other, PASSAGE])
    assert (
        checked.text == "Revenue grew 3.5% [1]. Halden will create 350 jobs [2]. The CEO is Ines Marlow [3]."
    )
    assert [TEXT[c.start : c.end] for c in checked.citations] == [c.quote for c in checked.citations]
    assert checked.citations[0].quote == "Revenue grew 3.5% to €48.2 million."
    assert checked.citations[1].quote.startswith("Halden Semiconductor will invest")
    assert checked.kept == checked.total == 3


def test_list_items_keep_their_lines() -> None:
    answer = "Two facts:\n1. It creates 350 jobs [1].\n2. It opens in March 2026 [1]."
    claims = split_claims(answer)
    assert [c.body for c in claims] == ["Two facts:", "1. It creates 350 jobs.", "2. It opens in March 2026."]
    checked = verify_answer(answer, [PASSAGE])
    assert checked.text == "1. It creates 350 jobs [1].\n2. It opens in March 2026 [2]."
    assert [d.reason for d in checked.dropped] == ["no citation"]


@pytest.mark.parametrize("pattern", [_MARKERS_AFTER_STOP, _FINAL_STOP])
def test_a_run_of_full_stops_is_tried_from_its_first_character_only(pattern: re.Pattern[str]) -> None:
    # What keeps the two patterns linear on a long run of dots: neither may start a match inside
    # a run (a bare [.!?…]+ does, and re-reads the rest of the run from each of its characters).
    text = "It opened....[1]" if pattern is _MARKERS_AFTER_STOP else "It opened...."
    first = text.index(".")
    assert pattern.match(text, first) is not None
    assert all(pattern.match(text, pos) is None for pos in range(first + 1, text.rindex(".") + 1))


def test_markers_after_a_run_of_stops_move_before_it_and_a_long_run_is_one_claim() -> None:
    claims = split_claims("It opened in May...[1] It hired 350 people![1, 2]")
    assert [(c.body, c.cited) for c in claims] == [
        ("It opened in May...", [1]),
        ("It hired 350 people!", [1, 2]),
    ]
    dots = "Wait" + "." * 2000 + " it opened in March 2026 [1]"
    checked = verify_answer(dots, [PASSAGE], ABSTAIN_TEXT)
    assert checked.kept == 1 and checked.text.endswith(" [1]")
