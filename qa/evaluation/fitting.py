"""Fit the extractive answerer's weights and thresholds on the development split of test sets.

The answerer's five linear models are logistic regressions over its named features:
- the sentence model on every embedded sentence (does it hold a gold answer / key phrase?),
- the candidate model on every candidate of a factoid (is it a gold answer?),
- the span and passage models on each factoid's best candidate (is it right? does its sentence,
  or the best other sentence given beside it, hold the answer?);
- the open model on each open question's best sentence (does it, with a neighbour that goes on
  with it, answer?);
then the thresholds (span, passage fallback, open, join) are chosen on the same questions to maximise
right answers minus ``WRONG_COST`` times wrong ones (answering an unanswerable question is wrong).
The sentence model is fitted twice: the first round's ranking decides which sentences are
embedded and which reach the candidate stage, so the second round learns from its own choices.
What reaches each stage depends on the weights the fit starts from, so the whole fit runs
``rounds`` times (three), each round starting from the last, and the rounds' models are averaged:
the result depends on the data, hardly on where it began or on one round's luck.

The span, passage and open models and the thresholds are then fitted again, out of fold: each question
is weighed by sentence and candidate models fitted without the questions about its document
(``FOLDS`` folds by gold document). On its own training questions the ranking is surer than on
new ones; confidence learnt from those would answer new questions too boldly, or, where the
features of new text are weaker, abstain too much.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from qa.evaluation.metrics import contains
from qa.evaluation.testset import TestCase
from qa.extractive import PASSAGE, Deliberation, ExtractiveAnswerer, Weights
from qa.extractive.answerer import passage_text
from qa.extractive.model import MODELS, THRESHOLDS, LinearModel
from qa.language.questions import Question, QuestionKind
from qa.types import Passage

WRONG_COST = 1.0  # a wrong answer costs what a right one gains: answer when more likely right than wrong
# A factoid answered by the sentence that holds the fact is right, but worth less than the fact itself.
PASSAGE_VALUE = 0.7
GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
REGULARISATION = 1.0  # inverse L2 strength of the logistic regressions
FOLDS = 5  # document folds of the out-of-fold deliberations
CONFIDENCE_MODELS = ("span", "passage", "open")  # fitted on what the ranking models found


@dataclass
class Sample:
    """One training question with its retrieved passages and what the answerer weighed."""

    case: TestCase
    passages: list[Passage]
    query_embedding: list[float]
    analysis: Question | None = None  # retrieval's; deliberation rounds reuse it
    found: Deliberation | None = None


# A question -> its passages, its embedding and its analysis (what HybridRetriever.retrieve gives).
Retrieve = Callable[[str], tuple[list[Passage], list[float], Question | None]]


def collect(cases: Sequence[TestCase], retrieve: Retrieve) -> list[Sample]:
    """Retrieve once per question (retrieval is not fitted here)."""
    return [Sample(case, *retrieve(case.question)) for case in cases]


def fit_weights(
    samples: list[Sample], answerer: ExtractiveAnswerer, notes: dict[str, Any], rounds: int = 3
) -> Weights:
    """Fit every model and threshold on ``samples``, ``rounds`` times over, and average the rounds'
    models (each round's fit is as good a draw as another; the best-scoring round on its own
    training questions is the likeliest to be overfitted to them); the span, passage and open models and
    the thresholds are then fitted on out-of-fold deliberations (module doc). Returns new weights
    (``answerer`` ends with them; ``fitted_on`` records the utilities of the rounds, of the final
    weights on their training questions and out of fold)."""
    fits: list[tuple[float, Weights]] = []
    for _ in range(rounds):
        weights = _fit_round(samples, answerer)
        fits.append((utility(samples, answerer), weights))
    # The ranking models are the rounds' mean; the confidence models are fitted anew below.
    ranking = fits[-1][1]
    for name in ("sentence", "candidate"):
        ranking = ranking.with_model(name, _mean([w[name] for _, w in fits]))
    in_sample = _deliberate_out_of_fold(samples, answerer, ranking)
    answerer.weights = ranking
    for name in CONFIDENCE_MODELS:
        answerer.weights = answerer.weights.with_model(
            name, _fit(name, *_confidence_rows(samples, answerer, name))
        )
    weights = replace(answerer.weights, thresholds=choose_thresholds(samples, answerer))
    answerer.weights = weights
    out_of_fold = utility(samples, answerer)
    _deliberate(samples, answerer)
    fitted_on = {
        **notes,
        "questions": len(samples),
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wrong_cost": WRONG_COST,
        "passage_value": PASSAGE_VALUE,
        "utility_by_round": [round(fit[0], 2) for fit in fits],
        "utility_averaged": round(utility(samples, answerer), 2),
        "utility_out_of_fold": round(out_of_fold, 2),
        "questions_in_sample": in_sample,
    }
    weights = replace(weights, fitted_on=fitted_on)
    answerer.weights = weights
    return weights


def _deliberate_out_of_fold(samples: list[Sample], answerer: ExtractiveAnswerer, start: Weights) -> int:
    """Deliberate every sample with sentence and candidate models fitted, from ``start``, without
    the samples of its fold. A fold whose rest is too small to fit (all rows of one class) is
    deliberated with ``start`` itself; returns how many samples were."""
    folds = [_fold(s) for s in samples]
    in_sample = 0
    for fold in range(FOLDS):
        held = [s for s, f in zip(samples, folds, strict=True) if f == fold]
        answerer.weights = start
        try:
            _fit_ranking_models([s for s, f in zip(samples, folds, strict=True) if f != fold], answerer)
        except ValueError:
            answerer.weights = start
            in_sample += len(held)
        _deliberate(held, answerer)
    return in_sample


def _fold(s: Sample) -> int:
    """The sample's fold: all questions about one document fall in the same one."""
    key = min(s.case.doc_ids) if s.case.doc_ids else s.case.question
    return zlib.crc32(key.encode()) % FOLDS


