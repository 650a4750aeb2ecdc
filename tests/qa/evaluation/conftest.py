"""Fixtures of the evaluation tests: the small test set and the fake answerer's responses
(tests/helpers/evaluation.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qa.evaluation import EvalRun, TestCase, evaluate
from tests.helpers.evaluation import SCRIPT_QUESTION, Responses, case, default_responses, fake_answer_fn


@pytest.fixture
def cases() -> list[TestCase]:
    return [
        case(
            "jobs",
            "How many jobs will the lab create?",
            ["over 200 technical positions", "200"],
            ["lab"],
            type="quantity",
        ),
        case("money", "How much will Acme invest?", ["S$300 million"], ["lab"], type="money"),
        case("leader", SCRIPT_QUESTION, ["Jane Tan"], ["lab"], type="person"),
        case("opening", "When does the lab open?", ["March 2025"], ["lab"], type="date"),
        case("salary", "What is the CEO's salary?", [], []),
        case("worldcup", "Who won the 2030 World Cup?", [], []),
    ]


@pytest.fixture
def responses() -> Responses:
    return default_responses()


@pytest.fixture
def run_of(cases: list[TestCase]) -> Callable[[Responses], EvalRun]:
    """Evaluate the test set against given responses (top_k 3, no progress bar)."""

    def run(responses: Responses) -> EvalRun:
        return evaluate(cases, fake_answer_fn(responses), top_k=3, progress=False)

    return run


@pytest.fixture
def run(run_of: Callable[[Responses], EvalRun], responses: Responses) -> EvalRun:
    return run_of(responses)
