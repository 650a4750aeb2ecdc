"""Inline SVG charts for the HTML report: outcomes by answer type, and a latency histogram.

Plain SVG strings, no scripts: the report must open offline and from a file. Every label is
HTML-escaped here, because answer types come from the test set.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from html import escape

from qa.evaluation.results import QuestionResult

COLOURS = {"right": "#1a7f37", "wrong": "#cf222e", "abstained": "#bf8700"}
_VERDICT = {
    "correct": "right",
    "correct_abstain": "right",
    "wrong": "wrong",
    "wrong_answer": "wrong",
    "abstained": "abstained",
}
_WIDTH = 760
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'


def _svg(height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" {_FONT}><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, content: str, anchor: str = "start", fill: str = "#24292f") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(content)}</text>'


def outcome_groups(results: Sequence[QuestionResult]) -> list[tuple[str, Counter[str]]]:
    """Verdict counts ("right", "wrong", "abstained") per group, biggest group first, unanswerable last."""
    groups: dict[str, Counter[str]] = {}
    for result in results:
        groups.setdefault(result.group, Counter())[_VERDICT[result.outcome]] += 1
    return sorted(groups.items(), key=lambda item: (item[0] == "unanswerable", -item[1].total(), item[0]))


def outcome_chart(results: Sequence[QuestionResult]) -> str:
    """100%-stacked horizontal bars of right / wrong / abstained per answer type."""
    label_width, bar_width, row, top = 150, 470, 30, 34
    groups = outcome_groups(results)
    body = []
    for i, verdict in enumerate(COLOURS):
        legend_x = label_width + i * 110
        body.append(f'<rect x="{legend_x}" y="6" width="12" height="12" rx="2" fill="{COLOURS[verdict]}"/>')
        body.append(_text(legend_x + 18, 16, verdict))
    for index, (group, counts) in enumerate(groups):
        y = top + index * row
        total = counts.total()
        name = group if len(group) <= 22 else group[:21] + "…"
        body.append(_text(label_width - 10, y + 14, name, "end"))
        x = float(label_width)
        for verdict, colour in COLOURS.items():
            width = bar_width * counts[verdict] / total
            if not width:
                continue
            tip = f"{group}: {counts[verdict]} {verdict} of {total}"
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="20" fill="{colour}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            if width >= 26:
                body.append(_text(x + width / 2, y + 14, str(counts[verdict]), "middle", "#ffffff"))
            x += width
        share = counts["right"] / total
        body.append(_text(label_width + bar_width + 10, y + 14, f"{share:.0%} right · n={total}"))
    return _svg(top + len(groups) * row + 4, "Outcomes by answer type", body)


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 5 x 10^n that is at least ``raw``."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1, 2, 5, 10) if f * power >= raw)


def latency_chart(latencies_ms: Sequence[float], p50: float | None, p95: float | None) -> str:
    """Histogram of per-question latency with the p50 and p95 marked."""
    left, right, top, plot_height = 44, 20, 40, 150  # the p50/p95 labels sit above the plot
    plot_width = _WIDTH - left - right
    bins = max(5, min(20, math.ceil(math.sqrt(len(latencies_ms) or 1))))
    step = _nice_step(max(latencies_ms, default=0.0) / bins)
    bins = max(1, math.floor(max(latencies_ms, default=0.0) / step) + 1)
    counts = Counter(min(bins - 1, int(value // step)) for value in latencies_ms)
    tallest = max(counts.values(), default=1)
    bar = plot_width / bins
    base = top + plot_height
    body = [f'<line x1="{left}" y1="{base}" x2="{left + plot_width}" y2="{base}" stroke="#8c959f"/>']
    for tick in sorted({0, tallest // 2, tallest}):
        y = base - plot_height * tick / tallest
        body.append(_text(left - 6, y + 4, str(tick), "end", "#57606a"))
        if tick:
            body.append(
                f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" stroke="#eaeef2"/>'
            )
    for index in range(bins):
        height = plot_height * counts[index] / tallest
        low, high = index * step, (index + 1) * step
        body.append(
            f'<rect x="{left + index * bar + 1:.1f}" y="{base - height:.1f}" width="{bar - 2:.1f}" '
            f'height="{height:.1f}" rx="2" fill="#0969da"><title>{low:g}–{high:g} ms: '
            f"{counts[index]} questions</title></rect>"
        )
    label_every = max(1, math.ceil(bins / 10))
    for index in range(0, bins + 1, label_every):
        body.append(_text(left + index * bar, base + 16, f"{index * step:g}", "middle", "#57606a"))
    body.append(_text(left + plot_width, base + 34, "milliseconds per question", "end", "#57606a"))
    for name, value, colour, dy in (("p50", p50, "#57606a", -26), ("p95", p95, "#cf222e", -10)):
        if value is None:
            continue
        x = left + plot_width * min(value / (bins * step), 1.0)
        body.append(
            f'<line x1="{x:.1f}" y1="{top + dy - 10}" x2="{x:.1f}" y2="{base}" stroke="{colour}" '
            'stroke-dasharray="4 3" stroke-width="1.5"/>'
        )
        near_edge = x > left + plot_width - 90  # keep the label inside the chart
        label_x, anchor = (x - 4, "end") if near_edge else (x + 4, "start")
        body.append(_text(label_x, top + dy, f"{name} {value:.0f} ms", anchor, colour))
    return _svg(base + 40, "Latency per question", body)
