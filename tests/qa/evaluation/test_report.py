from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from qa.errors import ConfigError, InvalidRequest
from qa.evaluation import METRICS, EvalRun, Summary, print_summary, write_report
from qa.evaluation.charts import latency_chart, outcome_chart
from qa.evaluation.html_report import TEMPLATE_FIELDS, load_template, parse_template, quote_html
from tests.helpers.evaluation import SCRIPT_QUESTION, cite

RAGAS_COLUMNS = (
    "user_input",
    "response",
    "retrieved_contexts",
    "reference",
    "reference_context_ids",
    "retrieved_context_ids",
)


class PageParser(HTMLParser):
    """Collects start tags, and the body rows of each table under the heading before it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.heading = ""
        self._in_heading = False
        self._in_tbody = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag in ("h2", "summary"):
            self._in_heading, self.heading = True, ""
        elif tag == "tbody":
            self._in_tbody = True
            self.tables[self.heading] = []
        elif tag == "tr" and self._in_tbody:
            self.tables[self.heading].append([])
        elif tag == "td" and self._in_tbody:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "summary"):
            self._in_heading = False
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "td" and self._cell is not None:
            self.tables[self.heading][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.heading += data
        if self._cell is not None:
            self._cell.append(data + " ")


@pytest.fixture
def written(run: EvalRun, tmp_path: Path) -> Path:
    out = tmp_path / "out" / "nested"
    paths = write_report(run, out)
    assert [p.name for p in paths] == ["summary.json", "results.jsonl", "report.html", "ragas.jsonl"]
    assert all(p.is_file() for p in paths)
    return out


def test_summary_json_round_trips(run: EvalRun, written: Path) -> None:
    summary = Summary.model_validate_json((written / "summary.json").read_text(encoding="utf-8"))
    assert summary == run.summary
    assert set(summary.metrics) == set(METRICS)


def test_results_jsonl_has_one_row_per_question(written: Path) -> None:
    rows = [json.loads(line) for line in (written / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["jobs", "money", "leader", "opening", "salary", "worldcup"]
    jobs = rows[0]
    assert jobs["question"] == "How many jobs will the lab create?"
    assert jobs["answers"] == ["over 200 technical positions", "200"]
    assert jobs["answer"] == "over 200 technical positions"
    assert (jobs["abstained"], jobs["confidence"], jobs["outcome"]) == (False, 0.8, "correct")
    assert jobs["citations"][0]["quote"] == "The lab will create over 200 technical positions."
    assert jobs["scores"]["f1"] == 1.0
    assert jobs["retrieved_doc_ids"] == ["lab", "other"]
    assert jobs["extra"] == {"type": "quantity"}
    assert "retrieved_contexts" not in jobs


def test_ragas_export_uses_v2_columns(written: Path) -> None:
    rows = [json.loads(line) for line in (written / "ragas.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6
    assert set(rows[0]) == set(RAGAS_COLUMNS)
    assert rows[0]["reference"] == "over 200 technical positions"
    assert rows[0]["reference_context_ids"] == ["lab"]
    assert rows[0]["retrieved_context_ids"] == ["lab:0", "other:0"]
    assert rows[0]["retrieved_contexts"][0].startswith("Acme opens a research lab")
    assert rows[4]["reference"] == ""  # unanswerable
    assert rows[4]["response"] == "The announcements don't say."


def test_report_html_is_self_contained_and_escaped(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    page = PageParser()
    page.feed(html)
    page.close()
    assert "script" not in page.tags  # the question's <script> is text, not a tag
    assert "b" not in page.tags  # neither is the answer's <b>
    assert page.tags.count("svg") == 2
    assert not [value for name, value in page.attrs if name in ("src", "href")]
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert not [field for field in TEMPLATE_FIELDS if f"${field}" in html]  # every placeholder was filled

    failures = page.tables["Failures (3)"]
    assert [row[0] for row in failures] == ["answered unanswerable", "wrong", "abstained"]
    leader = failures[1]
    assert leader[1].startswith(SCRIPT_QUESTION)
    assert leader[2] == "Jane Tan"
    assert leader[3].startswith("John <b>Lee</b>")
    assert "Buses will run every ten minutes." in leader[4]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "gold document not retrieved" in leader[1]
    assert "should abstain" in failures[0][2]
    assert len(page.tables["All questions (6)"]) == 6
    metric_names = [row[0] for row in page.tables["All metrics"] if len(row) == 3]
    assert metric_names == list(METRICS)


def test_report_without_failures_says_so(run: EvalRun, tmp_path: Path) -> None:
    good = run.model_copy(update={"results": [r for r in run.results if r.is_right]})
    write_report(good, tmp_path)
    page = PageParser()
    page.feed((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert page.tables["Failures (0)"] == [["No failures: every question was right."]]


def test_quote_marks_the_answer_span() -> None:
    text = "Intro. The lab is led by Jane <Tan>."
    html = quote_html(cite("lab", text, "The lab is led by Jane <Tan>.", "Jane <Tan>"))
    assert html.startswith("<blockquote>The lab is led by <mark>Jane &lt;Tan&gt;</mark>.")
    unplaced = cite("lab", text, "The lab is led by Jane <Tan>.")
    assert "<mark>" not in quote_html(unplaced)


def test_charts_escape_labels_and_handle_edge_cases(run: EvalRun) -> None:
    evil = run.results[0].model_copy(update={"type": "<img src=x>"})
    svg = outcome_chart([evil])
    assert "<img" not in svg and "&lt;img src=x&gt;" in svg
    assert "100% right" in svg
    assert latency_chart([0.0, 0.0], 0.0, 0.0).startswith("<svg")  # all instant
    assert latency_chart([], None, None).startswith("<svg")
    assert "p95 900 ms" in latency_chart([5.0, 100.0, 900.0], 100.0, 900.0)


def test_template_placeholders_are_checked() -> None:
    assert set(load_template().get_identifiers()) == TEMPLATE_FIELDS
    with pytest.raises(ConfigError, match="expected"):
        parse_template("<h1>$title</h1>")
    with pytest.raises(ConfigError, match="expected"):
        parse_template(load_template().template + "$unknown")


def test_print_summary(run: EvalRun) -> None:
    console = Console(record=True, width=140)
    print_summary(run, console)
    text = console.export_text()
    assert "6 questions (4 answerable, 2 unanswerable), top-k 3" in text
    assert "correct 2 · wrong 1 · abstained 1 · correct abstain 1 · wrong answer 1" in text
    for name in METRICS:
        assert name in text
    assert "57 ms" in text or "58 ms" in text  # p95 latency


def test_write_report_reports_an_unwritable_directory(run: EvalRun, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidRequest, match="cannot write the report"):
        write_report(run, blocker / "out")