def _mean(models: list[LinearModel]) -> LinearModel:
    """The model whose bias and weights are the means of ``models``' (same features)."""
    features = list(models[0].weights)
    return LinearModel(
        sum(m.bias for m in models) / len(models),
        {f: sum(m.weights[f] for m in models) / len(models) for f in features},
    )


def _fit_round(samples: list[Sample], answerer: ExtractiveAnswerer) -> Weights:
    """One fit of every model and threshold, starting from ``answerer``'s weights."""
    _fit_ranking_models(samples, answerer)
    weights = answerer.weights
    _deliberate(samples, answerer)
    for name in CONFIDENCE_MODELS:
        weights = weights.with_model(name, _fit(name, *_confidence_rows(samples, answerer, name)))
    answerer.weights = weights
    thresholds = choose_thresholds(samples, answerer)
    weights = replace(weights, thresholds=thresholds)
    answerer.weights = weights
    return weights


def _fit_ranking_models(samples: list[Sample], answerer: ExtractiveAnswerer) -> None:
    """Fit the sentence model (twice) and then the candidate model on ``samples``, each on what the
    answerer weighs with the models so far; ``answerer`` ends with them."""
    for _ in range(2):
        _deliberate(samples, answerer)
        answerer.weights = answerer.weights.with_model("sentence", _fit("sentence", *_sentence_rows(samples)))
    _deliberate(samples, answerer)
    answerer.weights = answerer.weights.with_model("candidate", _fit("candidate", *_candidate_rows(samples)))


def is_right(case: TestCase, text: str, cited: Sequence[str]) -> bool:
    """An answer is right when it contains an acceptable answer; an open question's must also cite
    a gold document."""
    if not case.answerable:
        return False
    if case.kind == QuestionKind.OPEN and case.doc_ids and not set(cited) & set(case.doc_ids):
        return False
    return any(contains(gold, text) for gold in case.answers)


def _deliberate(samples: list[Sample], answerer: ExtractiveAnswerer) -> None:
    for s in samples:
        s.found = answerer.deliberate(s.case.question, s.passages, s.query_embedding, s.analysis)


def _sentence_rows(samples: list[Sample]) -> tuple[list[list[float]], list[int]]:
    rows, labels = [], []
    for s in samples:
        assert s.found is not None
        for sentence in s.found.sentences:
            if sentence.features["cosine"] == 0.0:
                continue  # never embedded: its score lacks a feature
            rows.append([sentence.features[f] for f in MODELS["sentence"]])
            labels.append(int(is_right(s.case, sentence.text, [sentence.passage.doc_id])))
    return rows, labels


def _candidate_rows(samples: list[Sample]) -> tuple[list[list[float]], list[int]]:
    rows, labels = [], []
    for s in samples:
        assert s.found is not None
        for choice in s.found.choices:
            rows.append([choice.features[f] for f in MODELS["candidate"]])
            labels.append(int(is_right(s.case, choice.candidate.text, [choice.sentence.passage.doc_id])))
    return rows, labels


