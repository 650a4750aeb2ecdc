"""A newer correcting release wins over the one it corrects; places the question puts its fact in."""

from __future__ import annotations

import pytest

from qa.extractive.candidates import Choice
from qa.extractive.corrections import prefer_newer
from qa.extractive.splitting import split_passages
from qa.extractive.wording import locatives, place_missing
from qa.language.answer_types import AnswerType
from qa.language.labels import Label
from qa.language.questions import analyse
from qa.language.spans import Candidate
from tests.helpers.extractive import passage

OLD = "Halden Penang Design Centre\n\nThe Halden design centre in Penang will create 300 engineering jobs."
NEW = "Halden Penang Design Centre (correction)\n\nThe Halden design centre in Penang will create 250 jobs."


def choice(text: str, answer: str, doc_id: str, date: str, logit: float) -> Choice:
    sentence = split_passages([passage(text, doc_id, date=date)])[-1]
    start = sentence.text.index(answer)
    cand = Candidate(start, start + len(answer), answer, AnswerType.QUANTITY, Label.CARDINAL)
    return Choice(sentence, cand, {}, logit)


def test_a_newer_correction_of_the_same_subject_wins_with_a_note() -> None:
    best = choice(OLD, "300 engineering jobs", "old", "2025-01-10", 3.0)
    newer = choice(NEW, "250 jobs", "new", "2025-02-01", 2.5)
    chosen, note = prefer_newer([best, newer])
    assert chosen is newer
    assert "2025-02-01" in note and "250 jobs" in note and "300 engineering jobs" in note


def test_the_corrections_restatement_of_the_old_figure_is_no_confirmation() -> None:
    text = NEW.replace("The Halden", "The earlier release stated 300 engineering jobs. The Halden")
    best = choice(OLD, "300 engineering jobs", "old", "2025-01-10", 3.0)
    restated = choice(text.split(" The Halden")[0], "300 engineering jobs", "new", "2025-02-01", 2.9)
    newer = choice(text, "250 jobs", "new", "2025-02-01", 2.5)
    chosen, note = prefer_newer([best, restated, newer])
    assert chosen is newer and "250 jobs" in note


@pytest.mark.parametrize(
    ("new_text", "new_date", "logit"),
    [
        (NEW.replace(" (correction)", ""), "2025-02-01", 2.5),  # newer, but says nothing of correcting
        (NEW, "2025-01-01", 2.5),  # says it corrects, but is older
        (NEW, "2025-02-01", 1.0),  # too weak an answer to replace the best
        (NEW.replace("Halden Penang Design Centre", "Velora Paris Lab"), "2025-02-01", 2.5),  # other subject
    ],
    ids=["no-correction", "older", "too-weak", "other-subject"],
)
def test_otherwise_the_best_choice_stands(new_text: str, new_date: str, logit: float) -> None:
    best = choice(OLD, "300 engineering jobs", "old", "2025-01-10", 3.0)
    other = choice(new_text, "250 jobs", "new", new_date, logit)
    assert prefer_newer([best, other]) == (best, "")


def test_the_same_answer_in_a_newer_correction_is_cited_from_the_correction_without_a_note() -> None:
    best = choice(OLD, "300 engineering jobs", "old", "2025-01-10", 3.0)
    same = choice(
        NEW.replace("250 jobs", "300 engineering jobs"), "300 engineering jobs", "new", "2025-02-01", 2.9
    )
    assert prefer_newer([best, same]) == (same, "")
    # a newer release that corrects nothing is no reason to cite it instead
    plain = choice(
        NEW.replace(" (correction)", "").replace("250 jobs", "300 engineering jobs"),
        "300 engineering jobs",
        "new",
        "2025-02-01",
        2.9,
    )
    assert prefer_newer([best, plain]) == (best, "")


@pytest.mark.parametrize(
    ("question", "places"),
    [
        ("How many jobs will the Acme lab in Lyon create?", ["Lyon"]),
        ("How many staff work at Konza Technopolis?", ["Konza Technopolis"]),
        ("What was Acme's revenue in Q3 2025?", []),
        ("How many robots did Acme sell in May?", []),
        ("How many robots did Acme sell in Spring?", []),
        ("How many robots did Acme sell in the city?", []),
        ("How many jobs in Lagos and at Nairobi?", ["Lagos", "Nairobi"]),
        ("How many robots did Acme sell in Sept. 2025?", []),
        # Places that begin like a month or a day are places ("Mar...", "Jun...", "Sun...").
        ("How many staff work in Marseille?", ["Marseille"]),
        ("How many staff work in Junction City and at Sunbury?", ["Junction City", "Sunbury"]),
    ],
)
def test_locatives_are_capitalised_places_after_in_or_at_not_times(question: str, places: list[str]) -> None:
    assert locatives(question) == places


def test_a_place_missing_near_the_answer_is_missing_even_if_the_document_names_it_far_away() -> None:
    text = (
        "Acme Robotics Expands\n\nAcme Robotics today opened a research lab in Lyon. "
        "The Lyon lab will create up to 400 engineering jobs by 2028. "
        + "Acme also builds robots for warehouses and ports around the world. " * 6
        + "The company has a sales office in Tokyo with 12 staff."
    )
    sentences = {s.text: s for s in split_passages([passage(text)])}
    jobs = sentences["The Lyon lab will create up to 400 engineering jobs by 2028."]
    staff = sentences["The company has a sales office in Tokyo with 12 staff."]
    assert not place_missing(analyse("How many jobs will the Acme lab in Lyon create?"), jobs)
    assert place_missing(analyse("How many jobs will the Acme lab in Tokyo create?"), jobs)
    assert not place_missing(analyse("How many staff work in Tokyo?"), staff)
    # Lyon is in the document, but 400 characters before the staff sentence.
    assert place_missing(analyse("How many staff work in Lyon?"), staff)
    # The headline counts as near.
    assert not place_missing(analyse("How many staff does Acme Robotics have in Expands?"), staff)
