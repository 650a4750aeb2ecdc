from __future__ import annotations

import pytest

from qa.errors import InvalidRequest, TestSetError
from qa.evaluation import METRICS, EvalRun, TestCase, check_thresholds, evaluate, score_question
from qa.types import Answer, Passage
from tests.helpers.evaluation import Responses, abstained, case, fake_answer_fn
from tests.helpers.fakes import passage


def test_outcomes_per_question(run: EvalRun) -> None:
    outcomes = {r.id: r.outcome for r in run.results}
    assert outcomes == {
        "jobs": "correct",
        "money": "correct",  # "300 million" == "S$300 million" once normalised
        "leader": "wrong",
        "opening": "abstained",
        "salary": "correct_abstain",
        "worldcup": "wrong_answer",
    }
    assert [r.id for r in run.failures] == ["worldcup", "leader", "opening"]  # worst first


def test_per_question_scores(run: EvalRun) -> None:
    by_id = {r.id: r for r in run.results}
    jobs, money, leader = by_id["jobs"].scores, by_id["money"].scores, by_id["leader"].scores
    assert (jobs.exact_match, jobs.f1, jobs.contains, jobs.gold_in_quote) == (1.0, 1.0, 1.0, 1.0)
    assert (jobs.hit_at_1, jobs.hit_at_k, jobs.reciprocal_rank) == (1.0, 1.0, 1.0)
    assert (jobs.citation_precision, jobs.answer_in_quote) == (1.0, 1.0)
    assert money.exact_match == 1.0
    assert (money.hit_at_1, money.hit_at_k, money.reciprocal_rank) == (0.0, 1.0, 0.5)
    assert by_id["money"].retrieved_doc_ids == ["other", "lab"]  # chunks deduplicated into documents
    assert by_id["money"].retrieved_chunk_ids == ["other:0", "lab:0", "lab:1"]
    assert (leader.f1, leader.citation_precision, leader.answer_in_quote) == (0.0, 0.0, 0.0)
    opening = by_id["opening"].scores
    assert (opening.exact_match, opening.f1, opening.answer_in_quote) == (0.0, 0.0, None)
    salary = by_id["salary"].scores
    assert (salary.f1, salary.hit_at_k, salary.citation_precision) == (None, None, None)
    assert by_id["worldcup"].scores.answer_in_quote == 0.0  # "Brazil" is not in its quote


def test_summary(run: EvalRun) -> None:
    summary = run.summary
    assert list(summary.metrics) == list(METRICS)
    assert summary.counts == {
        "questions": 6, "answerable": 4, "unanswerable": 2,
        "correct": 2, "wrong": 1, "abstained": 1, "correct_abstain": 1, "wrong_answer": 1,
    }  # fmt: skip
    metrics = summary.metrics
    assert metrics["overall_accuracy"] == pytest.approx(3 / 6)
    assert metrics["accuracy"] == 0.5
    assert metrics["exact_match"] == 0.5
    assert metrics["wrong_answer_rate"] == 0.25
    assert metrics["false_abstain_rate"] == 0.25
    assert metrics["hit_at_1"] == 0.5  # jobs, opening yes; money, leader no
    assert metrics["hit_at_k"] == 0.75
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert metrics["citation_precision"] == pytest.approx(2 / 3)  # jobs, money gold; leader not
    assert metrics["answer_in_quote"] == pytest.approx(2 / 4)
    assert (metrics["abstain_precision"], metrics["abstain_recall"], metrics["abstain_f1"]) == (0.5, 0.5, 0.5)
    assert metrics["latency_p50_ms"] == 35.0
    assert metrics["latency_p95_ms"] == pytest.approx(57.5)
    assert metrics["latency_max_ms"] == 60.0
    assert summary.top_k == 3


def test_latency_falls_back_to_wall_time() -> None:
    test_case = TestCase(id="q", question="q?", answers=[], doc_ids=[], answerable=False)
    answer = Answer(text="no", abstained=True, confidence=0.0)  # latency_ms not reported
    assert score_question(test_case, answer, [], top_k=3, wall_ms=12.5).latency_ms == 12.5


