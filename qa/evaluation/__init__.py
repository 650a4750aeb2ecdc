"""Evaluation: run a JSONL test set through the answerer, score it, report it, gate on it.

cases, problems = load_testset(path)
run = evaluate(cases, answer_fn, top_k)      # answer_fn(question, top_k) -> (Answer, passages)
print_summary(run); write_report(run, out_dir)
failures = check_thresholds(run.summary, {"f1": 0.8})
print_comparison(compare_runs(run, baseline_dir))
"""

from __future__ import annotations

from qa.evaluation.compare import Comparison, FlippedQuestion, MetricDelta, compare_runs, print_comparison
from qa.evaluation.metrics import (
    AbstentionCounts,
    answer_in_quotes,
    contains,
    exact_match,
    gold_in_quotes,
    hit_at_k,
    normalize_answer,
    percentile,
    reciprocal_rank,
    token_f1,
)
from qa.evaluation.report import print_summary, ragas_rows, write_report
from qa.evaluation.results import (
    CORRECT_F1,
    CORRECT_RULE,
    METRICS,
    EvalRun,
    MetricInfo,
    Outcome,
    QuestionResult,
    QuestionScores,
    Summary,
)
from qa.evaluation.runner import AnswerFn, check_thresholds, evaluate, metric_name, score_question
from qa.evaluation.testset import TestCase, TestSetProblem, load_testset

__all__ = [
    "CORRECT_F1",
    "CORRECT_RULE",
    "METRICS",
    "AbstentionCounts",
    "AnswerFn",
    "Comparison",
    "EvalRun",
    "FlippedQuestion",
    "MetricDelta",
    "MetricInfo",
    "Outcome",
    "QuestionResult",
    "QuestionScores",
    "Summary",
    "TestCase",
    "TestSetProblem",
    "answer_in_quotes",
    "check_thresholds",
    "compare_runs",
    "contains",
    "evaluate",
    "exact_match",
    "gold_in_quotes",
    "hit_at_k",
    "load_testset",
    "metric_name",
    "normalize_answer",
    "percentile",
    "print_comparison",
    "print_summary",
    "ragas_rows",
    "reciprocal_rank",
    "score_question",
    "token_f1",
    "write_report",
]
