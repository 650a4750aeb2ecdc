"""Compare a run with a previous ``--out`` directory: metric deltas and questions that flipped."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from qa.errors import TestSetError
from qa.evaluation.report import RESULTS_FILE, SUMMARY_FILE
from qa.evaluation.results import METRICS, RIGHT_OUTCOMES, EvalRun, Outcome, Summary, format_metric


class MetricDelta(BaseModel):
    """One metric before and after; ``delta`` is None when either side is not measured."""

    name: str
    baseline: float | None
    current: float | None
    delta: float | None
    higher_is_better: bool

    @property
    def verdict(self) -> str:
        """ "better", "worse" or "same" (ties and unmeasured sides are "same")."""
        if not self.delta:
            return "same"
        return "better" if (self.delta > 0) == self.higher_is_better else "worse"


class FlippedQuestion(BaseModel):
    """A question whose outcome went from right to wrong or back."""

    id: str
    question: str
    before: Outcome
    after: Outcome


class Comparison(BaseModel):
    """What changed between a baseline run and this one."""

    baseline_dir: str
    baseline_created_at: str
    top_k: tuple[int, int]  # (baseline, current)
    metrics: list[MetricDelta]
    became_wrong: list[FlippedQuestion]
    became_right: list[FlippedQuestion]
    only_in_baseline: list[str]  # question ids not in this run
    only_in_current: list[str]


class _BaselineRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    question: str = ""
    outcome: Outcome


def compare_runs(run: EvalRun, baseline_dir: Path) -> Comparison:
    """Compare ``run`` with the summary.json and results.jsonl of a previous ``--out`` directory.

    Raises TestSetError when either file is missing or malformed. Compare before writing the
    new report if it goes to the same directory.
    """
    baseline_dir = Path(baseline_dir)
    baseline = _read_summary(baseline_dir)
    before = {row.id: row for row in _read_results(baseline_dir)}
    after = {result.id: result for result in run.results}
    flips: dict[bool, list[FlippedQuestion]] = {True: [], False: []}
    for case_id, result in after.items():
        old = before.get(case_id)
        if old is not None and (old.outcome in RIGHT_OUTCOMES) != result.is_right:
            flip = FlippedQuestion(
                id=case_id, question=result.question, before=old.outcome, after=result.outcome
            )
            flips[result.is_right].append(flip)
    metrics = []
    for name, info in METRICS.items():
        old_value, new_value = baseline.metrics.get(name), run.summary.metrics.get(name)
        delta = None if old_value is None or new_value is None else new_value - old_value
        metrics.append(
            MetricDelta(
                name=name,
                baseline=old_value,
                current=new_value,
                delta=delta,
                higher_is_better=info.higher_is_better,
            )
        )
    return Comparison(
        baseline_dir=str(baseline_dir),
        baseline_created_at=baseline.created_at,
        top_k=(baseline.top_k, run.summary.top_k),
        metrics=metrics,
        became_wrong=flips[False],
        became_right=flips[True],
        only_in_baseline=[case_id for case_id in before if case_id not in after],
        only_in_current=[case_id for case_id in after if case_id not in before],
    )


def _read_baseline_file(directory: Path, name: str) -> str:
    try:
        return (directory / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TestSetError(f"no {name} in {directory}: give the --out directory of an earlier run") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TestSetError(f"cannot read baseline {directory / name}: {exc}") from exc


def _read_summary(directory: Path) -> Summary:
    try:
        return Summary.model_validate_json(_read_baseline_file(directory, SUMMARY_FILE))
    except ValidationError as exc:
        raise TestSetError(f"cannot read baseline {directory / SUMMARY_FILE}: {exc}") from None


def _read_results(directory: Path) -> list[_BaselineRow]:
    rows = []
    for number, line in enumerate(_read_baseline_file(directory, RESULTS_FILE).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(_BaselineRow.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise TestSetError(f"{directory / RESULTS_FILE}:{number}: not a result row ({exc})") from None
    return rows


def print_comparison(comparison: Comparison, console: Console | None = None) -> None:
    """Print metric deltas (changed metrics coloured) and the questions that flipped."""
    console = console or Console()
    console.print(
        f"[bold]Compared with[/bold] {escape(comparison.baseline_dir)} ({comparison.baseline_created_at})"
    )
    if comparison.top_k[0] != comparison.top_k[1]:
        console.print(
            f"[yellow]top-k differs: baseline {comparison.top_k[0]}, now {comparison.top_k[1]}[/yellow]"
        )
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("metric", "baseline", "now", "change"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    styles = {"better": "green", "worse": "red", "same": "dim"}
    for delta in comparison.metrics:
        change = (
            "n/a"
            if delta.delta is None
            else f"{delta.delta:+.0f} ms"
            if delta.name.endswith("_ms")
            else f"{delta.delta:+.2f}"
        )
        table.add_row(
            delta.name,
            format_metric(delta.name, delta.baseline),
            format_metric(delta.name, delta.current),
            Text(change, style=styles[delta.verdict]),
        )
    console.print(table)
    for title, flips, style in (
        ("Now wrong", comparison.became_wrong, "red"),
        ("Now right", comparison.became_right, "green"),
    ):
        console.print(Text(f"{title} ({len(flips)})", style=f"bold {style}"))
        for flip in flips:
            line = Text(f"  {flip.id}: ", style="dim")
            line.append(flip.question)
            line.append(f"  ({flip.before} → {flip.after})", style="dim")
            console.print(line)
    for label, ids in (
        ("only in baseline", comparison.only_in_baseline),
        ("only now", comparison.only_in_current),
    ):
        if ids:
            console.print(f"[yellow]{len(ids)} questions {label}:[/yellow] {escape(', '.join(ids[:10]))}")
