"""Run a test set through an answering function, score every question, aggregate, gate."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import track

from qa.errors import InvalidRequest, TestSetError
from qa.evaluation import metrics as m
from qa.evaluation.results import (
    CORRECT_F1,
    METRICS,
    EvalRun,
    Outcome,
    QuestionResult,
    QuestionScores,
    Summary,
)
from qa.evaluation.testset import TestCase
from qa.types import Answer, Passage

AnswerFn = Callable[[str, int], tuple[Answer, list[Passage]]]
"""``(question, top_k) -> (answer, retrieved passages in rank order)``."""


def evaluate(cases: Sequence[TestCase], answer_fn: AnswerFn, top_k: int, progress: bool = True) -> EvalRun:
    """Ask every question through ``answer_fn`` and score it; return the results and the summary.

    A progress bar goes to stderr when ``progress`` is true. Errors raised by ``answer_fn`` are
    not caught: a broken store must stop the run, not score as wrong answers.
    Raises TestSetError for no cases or a repeated id, InvalidRequest for ``top_k`` < 1.
    """
    if top_k < 1:
        raise InvalidRequest(f"top_k must be at least 1, got {top_k}")
    if not cases:
        raise TestSetError("the test set is empty: nothing to evaluate")
    repeated = [case_id for case_id, n in Counter(case.id for case in cases).items() if n > 1]
    if repeated:
        raise TestSetError(f"test case ids must be unique; repeated: {', '.join(repeated[:5])}")
    items: Iterable[TestCase] = cases
    if progress:
        console = Console(stderr=True)
        items = track(cases, description="Evaluating", console=console, transient=True)
    results = []
    for case in items:
        started = time.perf_counter()
        answer, passages = answer_fn(case.question, top_k)
        wall_ms = (time.perf_counter() - started) * 1000
        results.append(score_question(case, answer, passages, top_k, wall_ms))
    return EvalRun(results=results, summary=summarize(results, top_k))


def score_question(
    case: TestCase, answer: Answer, passages: Sequence[Passage], top_k: int, wall_ms: float = 0.0
) -> QuestionResult:
    """Score one answer against its test case.

    Retrieved documents come from ``passages`` (falling back to ``answer.retrieved_doc_ids``);
    latency is ``answer.latency_ms``, or ``wall_ms`` when the answer does not report it.
    """
    retrieved = m.unique_in_order(p.doc_id for p in passages) or m.unique_in_order(answer.retrieved_doc_ids)
    gold_docs = set(case.doc_ids)
    answered = not answer.abstained
    quotes = [citation.quote for citation in answer.citations]
    scores = QuestionScores(
        answer_in_quote=float(m.answer_in_quotes(answer.text, answer.citations)) if answered else None,
        citation_precision=(
            m.citation_precision([c.doc_id for c in answer.citations], gold_docs) if answered else None
        ),
    )
    if gold_docs:
        scores.hit_at_1 = float(m.hit_at_k(retrieved, gold_docs, 1))
        scores.hit_at_k = float(m.hit_at_k(retrieved, gold_docs, top_k))
        scores.reciprocal_rank = m.reciprocal_rank(retrieved, gold_docs, top_k)
    if case.answerable:
        scores.exact_match = m.best_score(m.exact_match, answer.text, case.answers) if answered else 0.0
        scores.f1 = m.best_score(m.token_f1, answer.text, case.answers) if answered else 0.0
        scores.contains = m.best_score(_gold_in, answer.text, case.answers) if answered else 0.0
        scores.gold_in_quote = float(answered and m.gold_in_quotes(case.answers, quotes))
    return QuestionResult(
        id=case.id,
        question=case.question,
        answerable=case.answerable,
        answers=case.answers,
        doc_ids=case.doc_ids,
        type=case.type,
        kind=case.kind,
        split=case.split,
        form=answer.form,
        answer=answer.text,
        abstained=answer.abstained,
        confidence=answer.confidence,
        answer_type=answer.answer_type,
        citations=answer.citations,
        latency_ms=answer.latency_ms if answer.latency_ms > 0 else wall_ms,
        retrieved_doc_ids=retrieved,
        retrieved_chunk_ids=[p.chunk_id for p in passages],
        retrieved_contexts=[p.text for p in passages],
        scores=scores,
        outcome=_outcome(case.answerable, answer.abstained, scores, _cites_gold(case, answer)),
        extra=case.extra,
    )


def _gold_in(prediction: str, gold: str) -> bool:
    return m.contains(gold, prediction)


def _cites_gold(case: TestCase, answer: Answer) -> bool:
    """An open question's answer must cite a gold document (its key phrases may recur elsewhere)."""
    if case.kind != "open" or not case.doc_ids:
        return True
    return any(c.doc_id in case.doc_ids for c in answer.citations)


