"""Show and save an evaluation: a rich summary table, and the files of an ``--out`` directory.

summary.json    Summary (counts, the flat metric dict, top_k, the correctness rule)
results.jsonl   one QuestionResult a line, without the passage texts
report.html     the self-contained page people read to decide whether to trust the bot
ragas.jsonl     one row a question in RAGAS v2 column names, for outside evaluators
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from qa.errors import InvalidRequest
from qa.evaluation.html_report import render_html
from qa.evaluation.results import CORRECT_RULE, METRICS, EvalRun, format_metric

SUMMARY_FILE = "summary.json"
RESULTS_FILE = "results.jsonl"
HTML_FILE = "report.html"
RAGAS_FILE = "ragas.jsonl"
_OUTCOME_STYLES = {
    "correct": "green",
    "wrong": "red",
    "abstained": "yellow",
    "correct_abstain": "green",
    "wrong_answer": "bold red",
}


def print_summary(run: EvalRun, console: Console | None = None) -> None:
    """Print the outcome counts and a table of every metric."""
    console = console or Console()
    summary, counts = run.summary, run.summary.counts
    console.print(
        f"[bold]Evaluation[/bold] of {counts['questions']} questions "
        f"({counts['answerable']} answerable, {counts['unanswerable']} unanswerable), top-k {summary.top_k}"
    )
    outcomes = Text("Outcomes: ")
    for index, (outcome, style) in enumerate(_OUTCOME_STYLES.items()):
        outcomes.append((" · " if index else "") + f"{outcome.replace('_', ' ')} {counts[outcome]}", style)
    console.print(outcomes)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("section", style="dim")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("meaning", style="dim")
    section = ""
    for name, info in METRICS.items():
        value = summary.metrics.get(name)
        table.add_row(
            info.section if info.section != section else "",
            name,
            Text(format_metric(name, value), style="dim" if value is None else ""),
            info.description,
        )
        section = info.section
    console.print(table)
    print_breakdown(run, console)
    console.print(f"[dim]{CORRECT_RULE}[/dim]")


def breakdown(run: EvalRun) -> dict[str, Counter[str]]:
    """Outcome counts per question kind ("factoid", "open", "unanswerable") and per answer form."""
    groups: dict[str, Counter[str]] = {}
    for result in run.results:
        kind = result.kind if result.answerable else "unanswerable"
        groups.setdefault(f"kind {kind}", Counter())[result.outcome] += 1
        if result.answerable:
            groups.setdefault(f"form {result.form or 'abstained'}", Counter())[result.outcome] += 1
    return groups


def print_breakdown(run: EvalRun, console: Console) -> None:
    """One line per question kind and answer form: right / wrong / abstained and the share right."""
    for group, counts in sorted(breakdown(run).items()):
        total = sum(counts.values())
        right = counts["correct"] + counts["correct_abstain"]
        wrong = counts["wrong"] + counts["wrong_answer"]
        abstained = counts["abstained"] + counts["correct_abstain"]
        console.print(
            f"{group:<20} {total:>4} questions: right {right} ({right / total:.0%}), "
            f"wrong {wrong} ({wrong / total:.0%}), abstained {abstained}"
        )


def results_rows(run: EvalRun) -> list[dict[str, Any]]:
    """The lines of results.jsonl: each result without its passage texts (those go to ragas.jsonl)."""
    return [result.model_dump(mode="json", exclude={"retrieved_contexts"}) for result in run.results]


def ragas_rows(run: EvalRun) -> list[dict[str, Any]]:
    """One row a question in RAGAS v2 column names.

    ``reference`` is the first acceptable answer ("" for unanswerable questions);
    ``retrieved_context_ids`` are chunk ids, aligned with ``retrieved_contexts``.
    """
    return [
        {
            "user_input": result.question,
            "response": result.answer,
            "retrieved_contexts": result.retrieved_contexts,
            "reference": result.answers[0] if result.answerable and result.answers else "",
            "reference_context_ids": result.doc_ids,
            "retrieved_context_ids": result.retrieved_chunk_ids,
        }
        for result in run.results
    ]


def write_report(run: EvalRun, out_dir: Path) -> list[Path]:
    """Write summary.json, results.jsonl, report.html and ragas.jsonl into ``out_dir``.

    Creates the directory and replaces files of an earlier run there. Returns the paths written.
    Raises InvalidRequest when the directory cannot be written.
    """
    out_dir = Path(out_dir)
    contents = {
        SUMMARY_FILE: run.summary.model_dump_json(indent=2) + "\n",
        RESULTS_FILE: _jsonl(results_rows(run)),
        HTML_FILE: render_html(run),
        RAGAS_FILE: _jsonl(ragas_rows(run)),
    }
    paths = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in contents.items():
            path = out_dir / name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise InvalidRequest(
            f"cannot write the report to {out_dir}: {exc}; choose another directory"
        ) from exc
    return paths


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
