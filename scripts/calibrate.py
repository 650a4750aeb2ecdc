"""Fit the answerer's confidence weights on test sets and print the abstention curve.

Usage (each test set with the store that holds its corpus):
    python scripts/calibrate.py tests/eval/announcements.jsonl=data/eval-store \
        ../shared/devsets/rgb/tests.jsonl=data/rgb-store

Each store is a QA_DATA_DIR already ingested with the test set's corpus (``qa ingest``). The
script answers every question with abstention off, records the evidence features of the chosen
answer and whether it was right, fits a logistic regression on all sets together and prints the
weights (to copy into qa/evidence.py) and the correct / wrong / abstained counts per threshold.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from qa.answering import ExtractiveAnswerer
from qa.evaluation import contains, load_testset
from qa.evidence import CONFIDENCE_WEIGHTS
from qa.service import build_service
from qa.settings import Settings

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def collect(testset: Path, data_dir: Path) -> tuple[list[list[float]], list[bool], list[bool]]:
    """(features, answered correctly, answerable) per question."""
    service = build_service(Settings(data_dir=data_dir, min_confidence=0.0))
    seen: list[dict[str, float]] = []
    original = ExtractiveAnswerer.features

    def spy(best: object, choices: object) -> dict[str, float]:
        features = original(best, choices)  # type: ignore[arg-type]
        seen.append(features)
        return features

    ExtractiveAnswerer.features = staticmethod(spy)  # type: ignore[method-assign]
    try:
        rows, right, answerable = [], [], []
        cases, _ = load_testset(testset)
        for case in cases:
            seen.clear()
            answer = service.ask(case.question)
            rows.append(list(seen[-1].values()) if seen else [0.0] * len(CONFIDENCE_WEIGHTS))
            right.append(not answer.abstained and any(contains(g, answer.text) for g in case.answers))
            answerable.append(case.answerable)
        return rows, right, answerable
    finally:
        ExtractiveAnswerer.features = staticmethod(original)  # type: ignore[method-assign]


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.5, steps: int = 4000, rate: float = 0.1) -> np.ndarray:
    """Logistic regression by gradient descent; the last weight is the bias."""
    x1 = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x1.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x1 @ w)))
        w -= rate * (x1.T @ (p - y) + l2 * np.r_[w[:-1], 0.0]) / len(y)
    return w


def main(pairs: list[str]) -> None:
    rows: list[list[float]] = []
    right: list[bool] = []
    answerable: list[bool] = []
    for pair in pairs:
        testset, _, store = pair.partition("=")
        r, c, a = collect(Path(testset), Path(store))
        rows += r
        right += c
        answerable += a
    x, y, ans = np.array(rows), np.array(right, dtype=float), np.array(answerable)
    w = fit(x, y)
    names = list(CONFIDENCE_WEIGHTS)
    weights = {n: round(float(v), 2) for n, v in zip(names, w[:-1], strict=True)}
    print("weights:", weights, "bias:", round(float(w[-1]), 2))
    p = 1.0 / (1.0 + np.exp(-(np.hstack([x, np.ones((len(x), 1))]) @ w)))
    for t in THRESHOLDS:
        answered = p >= t
        print(
            f"threshold {t:.2f}: correct {int(np.sum(answered & (y == 1)))}, "
            f"wrong {int(np.sum(answered & (y == 0) & ans))}, abstained {int(np.sum(~answered & ans))} "
            f"(answerable); abstained {int(np.sum(~answered & ~ans))}/{int(np.sum(~ans))} (unanswerable)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
