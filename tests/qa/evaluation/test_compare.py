from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from qa.errors import TestSetError
from qa.evaluation import EvalRun, compare_runs, print_comparison, write_report
from tests.helpers.evaluation import LAB, SCRIPT_QUESTION, Responses, answered, cite, default_responses
from tests.helpers.fakes import passage


@pytest.fixture
def baseline(run: EvalRun, tmp_path: Path) -> Path:
    write_report(run, tmp_path / "baseline")
    return tmp_path / "baseline"


def changed_responses() -> Responses:
    """The leader question now right, the jobs question now wrong."""
    responses = default_responses()
    responses[SCRIPT_QUESTION] = (
        answered("Jane Tan", [cite("lab", LAB, "The lab is led by Jane Tan.", "Jane Tan")], 30),
        [passage(LAB, "lab")],
    )
    responses["How many jobs will the lab create?"] = (
        answered("five years", [cite("lab", LAB, "Acme will invest S$300 million over five years.")], 10),
        [passage(LAB, "lab")],
    )
    return responses


def test_comparison_finds_flipped_questions(run_of: Callable[[Responses], EvalRun], baseline: Path) -> None:
    comparison = compare_runs(run_of(changed_responses()), baseline)
    assert [(f.id, f.before, f.after) for f in comparison.became_right] == [("leader", "wrong", "correct")]
    assert [(f.id, f.before, f.after) for f in comparison.became_wrong] == [("jobs", "correct", "wrong")]
    assert comparison.became_right[0].question == SCRIPT_QUESTION
    assert comparison.only_in_baseline == comparison.only_in_current == []
    assert comparison.top_k == (3, 3)
    deltas = {d.name: d for d in comparison.metrics}
    assert deltas["accuracy"].delta == 0.0 and deltas["accuracy"].verdict == "same"
    assert deltas["hit_at_1"].delta == pytest.approx(0.25)  # leader now retrieves the lab first
    assert deltas["hit_at_1"].verdict == "better"
    assert deltas["latency_p95_ms"].verdict == "same"


def test_lower_is_better_metrics(run_of: Callable[[Responses], EvalRun], baseline: Path) -> None:
    slower = default_responses()
    for question, (answer, passages) in slower.items():
        slower[question] = (answer.model_copy(update={"latency_ms": answer.latency_ms * 2}), passages)
    deltas = {d.name: d for d in compare_runs(run_of(slower), baseline).metrics}
    assert deltas["latency_max_ms"].delta == 60.0
    assert deltas["latency_max_ms"].verdict == "worse"


def test_questions_only_on_one_side(run: EvalRun, baseline: Path) -> None:
    fewer = run.model_copy(update={"results": run.results[1:]})
    comparison = compare_runs(fewer, baseline)
    assert comparison.only_in_baseline == ["jobs"]
    assert comparison.only_in_current == []


def test_print_comparison(run_of: Callable[[Responses], EvalRun], baseline: Path) -> None:
    console = Console(record=True, width=140)
    print_comparison(compare_runs(run_of(changed_responses()), baseline), console)
    text = console.export_text()
    assert "Now wrong (1)" in text and "jobs: How many jobs will the lab create?" in text
    assert "Now right (1)" in text and SCRIPT_QUESTION in text  # printed as text, not markup
    assert "hit_at_1" in text and "+0.25" in text


def test_baseline_errors(run: EvalRun, tmp_path: Path, baseline: Path) -> None:
    with pytest.raises(TestSetError, match=r"no summary\.json in"):
        compare_runs(run, tmp_path / "missing")
    (baseline / "results.jsonl").write_text(json.dumps({"id": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(TestSetError, match=r"results\.jsonl:1: not a result row"):
        compare_runs(run, baseline)
    (baseline / "results.jsonl").unlink()
    with pytest.raises(TestSetError, match=r"no results\.jsonl in"):
        compare_runs(run, baseline)
    (baseline / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(TestSetError, match="cannot read baseline"):
        compare_runs(run, baseline)