def test_retrieved_documents_fall_back_to_the_answer() -> None:
    test_case = case("q", "q?", ["x"], ["gold"])
    answer = Answer(text="x", abstained=False, confidence=1.0, retrieved_doc_ids=["other", "gold", "gold"])
    result = score_question(test_case, answer, [], top_k=3)
    assert result.retrieved_doc_ids == ["other", "gold"]
    assert result.scores.reciprocal_rank == 0.5


def test_answer_fn_receives_top_k(cases: list[TestCase], responses: Responses) -> None:
    seen = []

    def answer_fn(question: str, top_k: int) -> tuple[Answer, list[Passage]]:
        seen.append(top_k)
        return fake_answer_fn(responses)(question, top_k)

    evaluate(cases, answer_fn, top_k=2, progress=False)
    assert set(seen) == {2}


def test_progress_bar_does_not_change_results(cases: list[TestCase], responses: Responses) -> None:
    run = evaluate(cases[:2], fake_answer_fn(responses), top_k=3, progress=True)
    assert [r.outcome for r in run.results] == ["correct", "correct"]


def test_evaluate_rejects_bad_input(cases: list[TestCase], responses: Responses) -> None:
    answer_fn = fake_answer_fn(responses)
    with pytest.raises(TestSetError, match="empty"):
        evaluate([], answer_fn, top_k=3, progress=False)
    with pytest.raises(InvalidRequest, match="top_k must be at least 1, got 0"):
        evaluate(cases, answer_fn, top_k=0, progress=False)
    with pytest.raises(TestSetError, match="repeated: jobs"):
        evaluate([cases[0], cases[0]], answer_fn, top_k=3, progress=False)


def test_answer_fn_errors_propagate(cases: list[TestCase]) -> None:
    def broken(question: str, top_k: int) -> tuple[Answer, list[Passage]]:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError, match="store down"):
        evaluate(cases, broken, top_k=3, progress=False)


def test_thresholds_pass_and_trip(run: EvalRun) -> None:
    assert check_thresholds(run.summary, {"accuracy": 0.5, "hit_at_k": 0.7}) == []
    failures = check_thresholds(run.summary, {"f1": 0.8, "hit-at-k": 0.9, "exact_match": 0.5})
    assert failures == ["f1 0.50 < 0.80", "hit_at_k 0.75 < 0.90"]
    assert check_thresholds(run.summary, {"accuracy": 0.501}) == ["accuracy 0.5000 < 0.5010"]
    assert check_thresholds(run.summary, {}, maximums={"latency_p95_ms": 50}) == [
        "latency_p95_ms 57.50 > 50.00"
    ]


def test_thresholds_reject_unknown_metrics(run: EvalRun) -> None:
    with pytest.raises(
        InvalidRequest, match=r"unknown metric 'f2'; valid metrics: overall_accuracy, accuracy"
    ):
        check_thresholds(run.summary, {"f2": 0.5})
    with pytest.raises(InvalidRequest, match="finite number"):
        check_thresholds(run.summary, {"f1": float("nan")})


def test_threshold_on_an_unmeasured_metric_fails(cases: list[TestCase], responses: Responses) -> None:
    answerable_only = evaluate(cases[:4], fake_answer_fn(responses), top_k=3, progress=False)
    assert answerable_only.summary.metrics["abstain_recall"] is None
    assert check_thresholds(answerable_only.summary, {"abstain_recall": 0.5}) == [
        "abstain_recall not measured on this test set (limit 0.5)"
    ]


def test_group_for_chart(run: EvalRun) -> None:
    assert [r.group for r in run.results] == [
        "quantity",
        "money",
        "person",
        "date",
        "unanswerable",
        "unanswerable",
    ]
    untyped = score_question(case("q", "q?", ["x"], []), abstained(1), [passage("x", "d")], top_k=1)
    assert untyped.group == "untyped"