def _outcome(answerable: bool, abstained: bool, scores: QuestionScores, cites_gold: bool = True) -> Outcome:
    if not answerable:
        return "correct_abstain" if abstained else "wrong_answer"
    if abstained:
        return "abstained"
    right = scores.contains or (scores.f1 or 0.0) >= CORRECT_F1
    return "correct" if right and cites_gold else "wrong"


def summarize(results: Sequence[QuestionResult], top_k: int) -> Summary:
    """Aggregate per-question results into counts and the flat metric dict (keys of METRICS)."""
    outcomes = Counter(result.outcome for result in results)
    answerable = sum(result.answerable for result in results)
    counts = {
        "questions": len(results),
        "answerable": answerable,
        "unanswerable": len(results) - answerable,
        **{
            name: outcomes[name]
            for name in ("correct", "wrong", "abstained", "correct_abstain", "wrong_answer")
        },
    }
    abstention = m.AbstentionCounts.count((r.answerable, r.abstained) for r in results)
    latencies = [result.latency_ms for result in results]
    values: dict[str, float | None] = {
        "overall_accuracy": _share(outcomes["correct"] + outcomes["correct_abstain"], len(results)),
        "accuracy": _share(outcomes["correct"], answerable),
        "wrong_answer_rate": _share(outcomes["wrong"], answerable),
        "false_abstain_rate": _share(outcomes["abstained"], answerable),
        "mrr": m.mean(r.scores.reciprocal_rank for r in results),
        "citation_precision": _citation_precision(results),
        "abstain_precision": abstention.precision,
        "abstain_recall": abstention.recall,
        "abstain_f1": abstention.f1,
        "latency_p50_ms": m.percentile(latencies, 50) if latencies else None,
        "latency_p95_ms": m.percentile(latencies, 95) if latencies else None,
        "latency_max_ms": max(latencies, default=None),
    }
    for name in ("exact_match", "f1", "contains", "gold_in_quote", "hit_at_1", "hit_at_k", "answer_in_quote"):
        values[name] = m.mean(getattr(r.scores, name) for r in results)
    return Summary(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        top_k=top_k,
        counts=counts,
        metrics={name: values[name] for name in METRICS},
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _citation_precision(results: Sequence[QuestionResult]) -> float | None:
    """Micro average over the citations of answers to questions with gold documents."""
    judged = [
        citation.doc_id in result.doc_ids
        for result in results
        if result.scores.citation_precision is not None
        for citation in result.citations
    ]
    return _share(sum(judged), len(judged))


def metric_name(name: str) -> str:
    """``name`` as a METRICS key (CLI spellings like "hit-at-k" accepted); raises InvalidRequest."""
    key = name.strip().lower().replace("-", "_")
    if key not in METRICS:
        raise InvalidRequest(f"unknown metric {name!r}; valid metrics: {', '.join(METRICS)}")
    return key


def check_thresholds(
    summary: Summary, minimums: Mapping[str, float], maximums: Mapping[str, float] | None = None
) -> list[str]:
    """Human-readable failures ("f1 0.71 < 0.80"); an empty list means the gate passes.

    ``minimums`` (and ``maximums``, for lower-is-better metrics such as ``latency_p95_ms``) are
    keyed by metric names, the keys of ``summary.metrics``. A limit on a metric this test set
    cannot measure (e.g. abstention with no unanswerable question) fails too.
    Raises InvalidRequest for an unknown metric name or a limit that is not a finite number.
    """
    failures: list[str] = []
    limits = [(name, limit, "<") for name, limit in minimums.items()]
    limits += [(name, limit, ">") for name, limit in (maximums or {}).items()]
    for name, limit, failing_when in limits:
        key = metric_name(name)
        if not isinstance(limit, int | float) or not math.isfinite(limit):
            raise InvalidRequest(f"the limit for {key} must be a finite number, got {limit!r}")
        value = summary.metrics.get(key)
        if value is None:
            failures.append(f"{key} not measured on this test set (limit {limit:g})")
        elif (value < limit) if failing_when == "<" else (value > limit):
            failures.append(f"{key} {_pair(value, limit)[0]} {failing_when} {_pair(value, limit)[1]}")
    return failures


def _pair(value: float, limit: float) -> tuple[str, str]:
    """Both numbers with enough decimals to tell them apart (0.799 vs 0.80 is not '0.80 < 0.80')."""
    for decimals in (2, 4, 6):
        shown = f"{value:.{decimals}f}", f"{limit:.{decimals}f}"
        if shown[0] != shown[1]:
            return shown
    return repr(value), repr(limit)
