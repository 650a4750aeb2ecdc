"""The self-contained HTML report: summary cards, SVG charts, failures and every question.

The page is ``report.html`` (a string.Template next to this module) filled with escaped text;
nothing external is loaded, so it opens offline and can be attached to a CI run.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from importlib import resources
from string import Template

from qa.errors import ConfigError
from qa.evaluation.charts import latency_chart, outcome_chart
from qa.evaluation.results import CORRECT_RULE, METRICS, EvalRun, QuestionResult, format_metric
from qa.types import Citation

TEMPLATE_FIELDS = frozenset(
    {
        "title",
        "subtitle",
        "outcome_strip",
        "cards",
        "outcome_chart",
        "latency_chart",
        "failures_count",
        "failures_rows",
        "metrics_rows",
        "all_count",
        "all_rows",
        "correct_rule",
    }
)
CARDS = (
    "overall_accuracy",
    "accuracy",
    "f1",
    "hit_at_k",
    "citation_precision",
    "abstain_recall",
    "latency_p95_ms",
)
_BADGES = {
    "correct": ("right", "correct"),
    "wrong": ("wrong", "wrong"),
    "abstained": ("abstained", "abstained"),
    "correct_abstain": ("right", "abstained on unanswerable"),
    "wrong_answer": ("wrong", "answered unanswerable"),
}


@lru_cache(maxsize=1)
def load_template() -> Template:
    """The packaged page template, ``report.html`` next to this module."""
    return parse_template(
        resources.files("qa.evaluation").joinpath("report.html").read_text(encoding="utf-8")
    )


def parse_template(text: str) -> Template:
    """``text`` as a Template; raises ConfigError unless its placeholders are exactly TEMPLATE_FIELDS."""
    template = Template(text)
    found = set(template.get_identifiers())
    if found != TEMPLATE_FIELDS or not template.is_valid():
        raise ConfigError(
            f"the report template has placeholders {sorted(found)}, expected {sorted(TEMPLATE_FIELDS)}"
        )
    return template


def render_html(run: EvalRun) -> str:
    """The whole report page for ``run``."""
    summary, counts = run.summary, run.summary.counts
    failures = run.failures
    return load_template().substitute(
        title="Question answering evaluation",
        subtitle=escape(
            f"{counts['questions']} questions ({counts['answerable']} answerable, "
            f"{counts['unanswerable']} unanswerable) · top-k {summary.top_k} · {summary.created_at}"
        ),
        outcome_strip=_outcome_strip(counts),
        cards="".join(_card(name, summary.metrics[name]) for name in CARDS),
        outcome_chart=outcome_chart(run.results),
        latency_chart=latency_chart(
            [r.latency_ms for r in run.results],
            summary.metrics["latency_p50_ms"],
            summary.metrics["latency_p95_ms"],
        ),
        failures_count=str(len(failures)),
        failures_rows="".join(map(question_row, failures))
        or _empty_row("No failures: every question was right."),
        metrics_rows=_metric_rows(summary.metrics),
        all_count=str(len(run.results)),
        all_rows="".join(map(question_row, run.results)),
        correct_rule=escape(CORRECT_RULE),
    )


def _badge(outcome: str, text: str | None = None) -> str:
    kind, label = _BADGES[outcome]
    return f'<span class="badge {kind}">{escape(text or label)}</span>'


def _outcome_strip(counts: dict[str, int]) -> str:
    groups = {
        "answerable": ("correct", "wrong", "abstained"),
        "unanswerable": ("correct_abstain", "wrong_answer"),
    }
    return "".join(
        f'<span class="group"><span>{name}</span>'
        + "".join(_badge(outcome, f"{counts[outcome]} {_BADGES[outcome][1]}") for outcome in outcomes)
        + "</span>"
        for name, outcomes in groups.items()
    )


def _card(name: str, value: float | None) -> str:
    label = name.replace("_ms", "").replace("_", " ")
    return (
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(format_metric(name, value))}</div>'
        f'<div class="hint">{escape(METRICS[name].description)}</div></div>'
    )


def _metric_rows(values: dict[str, float | None]) -> str:
    rows, section = [], ""
    for name, info in METRICS.items():
        if info.section != section:
            section = info.section
            rows.append(f'<tr class="section"><td colspan="3">{escape(section)}</td></tr>')
        direction = "" if info.higher_is_better else " (lower is better)"
        value = format_metric(name, values.get(name))
        rows.append(
            f'<tr><td class="id">{escape(name)}</td><td class="num">{escape(value)}</td>'
            f"<td>{escape(info.description + direction)}</td></tr>"
        )
    return "".join(rows)


def _empty_row(message: str) -> str:
    return f'<tr><td colspan="5" class="empty">{escape(message)}</td></tr>'


def _list(items: list[str], empty: str) -> str:
    if not items:
        return f'<span class="empty">{escape(empty)}</span>'
    return '<ul class="plain">' + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _retrieval_note(result: QuestionResult) -> str:
    if not result.doc_ids:
        return "no gold documents"
    ranks = [rank for rank, doc in enumerate(result.retrieved_doc_ids, 1) if doc in result.doc_ids]
    return f"gold document retrieved at rank {ranks[0]}" if ranks else "gold document not retrieved"


def question_row(result: QuestionResult) -> str:
    """One table row: outcome, question, expected answers, our answer and the cited quotes."""
    kind = " · ".join(filter(None, [result.type or result.answer_type, _retrieval_note(result)]))
    f1 = result.scores.f1
    answer_meta = f"confidence {result.confidence:.2f}" + (f" · F1 {f1:.2f}" if f1 is not None else "")
    expected = _list(result.answers, "unanswerable: should abstain")
    return (
        f"<tr><td>{_badge(result.outcome)}</td>"
        f'<td><div class="question">{escape(result.question)}</div>'
        f'<div class="id">{escape(result.id)}</div><div class="meta">{escape(kind)}</div></td>'
        f"<td>{expected}</td>"
        f'<td>{escape(result.answer)}<div class="meta">{escape(answer_meta)}</div></td>'
        f"<td>{''.join(map(quote_html, result.citations)) or _list([], 'no citation')}</td></tr>"
    )


def quote_html(citation: Citation) -> str:
    """The cited quote, escaped, with the answer span marked when the offsets locate it."""
    quote, offset = citation.quote, citation.start
    start, end = citation.answer_start, citation.answer_end
    exact = len(quote) == citation.end - offset  # offsets are only meaningful for a verbatim quote
    if start is not None and end is not None and exact and offset <= start < end <= citation.end:
        a, b = start - offset, end - offset
        body = f"{escape(quote[:a])}<mark>{escape(quote[a:b])}</mark>{escape(quote[b:])}"
    else:
        body = escape(quote)
    source = " · ".join(filter(None, [citation.doc_id, citation.title]))
    return f'<blockquote>{body}<div class="meta">{escape(source)}</div></blockquote>'
