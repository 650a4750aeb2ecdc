"""What an evaluation produces: per-question results, the summary, and the metric catalogue."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field

from qa.types import Citation

Outcome = Literal["correct", "wrong", "abstained", "correct_abstain", "wrong_answer"]
RIGHT_OUTCOMES: frozenset[str] = frozenset({"correct", "correct_abstain"})
FAILURE_OUTCOMES: tuple[str, ...] = ("wrong_answer", "wrong", "abstained")  # worst first

CORRECT_F1 = 0.5
CORRECT_RULE = (
    "An answer to an answerable question is correct when an acceptable answer is contained in it "
    f"(normalised) or its token F1 against one is at least {CORRECT_F1}; an open question's answer "
    "must also cite a gold document. Answering an unanswerable question is always wrong; abstaining "
    "on it is correct."
)
SCHEMA_VERSION = 1


class MetricInfo(NamedTuple):
    section: str
    description: str
    higher_is_better: bool = True
    unit: str = ""  # "" for a share (0-1), "ms" for a duration


# Keys of Summary.metrics, in display order: the names thresholds and comparisons use.
METRICS: dict[str, MetricInfo] = {
    "overall_accuracy": MetricInfo("overall", "share of all questions handled right (correct or abstained)"),
    "accuracy": MetricInfo("answers", "share of answerable questions answered correctly"),
    "exact_match": MetricInfo("answers", "normalised exact match (abstaining scores 0)"),
    "f1": MetricInfo("answers", "token F1 (abstaining scores 0)"),
    "contains": MetricInfo("answers", "an acceptable answer is contained in our answer"),
    "gold_in_quote": MetricInfo("answers", "an acceptable answer is contained in a cited quote"),
    "wrong_answer_rate": MetricInfo("answers", "answered answerable questions wrongly", False),
    "false_abstain_rate": MetricInfo("answers", "abstained on answerable questions", False),
    "hit_at_1": MetricInfo("retrieval", "a gold document ranked first"),
    "hit_at_k": MetricInfo("retrieval", "a gold document among the top k documents"),
    "mrr": MetricInfo("retrieval", "mean reciprocal rank of the first gold document (within k)"),
    "citation_precision": MetricInfo("citations", "share of citations pointing at a gold document"),
    "answer_in_quote": MetricInfo("citations", "answers whose every word lies in a cited quote"),
    "abstain_precision": MetricInfo("abstention", "abstentions that were on unanswerable questions"),
    "abstain_recall": MetricInfo("abstention", "unanswerable questions abstained on"),
    "abstain_f1": MetricInfo("abstention", "F1 of abstain precision and recall"),
    "latency_p50_ms": MetricInfo("latency", "median latency per question", False, "ms"),
    "latency_p95_ms": MetricInfo("latency", "95th percentile latency", False, "ms"),
    "latency_max_ms": MetricInfo("latency", "slowest question", False, "ms"),
}


def format_metric(name: str, value: float | None) -> str:
    """``value`` for display: "n/a" for None, whole milliseconds, or a share with two decimals."""
    if value is None:
        return "n/a"
    info = METRICS.get(name)
    return f"{value:.0f} ms" if info and info.unit == "ms" else f"{value:.2f}"


class QuestionScores(BaseModel):
    """Per-question scores; None where a score does not apply (see each field)."""

    exact_match: float | None = None  # answerable questions only; abstaining scores 0
    f1: float | None = None
    contains: float | None = None
    gold_in_quote: float | None = None
    hit_at_1: float | None = None  # questions with gold doc_ids only
    hit_at_k: float | None = None
    reciprocal_rank: float | None = None
    citation_precision: float | None = None  # answers with citations to questions with gold doc_ids
    answer_in_quote: float | None = None  # answers (not abstentions) only


class QuestionResult(BaseModel):
    """One question: what was expected, what the bot said, its scores and its outcome."""

    id: str
    question: str
    answerable: bool
    answers: list[str]
    doc_ids: list[str]
    type: str = ""  # answer type from the test set's ``type`` field
    kind: str = "factoid"  # "factoid" or "open" (the test set's ``kind``)
    split: str = ""  # "dev", "heldout" or "mixed": the question's documents' split
    form: str = ""  # the answer's form: "span", "passage" or "" (abstained)
    answer: str
    abstained: bool
    confidence: float
    answer_type: str = ""  # answer type the bot expected
    citations: list[Citation] = Field(default_factory=list)
    latency_ms: float
    retrieved_doc_ids: list[str] = Field(default_factory=list)  # distinct, in rank order
    retrieved_chunk_ids: list[str] = Field(default_factory=list)
    retrieved_contexts: list[str] = Field(default_factory=list)  # passage texts; not in results.jsonl
    scores: QuestionScores
    outcome: Outcome
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_right(self) -> bool:
        """Correct answer, or abstention on an unanswerable question."""
        return self.outcome in RIGHT_OUTCOMES

    @property
    def group(self) -> str:
        """Chart group: "unanswerable", else the test set's type, else the bot's, else "untyped"."""
        if not self.answerable:
            return "unanswerable"
        return self.type or self.answer_type or "untyped"


class Summary(BaseModel):
    """Aggregated results: ``metrics`` holds every key of METRICS (None = not measurable here)."""

    schema_version: int = SCHEMA_VERSION
    created_at: str
    top_k: int
    counts: dict[str, int]
    metrics: dict[str, float | None]
    correct_rule: str = CORRECT_RULE


class EvalRun(BaseModel):
    """A whole evaluation: every question's result and the summary."""

    results: list[QuestionResult]
    summary: Summary

    @property
    def failures(self) -> list[QuestionResult]:
        """Wrong answers and abstentions, worst kind first (answered unanswerable, wrong, abstained)."""
        rank = {outcome: i for i, outcome in enumerate(FAILURE_OUTCOMES)}
        failing = [result for result in self.results if not result.is_right]
        return sorted(failing, key=lambda result: rank[result.outcome])