def _confidence_rows(
    samples: list[Sample], answerer: ExtractiveAnswerer, name: str
) -> tuple[list[list[float]], list[int]]:
    """Each factoid's best candidate: is it right ("span"), does its sentence hold the answer
    ("passage")? Each open question's best sentence: does it answer ("open")?"""
    rows, labels = [], []
    for s in samples:
        assert s.found is not None
        if name == "open":
            if s.found.question.kind is QuestionKind.OPEN and s.found.sentences:
                given = answerer.open_sentences(s.found)
                rows.append([answerer.open_features(s.found)[f] for f in MODELS[name]])
                labels.append(int(is_right(s.case, passage_text(given), [x.passage.doc_id for x in given])))
            continue
        if not s.found.choices:
            continue
        best, _, features = answerer.choose(s.found)
        if name == "span":
            text, cited = best.candidate.text, [best.sentence.passage.doc_id]
        else:
            sentences, features = answerer.fallback(s.found, best, features)
            text, cited = passage_text(sentences), [x.passage.doc_id for x in sentences]
        rows.append([features[f] for f in MODELS[name]])
        labels.append(int(is_right(s.case, text, cited)))
    return rows, labels


def _fit(name: str, rows: list[list[float]], labels: list[int]) -> LinearModel:
    """A logistic regression of ``labels`` on ``rows`` (columns in MODELS[name] order)."""
    from sklearn.linear_model import LogisticRegression

    features = MODELS[name]
    if len(set(labels)) < 2:
        raise ValueError(f"cannot fit the {name} model: its training rows are all of one class")
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    model.fit(rows, labels)
    weights = {f: float(w) for f, w in zip(features, model.coef_[0], strict=True)}
    return LinearModel(float(model.intercept_[0]), weights)


def outcome(s: Sample, answerer: ExtractiveAnswerer) -> tuple[bool, float]:
    """(answered, value) of the answerer's decision on ``s``: value 1 for a right answer (less for a
    factoid answered by its sentence), 0 for a wrong one or an abstention."""
    assert s.found is not None
    decision = answerer.decide(s.found)
    if not decision.form:
        return False, 0.0
    if decision.form == PASSAGE:
        text = passage_text(decision.sentences)
    else:
        assert decision.choice is not None
        text = decision.choice.candidate.text
    value = 1.0 if decision.form != PASSAGE or s.found.question.kind is QuestionKind.OPEN else PASSAGE_VALUE
    return True, value * is_right(s.case, text, [x.passage.doc_id for x in decision.sentences])


def utility(samples: Sequence[Sample], answerer: ExtractiveAnswerer) -> float:
    total = 0.0
    for s in samples:
        answered, value = outcome(s, answerer)
        total += value if value else -WRONG_COST if answered else 0.0
        if not s.case.answerable and not answered:
            total += 1.0  # abstaining on an unanswerable question is a right answer
    return total


def choose_thresholds(samples: list[Sample], answerer: ExtractiveAnswerer) -> dict[str, float]:
    """The thresholds that maximise the utility: open questions' (answer, join a neighbour) jointly,
    factoids' (span, passage) jointly."""
    kept = answerer.min_confidence
    answerer.min_confidence = None
    open_ = [s for s in samples if s.found and s.found.question.kind is QuestionKind.OPEN]
    factoid = [s for s in samples if s.found and s.found.question.kind is QuestionKind.FACTOID]
    current = dict(answerer.weights.thresholds)

    def trial(**changes: float) -> float:
        answerer.weights = replace(answerer.weights, thresholds={**current, **changes})
        return utility(open_ if "open" in changes else factoid, answerer)

    best_open = _middle_of_best(
        _smoothed({(open_t, join): trial(open=open_t, join=join) for open_t in GRID for join in GRID})
    )
    best_pair = _middle_of_best(
        _smoothed({(span, passage): trial(span=span, passage=passage) for span in GRID for passage in GRID})
    )
    answerer.min_confidence = kept
    chosen = {"span": best_pair[0], "passage": best_pair[1], "open": best_open[0], "join": best_open[1]}
    assert set(chosen) == set(THRESHOLDS)
    return chosen


def _smoothed(values: dict[tuple[float, ...], float]) -> dict[tuple[float, ...], float]:
    """Each grid point's utility averaged with its neighbours' (one step each way on every axis): a
    threshold in a broad good region holds on new questions better than a lone peak does."""
    step = GRID[1] - GRID[0]

    def near(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(abs(x - y) <= step * 1.01 for x, y in zip(a, b, strict=True))

    return {
        p: sum(v for q, v in values.items() if near(p, q)) / sum(1 for q in values if near(p, q))
        for p in values
    }


def _middle_of_best(values: dict[tuple[float, ...], float]) -> tuple[float, ...]:
    """Of the grid points of the best utility, the one nearest their centre: thresholds at the edge
    of a run of equally good ones would be the first to fall on new questions."""
    best = max(values.values())
    tied = sorted(point for point, value in values.items() if value == best)
    centre = [sum(coords) / len(tied) for coords in zip(*tied, strict=True)]
    return min(tied, key=lambda p: (sum((a - c) ** 2 for a, c in zip(p, centre, strict=True)), p))
