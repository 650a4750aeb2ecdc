"""Fitting the answerer's weights and thresholds on a small synthetic set (fake tagger and
embedder), the rule of a right answer that fitting and the evaluation share, and the evaluation's
breakdown by question kind and answer form."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import cast

import pytest
from rich.console import Console

from qa.evaluation import fitting
from qa.evaluation.fitting import (
    GRID,
    WRONG_COST,
    Sample,
    _fit,
    _middle_of_best,
    _smoothed,
    choose_thresholds,
    collect,
    fit_weights,
    is_right,
    utility,
)
from qa.evaluation.report import breakdown, print_breakdown
from qa.evaluation.results import EvalRun
from qa.evaluation.runner import score_question, summarize
from qa.evaluation.testset import TestCase, document_split
from qa.extractive import ExtractiveAnswerer, Weights
from qa.extractive.model import MODELS, THRESHOLDS
from qa.language.questions import Question, analyse
from qa.types import Answer, Citation, Passage
from tests.helpers.extractive import ACME as DOC
from tests.helpers.extractive import ACME_ENTITIES as ENTITIES
from tests.helpers.extractive import BagOfWordsEmbedder, hand_weights, make_answerer, passage


def case(case_id: str, question: str, answers: list[str], doc_ids: list[str], kind: str = "") -> TestCase:
    extra = {"kind": kind} if kind else {}
    return TestCase(
        id=case_id, question=question, answers=answers, doc_ids=doc_ids, answerable=bool(answers), extra=extra
    )


# -- the rule of a right answer -----------------------------------------------------------------
JOBS = case("jobs", "How many jobs will the lab create?", ["400"], ["acme"])
ABOUT = case("about", "What will the lab build?", ["delivery robots"], ["acme"], kind="open")
NONE = case("none", "Who won the 2030 World Cup?", [], [])


@pytest.mark.parametrize(
    ("test_case", "text", "cited", "right"),
    [
        (JOBS, "up to 400 engineering jobs", ["acme"], True),
        (JOBS, "up to 400 engineering jobs", ["other"], True),  # a factoid's fact is right wherever found
        (JOBS, "€75 million", ["acme"], False),
        (ABOUT, "The lab will build delivery robots for small shops.", ["acme"], True),
        (ABOUT, "The lab will build delivery robots for small shops.", ["other"], False),  # must cite gold
        (ABOUT, "The lab will build delivery robots.", ["other", "acme"], True),
        (ABOUT, "The lab opened in Lyon.", ["acme"], False),
        (NONE, "Brazil", ["other"], False),  # answering an unanswerable question is never right
    ],
)
def test_fitting_and_the_evaluation_judge_an_answer_alike(
    test_case: TestCase, text: str, cited: list[str], right: bool
) -> None:
    assert is_right(test_case, text, cited) is right
    citations = [
        Citation(doc_id=d, title=d, chunk_id=f"{d}:0", quote=text, start=0, end=len(text)) for d in cited
    ]
    answer = Answer(text=text, abstained=False, confidence=0.9, citations=citations, form="passage")
    outcome = score_question(test_case, answer, [], 3).outcome
    expected = {True: "correct", False: "wrong" if test_case.answerable else "wrong_answer"}[right]
    assert outcome == expected


def test_the_kind_comes_from_the_test_set() -> None:
    assert JOBS.kind == "factoid" and ABOUT.kind == "open"
    typed_open = TestCase(
        id="t", question="Why?", answers=["x"], doc_ids=[], answerable=True, extra={"type": "open"}
    )
    assert typed_open.kind == "open"


def test_the_split_is_by_document_group_stable_and_about_one_in_three_held_out() -> None:
    assert document_split("story-p0") == document_split("story-p1") == document_split("story")
    ids = [f"doc-{i}" for i in range(300)]
    held = sum(document_split(d) == "heldout" for d in ids)
    assert 70 < held < 130
    assert [document_split(d) for d in ids] == [document_split(d) for d in ids]
    dev = next(d for d in ids if document_split(d) == "dev")
    out = next(d for d in ids if document_split(d) == "heldout")
    assert replace_ids(JOBS, [dev]).split == "dev" and replace_ids(JOBS, [out]).split == "heldout"
    assert replace_ids(JOBS, [dev, out]).split == "mixed"


def replace_ids(test_case: TestCase, doc_ids: list[str]) -> TestCase:
    return test_case.model_copy(update={"doc_ids": doc_ids})


# -- the evaluation's breakdown ------------------------------------------------------------------
def scored(test_case: TestCase, text: str, form: str, doc_id: str = "acme") -> object:
    if not form:
        answer = Answer(text="The announcements don't say.", abstained=True, confidence=0.1)
    else:
        cite = Citation(
            doc_id=doc_id, title=doc_id, chunk_id=f"{doc_id}:0", quote=text, start=0, end=len(text)
        )
        answer = Answer(text=text, abstained=False, confidence=0.9, citations=[cite], form=form)
    return score_question(test_case, answer, [], 3)


def test_the_breakdown_counts_outcomes_per_kind_and_per_form() -> None:
    results = [
        scored(JOBS, "up to 400 engineering jobs", "span"),
        scored(replace_ids(JOBS, ["acme"]).model_copy(update={"id": "j2"}), "€75 million", "span"),
        scored(JOBS.model_copy(update={"id": "j3"}), "The lab will create 400 jobs.", "passage"),
        scored(ABOUT, "The lab will build delivery robots.", "passage"),
        scored(
            ABOUT.model_copy(update={"id": "a2"}), "The lab will build delivery robots.", "passage", "other"
        ),
        scored(ABOUT.model_copy(update={"id": "a3"}), "", ""),
        scored(NONE, "", ""),
        scored(NONE.model_copy(update={"id": "n2"}), "Brazil", "span", "other"),
    ]
    run = EvalRun(results=results, summary=summarize(results, 3))  # type: ignore[arg-type]
    groups = {name: dict(counts) for name, counts in breakdown(run).items()}
    assert groups == {
        "kind factoid": {"correct": 2, "wrong": 1},
        "kind open": {"correct": 1, "wrong": 1, "abstained": 1},
        "kind unanswerable": {"correct_abstain": 1, "wrong_answer": 1},
        "form span": {"correct": 1, "wrong": 1},
        "form passage": {"correct": 2, "wrong": 1},
        "form abstained": {"abstained": 1},
    }
    console = Console(record=True, width=120)
    print_breakdown(run, console)
    lines = console.export_text().splitlines()
    assert any(
        line.startswith("kind open") and "3 questions" in line and "right 1 (33%)" in line for line in lines
    )
    assert any(line.startswith("kind unanswerable") and "abstained 1" in line for line in lines)


# -- fitting ----------------------------------------------------------------------------------
def test_a_model_fitted_on_separable_rows_ranks_every_positive_first() -> None:
    features = MODELS["span"]
    rows, labels = [], []
    for i in range(20):
        good = i % 2 == 0
        row = dict.fromkeys(features, 0.1 * (i % 3))
        row["candidate"] = 3.0 + i * 0.1 if good else -1.0 - i * 0.1
        row["margin"] = 2.0 if good else 0.2
        rows.append([row[f] for f in features])
        labels.append(int(good))
    model = _fit("span", rows, labels)
    assert tuple(model.weights) == features
    scores = [model.logit(dict(zip(features, row, strict=True))) for row in rows]
    ranked = [label for _, label in sorted(zip(scores, labels, strict=True), reverse=True)]
    assert ranked == [1] * 10 + [0] * 10
    assert model.weights["candidate"] > 0


def test_a_broad_good_region_beats_a_lone_peak() -> None:
    values = {(t,): 0.0 for t in GRID}
    values[(0.2,)] = 5.0  # a lone peak
    for t in (0.55, 0.6, 0.65, 0.7):
        values[(t,)] = 4.0  # a broad region a little lower
    assert _middle_of_best(_smoothed(values)) in ((0.6,), (0.65,))
    assert _middle_of_best(values) == (0.2,)  # unsmoothed, the peak would win


def test_the_threshold_kept_is_the_middle_of_the_equally_good_ones() -> None:
    values = {(t,): (2.0 if 0.3 <= t <= 0.7 else 1.0) for t in GRID}
    assert _middle_of_best(values) == (0.5,)
    pairs = {
        (a, b): (3.0 if a in (0.4, 0.5, 0.6) and b in (0.2, 0.3, 0.4) else 0.0) for a in GRID for b in GRID
    }
    assert _middle_of_best(pairs) == (0.5, 0.3)


def test_the_passage_model_learns_whether_the_sentence_or_the_next_best_one_holds_the_answer() -> None:
    answerer = make_answerer(ENTITIES)
    question = "How many jobs will the lab create?"
    found = answerer.deliberate(question, [passage(DOC, "acme")])
    best = found.choices[0]
    pair, _ = answerer.fallback(found, best, answerer.confidence_features(found, best))
    other = next(s for s in pair if s is not best.sentence)
    samples = [
        Sample(case("second", question, [other.text], ["acme"]), [passage(DOC, "acme")], []),
        Sample(case("absent", question, ["a parcel locker"], ["acme"]), [passage(DOC, "acme")], []),
    ]
    for s in samples:
        s.found = answerer.deliberate(question, s.passages)
    rows, labels = fitting._confidence_rows(samples, answerer, "passage")
    assert labels == [1, 0] and all(len(row) == len(MODELS["passage"]) for row in rows)
    assert fitting._confidence_rows(samples, answerer, "span")[1] == [0, 0]  # the span holds neither


def test_the_open_model_learns_whether_the_best_sentence_with_its_neighbour_answers() -> None:
    answerer = make_answerer(weights=hand_weights(thresholds={"open": 0.5, "join": 0.01}))
    samples = [
        # "It opened on a rainy Monday" joins the best sentence: the answer holds what comes after.
        Sample(case("joined", "What will the lab build?", ["rainy Monday"], ["acme"], kind="open"), [], []),
        Sample(case("absent", "What will the lab build?", ["parcel lockers"], ["acme"], kind="open"), [], []),
        Sample(case("jobs", "How many jobs will the lab create?", ["400"], ["acme"]), [], []),
    ]
    for s in samples:
        s.passages = [passage(SHOPS, "acme")]
        s.found = answerer.deliberate(s.case.question, s.passages)
    rows, labels = fitting._confidence_rows(samples, answerer, "open")
    assert labels == [1, 0]  # one row per open question; the factoid has none
    assert all(len(row) == len(MODELS["open"]) for row in rows)


def test_fitting_refuses_rows_of_one_class() -> None:
    with pytest.raises(ValueError, match="span"):
        _fit("span", [[0.0] * len(MODELS["span"])] * 3, [1, 1, 1])


SHOPS = "Acme Lab\n\nThe lab will build delivery robots for small shops. It opened on a rainy Monday."


def open_sample(case_id: str, answers: list[str], logit: float, answerer: ExtractiveAnswerer) -> Sample:
    """An open question whose best sentence has the given logit (so its probability is known)."""
    test_case = case(case_id, "What will the lab build?", answers, ["acme"] if answers else [], kind="open")
    sample = Sample(test_case, [passage(SHOPS, "acme")], [])
    sample.found = answerer.deliberate(test_case.question, sample.passages)
    sample.found.sentences = sample.found.sentences[:1]  # no neighbour to join
    sample.found.sentences[0].logit = logit
    return sample


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_the_open_threshold_chosen_maximises_the_utility() -> None:
    answerer = make_answerer()
    samples = [
        open_sample("a", ["delivery robots"], logit(0.92), answerer),  # right
        open_sample("b", ["delivery robots"], logit(0.72), answerer),  # right
        open_sample("c", ["parcel lockers"], logit(0.62), answerer),  # wrong
        open_sample("d", ["parcel lockers"], logit(0.22), answerer),  # wrong
        open_sample("e", [], logit(0.82), answerer),  # unanswerable: answering it is wrong
    ]
    chosen = choose_thresholds(samples, answerer)
    # Answering only "a" gains 1 and abstaining on "e" 1; any lower threshold answers "e" (-1.5).
    # 0.85 and 0.9 both do that; with its neighbours 0.9 (2, 2, 1) is better than 0.85 (0, 2, 2).
    assert chosen["open"] == 0.9
    by_threshold = {}
    for t in GRID:
        answerer.weights = replace(answerer.weights, thresholds={**chosen, "open": t})
        by_threshold[t] = utility(samples, answerer)
    assert by_threshold[0.85] == by_threshold[0.9] == max(by_threshold.values()) == 2.0
    assert by_threshold[0.7] == 2.0 - WRONG_COST  # "a" and "b" right, "e" answered
    assert set(chosen) == set(THRESHOLDS)


TRAINING = [
    case("jobs", "How many jobs will the lab create?", ["400"], ["acme"]),
    case("money", "How much is Acme investing in the site?", ["€75 million"], ["acme"]),
    case("ship", "When will the first robots ship?", ["September 2026"], ["acme"]),
    case("lead", "Who will lead the lab?", ["Lena Berg"], ["acme"]),
    case("buyer", "Which company acquired Acme Robotics?", ["Northgate Holdings"], ["acme"]),
    case("years", "When will the lab create its jobs?", ["2028"], ["acme"]),
    case("sales", "How much will the robots cost?", [], []),
    case("staff", "How many robots will Acme sell in 2030?", [], []),
    case("open", "What will the lab create?", ["400 engineering jobs"], ["acme"], kind="open"),
    case("about", "What does the lab do?", ["Acme Robotics"], ["acme"], kind="open"),
    case("why", "Why did Acme pick the Lyon site?", [], []),
]


def training_samples() -> list[Sample]:
    def retrieve(question: str) -> tuple[list[Passage], list[float], Question | None]:
        asked.append(question)
        return [passage(DOC, "acme")], BagOfWordsEmbedder().embed([question])[0], analyse(question)

    asked: list[str] = []
    samples = collect(TRAINING, retrieve)
    assert asked == [c.question for c in TRAINING]  # one retrieval per question
    return samples


def test_the_factoid_thresholds_chosen_are_the_best_pair_on_the_grid() -> None:
    answerer = make_answerer(ENTITIES)
    samples = training_samples()
    for s in samples:
        s.found = answerer.deliberate(s.case.question, s.passages, s.query_embedding)
    chosen = choose_thresholds(samples, answerer)
    factoids = [s for s in samples if s.found and s.found.question.kind.value == "factoid"]

    def value(span: float, passage_: float) -> float:
        answerer.weights = replace(answerer.weights, thresholds={**chosen, "span": span, "passage": passage_})
        return utility(factoids, answerer)

    best = max(value(a, b) for a in GRID for b in GRID)
    assert value(chosen["span"], chosen["passage"]) == best
    assert best > value(0.05, 0.05)  # answering everything is worse: the thresholds matter here


def test_fit_weights_fits_every_model_and_threshold_and_leaves_them_with_the_answerer() -> None:
    answerer = make_answerer(ENTITIES, hand_weights(thresholds={"span": 0.95, "passage": 0.95, "open": 0.95}))
    samples = training_samples()
    weights = fit_weights(samples, answerer, {"split": "dev"})
    assert answerer.weights is weights
    for name, features in MODELS.items():
        assert tuple(weights[name].weights) == features
    assert set(weights.thresholds) == set(THRESHOLDS) and all(t in GRID for t in weights.thresholds.values())
    assert weights.fitted_on["split"] == "dev" and weights.fitted_on["questions"] == len(TRAINING)
    # On its own training questions the fitted answerer does at least as well as the hand-made one.
    fitted = utility(samples, answerer)
    hand = make_answerer(ENTITIES)
    for s in samples:
        s.found = hand.deliberate(s.case.question, s.passages, s.query_embedding)
    assert fitted >= utility(samples, hand)
    answer = ExtractiveAnswerer(answerer.embedder, answerer.spans, weights=weights).answer(
        "How many jobs will the lab create?", [passage(DOC, "acme")]
    )
    assert not answer.abstained and "400" in answer.text


def test_the_fit_averages_its_rounds_models(monkeypatch: pytest.MonkeyPatch) -> None:
    answerer = make_answerer(ENTITIES, hand_weights(thresholds={"span": 0.95, "passage": 0.95, "open": 0.95}))
    samples = training_samples()
    rounds: list[Weights] = []
    real_round = fitting._fit_round

    def recording_round(samples_: list[Sample], answerer_: ExtractiveAnswerer) -> Weights:
        rounds.append(real_round(samples_, answerer_))
        return rounds[-1]

    monkeypatch.setattr(fitting, "_fit_round", recording_round)
    weights = fit_weights(samples, answerer, {"split": "dev"}, rounds=3)
    assert len(rounds) == 3 and len(weights.fitted_on["utility_by_round"]) == 3
    for name in ("sentence", "candidate"):  # the ranking models are the rounds' mean
        for f in MODELS[name]:
            mean = sum(r[name].weights[f] for r in rounds) / 3
            assert weights[name].weights[f] == pytest.approx(mean)
        assert weights[name].bias == pytest.approx(sum(r[name].bias for r in rounds) / 3)
    # The answerer and its samples are left with the averaged models and their thresholds.
    assert answerer.weights is weights
    assert round(utility(samples, answerer), 2) == weights.fitted_on["utility_averaged"]
    # The questions about the one document leave nothing answerable to fit on: weighed in sample.
    assert weights.fitted_on["questions_in_sample"] == len(TRAINING) - sum(not c.doc_ids for c in TRAINING)
    assert "utility_out_of_fold" in weights.fitted_on


# -- confidence out of fold ------------------------------------------------------------------
class _Marked:
    """Stands in for an answerer: its ``weights`` say which documents the models were fitted on."""

    def __init__(self) -> None:
        self.weights: object = "start"


def out_of_fold_run(
    monkeypatch: pytest.MonkeyPatch, samples: list[Sample], fails: Callable[[set[str]], bool]
) -> tuple[dict[str, object], int]:
    """Runs `_deliberate_out_of_fold` with fitting and deliberating recorded: what weighed each
    sample, and how many were weighed in sample."""
    weighed_by: dict[str, object] = {}

    def fit(train: list[Sample], answerer: _Marked) -> None:
        docs = {d for s in train for d in s.case.doc_ids}
        if fails(docs):
            raise ValueError("all rows of one class")
        answerer.weights = frozenset(docs)

    def deliberate(held: list[Sample], answerer: _Marked) -> None:
        for s in held:
            assert s.case.id not in weighed_by
            weighed_by[s.case.id] = answerer.weights

    monkeypatch.setattr(fitting, "_fit_ranking_models", fit)
    monkeypatch.setattr(fitting, "_deliberate", deliberate)
    in_sample = fitting._deliberate_out_of_fold(
        samples, cast(ExtractiveAnswerer, _Marked()), cast(Weights, "start")
    )
    return weighed_by, in_sample


def many_documents() -> list[Sample]:
    return [Sample(case(f"q{i}", "How many jobs?", ["4"], [f"doc{i % 9}"]), [], []) for i in range(36)]


def test_each_question_is_weighed_by_models_fitted_without_its_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    samples = many_documents()
    weighed_by, in_sample = out_of_fold_run(monkeypatch, samples, lambda docs: False)
    assert in_sample == 0 and set(weighed_by) == {s.case.id for s in samples}
    all_docs = {s.case.doc_ids[0] for s in samples}
    for s in samples:
        fitted_on = weighed_by[s.case.id]
        assert isinstance(fitted_on, frozenset)
        assert s.case.doc_ids[0] not in fitted_on  # never its own document
        assert len(fitted_on) >= len(all_docs) // 2  # but most of the others


def test_a_fold_without_enough_to_fit_on_is_weighed_in_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    samples = many_documents()
    weighed_by, in_sample = out_of_fold_run(monkeypatch, samples, lambda docs: "doc0" not in docs)
    with_doc0 = [s for s in samples if s.case.doc_ids == ["doc0"]]
    assert all(weighed_by[s.case.id] == "start" for s in with_doc0)
    assert in_sample == sum(1 for v in weighed_by.values() if v == "start") >= len(with_doc0)
